package live

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/poolload/poolload/collector"
	"github.com/poolload/poolload/record"
)

// The fixed metrics; the sampled gauges get theirs from columnOf.
var (
	windowLabels = []string{labelVariant, labelRep}

	descRun        = prometheus.NewDesc(prefix+"run_info", "the run being exported: 1, with its id and scenario as labels", []string{"run", "scenario"}, nil)
	descRunning    = prometheus.NewDesc(prefix+"window_running", "1 while the window (variant × repetition) is being measured, else 0", windowLabels, nil)
	descElapsed    = prometheus.NewDesc(prefix+"window_elapsed_seconds", "seconds since the window's t0 at its last interval's end", windowLabels, nil)
	descIterations = prometheus.NewDesc(prefix+"iterations_total", "iterations that finished in the window", windowLabels, nil)
	descDropped    = prometheus.NewDesc(prefix+"dropped_iterations_total", "scheduled starts that found no free VU, by cause "+
		"(vus: every VU still starting; pool: most busy VUs blocked on the pool; target: most busy VUs waiting on the target)",
		append(windowLabels, "cause"), nil)
	descGrowing = prometheus.NewDesc(prefix+"dropped_iterations_while_growing_total",
		"drops (of any cause) that came while VUs were still being allocated", windowLabels, nil)
	descInterrupted = prometheus.NewDesc(prefix+"interrupted_iterations_total", "iterations cut off by the end of the window", windowLabels, nil)
	descErrors      = prometheus.NewDesc(prefix+"errors_total", "iterations that failed, by error class", append(windowLabels, "class"), nil)
	descVUsBusy     = prometheus.NewDesc(prefix+record.VUsBusy, "VUs in an iteration at the last interval's end", windowLabels, nil)
	descVUsAlloc    = prometheus.NewDesc(prefix+record.VUsAllocated, "VUs allocated at the last interval's end", windowLabels, nil)
)

// timingHelp explains each summary: quantiles are the last interval's.
var timingHelp = map[collector.Metric]string{
	collector.Latency:     "intended start → done (free of coordinated omission)",
	collector.Service:     "actual start → done",
	collector.ScheduleLag: "intended start → actual start",
	collector.Blocked:     "asked the pool for a connection → held one",
	collector.Connecting:  "new-connection setup inside blocked (0 on reuse)",
	collector.Wait:        "request sent → first result",
}

func timingDesc(m collector.Metric) *prometheus.Desc {
	return prometheus.NewDesc(prefix+m.String()+"_seconds", m.String()+": "+timingHelp[m]+
		"; the quantiles are the last interval's (quantile 1 is its maximum), present while the window runs; "+
		"_count and _sum are over the window", windowLabels, nil)
}

// Describe sends nothing: the gauges depend on the record, so the
// exporter is an unchecked collector.
func (e *Exporter) Describe(chan<- *prometheus.Desc) {}

// Collect sends the current state of every window.
func (e *Exporter) Collect(ch chan<- prometheus.Metric) {
	e.mu.Lock()
	defer e.mu.Unlock()
	ch <- prometheus.MustNewConstMetric(descRun, prometheus.GaugeValue, 1, e.run, e.scenario)
	for _, w := range e.windows {
		e.collectWindow(ch, w)
	}
}

func (e *Exporter) collectWindow(ch chan<- prometheus.Metric, w *window) {
	lv := []string{w.variant, w.rep}
	gauge := func(d *prometheus.Desc, v float64, extra ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, append(lv, extra...)...)
	}
	counter := func(d *prometheus.Desc, v float64, extra ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, append(lv, extra...)...)
	}
	running := 0.0
	if w.running {
		running = 1
	}
	gauge(descRunning, running)
	gauge(descElapsed, w.elapsed)
	counter(descIterations, float64(w.counts.Iterations))
	for c := collector.DropCause(0); c < collector.NumDropCauses; c++ {
		counter(descDropped, float64(w.counts.Dropped[c]), c.String())
	}
	counter(descGrowing, float64(w.counts.DroppedGrowing))
	counter(descInterrupted, float64(w.counts.Interrupted))
	for _, c := range errorClasses() {
		counter(descErrors, float64(w.counts.Errors[c]), c.String())
	}
	if w.running {
		gauge(descVUsBusy, w.vusBusy)
		gauge(descVUsAlloc, w.vusAlloc)
	}
	for i, col := range e.cols {
		v := w.gauges[i]
		if v != v { // NaN: never sampled
			continue
		}
		if col.counter {
			counter(col.desc, v)
		} else if w.running { // a level of a window that ended is no longer true
			gauge(col.desc, v)
		}
	}
	for _, m := range timings {
		var q map[float64]float64
		if w.running && w.quant[m] != nil {
			q = make(map[float64]float64, len(quantiles))
			for i, p := range quantiles {
				q[p] = w.quant[m][i]
			}
		}
		ch <- prometheus.MustNewConstSummary(timingDesc(m), w.count[m], w.sum[m], q, lv...)
	}
}
