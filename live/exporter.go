package live

import (
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/poolload/poolload/collector"
	"github.com/poolload/poolload/driver"
)

// quantiles are those exported of each timing metric per interval; 1 is
// the interval's maximum.
var quantiles = []float64{0.5, 0.9, 0.99, 0.999, 1}

// timings are the per-iteration metrics exported as summaries.
var timings = []collector.Metric{collector.Latency, collector.Service, collector.ScheduleLag,
	collector.Blocked, collector.Connecting, collector.Wait}

// Exporter holds the latest state of every window of a run. Observe feeds
// it after each interval; the Prometheus collector (Collect) and the
// pusher read it. The zero value is not usable: use New.
type Exporter struct {
	run, scenario string
	cols          []column // the record's sampled gauges, in its order

	mu      sync.Mutex
	windows []*window // in the order they started
	current *window   // the one running, nil before the first and after Close
	updates uint64    // Observe calls so far
	scrape  scrapes
	notify  []chan<- struct{} // told after each update, without blocking
}

// window is what one variant × repetition has shown so far.
type window struct {
	variant, rep string
	running      bool
	elapsed      float64 // seconds since t0 at the last interval's end
	counts       collector.Counts
	vusBusy      float64
	vusAlloc     float64
	gauges       []float64 // levels as sampled last, deltas summed; NaN: never sampled
	// per timing metric: the last interval's quantiles (nil: no sample in
	// it), and the window's count and sum so far
	quant [collector.NumMetrics][]float64
	count [collector.NumMetrics]uint64
	sum   [collector.NumMetrics]float64
}

// New makes an exporter for run id run of scenario, whose record samples
// the gauges named (record.RunInfo.Gauges).
func New(run, scenario string, gauges []string) *Exporter {
	e := &Exporter{run: run, scenario: scenario}
	for _, g := range gauges {
		e.cols = append(e.cols, columnOf(g))
	}
	return e
}

// Observe takes one interval of window variant × rep, as the runner's
// Progress reports it (on the runner's interval goroutine, once per
// interval). It copies what it needs: iv may be reused afterwards. A new
// window ends the one before: windows run one after another.
func (e *Exporter) Observe(variant string, rep int, iv *collector.Interval) {
	// Quantiles are read before taking the lock: scrapes wait only for
	// the copy.
	var quant [collector.NumMetrics][]float64
	var count [collector.NumMetrics]uint64
	var sum [collector.NumMetrics]float64
	for _, m := range timings {
		h := iv.Hists[m]
		if h == nil || h.TotalCount() == 0 {
			continue
		}
		q := make([]float64, len(quantiles))
		for i, p := range quantiles {
			q[i] = float64(h.ValueAtQuantile(p*100)) / 1e9
		}
		quant[m] = q
		count[m] = uint64(h.TotalCount())
		sum[m] = h.Mean() * float64(h.TotalCount()) / 1e9
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	w := e.window(variant, rep)
	w.elapsed = iv.End.Seconds()
	w.counts.Add(&iv.Counts)
	w.vusBusy, w.vusAlloc = float64(iv.VUsBusy), float64(iv.VUsAlloc)
	for i, col := range e.cols {
		if i >= len(iv.Gauges) || math.IsNaN(iv.Gauges[i]) {
			continue
		}
		v := iv.Gauges[i] * col.scale
		switch {
		case !col.counter || math.IsNaN(w.gauges[i]):
			w.gauges[i] = v
		default:
			w.gauges[i] += v
		}
	}
	for _, m := range timings {
		w.quant[m] = quant[m]
		w.count[m] += count[m]
		w.sum[m] += sum[m]
	}
	e.updates++
	for _, n := range e.notify {
		select {
		case n <- struct{}{}:
		default: // a push is pending already; it will read this update
		}
	}
}

// window returns the window variant × rep, starting it (and ending the
// current one) when it is new. e.mu is held.
func (e *Exporter) window(variant string, rep int) *window {
	r := strconv.Itoa(rep)
	if c := e.current; c != nil && c.variant == variant && c.rep == r {
		return c
	}
	if e.current != nil {
		e.current.running = false
	}
	w := &window{variant: variant, rep: r, running: true, gauges: make([]float64, len(e.cols))}
	for i := range w.gauges {
		w.gauges[i] = math.NaN()
	}
	e.windows = append(e.windows, w)
	e.current = w
	return w
}

// End marks the run over: no window is running any more.
func (e *Exporter) End() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.current != nil {
		e.current.running = false
		e.current = nil
	}
	e.updates++
	for _, n := range e.notify {
		select {
		case n <- struct{}{}:
		default:
		}
	}
}

// subscribe registers ch to be told of each update.
func (e *Exporter) subscribe(ch chan<- struct{}) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.notify = append(e.notify, ch)
}

// scrapes tracks the scrapes served, so that the server can stay up
// until one has read the final values.
type scrapes struct {
	n         int
	last      time.Time
	gap       time.Duration // between the last two scrapes
	seenAfter uint64        // the update count the last scrape saw
}

// errorClasses are the classes exported, every one from 0 so that a
// rate() over a class that appears late has a start.
func errorClasses() []driver.ErrorClass {
	out := make([]driver.ErrorClass, 0, driver.NumClasses-1)
	for c := driver.ClassNone + 1; c < driver.NumClasses; c++ {
		out = append(out, c)
	}
	return out
}
