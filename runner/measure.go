package runner

import (
	"context"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/poolload/poolload/collector"
	"github.com/poolload/poolload/driver"
	"github.com/poolload/poolload/engine"
	"github.com/poolload/poolload/record"
	"github.com/poolload/poolload/scenario"
	"github.com/poolload/poolload/units"
)

// measure runs the measured window of one variant × repetition. A second
// goroutine drains the recorder every interval, samples the gauges and
// writes the interval to the record while the VUs keep running; the final,
// shorter interval is written once the last VU is done.
func (r *Runner) measure(ctx context.Context, drv driver.Driver, p WindowPlan, info *record.WindowInfo) error {
	l := &r.Scenario.Load
	sched := r.Segment.Of(ScheduleOf(l))
	r.rec.Drain(&collector.Interval{}) // forget anything left from a prelude
	r.rec.ResetExamples()
	w := &engine.Window{Driver: drv, Schedule: sched, Recorder: r.rec,
		PreVUs: r.Segment.Share(l.PreAllocatedVUs), MaxVUs: r.Segment.Share(l.MaxVUs), GracefulStop: l.GracefulStop.D()}
	info.Planned = sched.Total()
	info.Offered = float64(sched.Total()) / sched.Duration().Seconds()
	info.Status = record.StatusRunning
	it := &intervals{r: r, drv: drv, w: w, p: p, every: r.Scenario.Output.Interval.D(), until: sched.Duration(),
		host: newHostSampler()}
	it.out = startWriter(r.Out, p, it.collected, r.abort)
	// Sample once before t0 and throw it away: the drivers' delta gauges
	// (connections opened, pool waits) then count from t0, not from the
	// prelude's prewarm.
	it.sample(ctx)
	t0, err := r.startAt(ctx, p)
	if err != nil || ctx.Err() != nil {
		it.out.close()
		info.Status = record.StatusSkipped // stopped before t0, or too late for it
		return err
	}
	w.StartAt(t0)
	info.Start, info.Late = w.T0(), units.Duration(r.lateness(t0))
	for _, mark := range r.Target.Marks {
		mark(w.T0())
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); it.loop(ctx, stop) }()
	complete := w.Run(ctx)
	close(stop)
	wg.Wait()
	it.flush(ctx, w.Elapsed())
	werr := it.out.close() // every interval collected and written: it.total is whole

	info.Length = units.Duration(w.Elapsed())
	info.VUsAlloc = w.Allocated()
	info.Totals = record.TotalsOf(&it.total)
	info.Examples = r.rec.Examples()
	info.Status = record.StatusComplete
	if !complete {
		info.Status = record.StatusInterrupted
	}
	if werr != nil {
		info.Status, info.Error = record.StatusFailed, werr.Error()
		return werr
	}
	// Measuring on against a dead target only repeats the same error: the
	// run ends, failed, with the record of what was measured.
	if complete {
		if err := it.end.downError(info.Examples); err != nil {
			return err
		}
	}
	return nil
}

// intervals ends the intervals of one window on its ticks and hands them
// to its writer, which collects and writes them.
type intervals struct {
	r     *Runner
	drv   driver.Driver
	w     *engine.Window
	p     WindowPlan
	every time.Duration
	until time.Duration // the schedule's end: after it, only the drain
	last  time.Duration
	total collector.Counts
	end   lastInterval // the last whole interval, to judge the target by
	out   *intervalWriter
	host  *hostSampler // the host's CPU and poolload's own
}

// loop ticks on the grid t0 + k·every, like the schedule. After a tick
// that came late (a starved machine) the ones it missed do not follow at
// once, which would write intervals a few microseconds long: the next tick
// is the first grid point at least half an interval after this one.
//
// A tick at or after the schedule's end waits up to half an interval for
// the drain (the VUs still running) to end, so that a short drain joins
// the last interval instead of becoming one of a few milliseconds, whose
// handful of iterations would read as a rate of thousands per second.
func (it *intervals) loop(ctx context.Context, stop <-chan struct{}) {
	t := time.NewTimer(it.every)
	defer t.Stop()
	for {
		next := (it.last+it.every/2)/it.every*it.every + it.every
		switch {
		case it.last >= it.until: // a long drain: one interval at a time
			next = it.last + it.every
		case next >= it.until:
			next = it.until + it.every/2
		}
		t.Reset(next - it.w.Elapsed())
		select {
		case <-t.C:
			it.flush(ctx, it.w.Elapsed())
		case <-stop:
			return
		}
	}
}

// flush ends one interval now: the recorder flips at once, the VUs and
// gauges are read, and the writer collects the histograms later.
func (it *intervals) flush(ctx context.Context, now time.Duration) {
	iv := &collector.Interval{Start: it.last, End: now}
	it.last = now
	frozen := it.r.rec.Flip()
	ph := it.w.Phases()
	iv.VUsBusy = it.w.Allocated() - ph[driver.PhaseIdle]
	iv.VUsAlloc = it.w.Allocated()
	iv.Gauges = it.sample(ctx)
	it.out.write(iv, frozen, it.w.T0())
}

// collected runs on the writer's goroutine once an interval's histograms
// and counters are in, before it is written.
func (it *intervals) collected(iv *collector.Interval) {
	it.total.Add(&iv.Counts)
	it.end.keep(iv, it.every)
	if it.r.Progress != nil {
		it.r.Progress(Progress{Variant: it.p.Variant.Name, Rep: it.p.Rep, Interval: iv, Window: it.w})
	}
}

// sample reads the gauges of the driver and of the runner's other
// samplers (the network link, the host's CPU) into the record's column
// order. A sample never blocks an interval for long: it gets a quarter
// interval.
func (it *intervals) sample(ctx context.Context) []float64 {
	names := it.r.Out.Info.Gauges
	if len(names) == 0 {
		return nil
	}
	out := make([]float64, len(names))
	for i := range out {
		out[i] = math.NaN()
	}
	idx := make(map[string]int, len(names))
	for i, n := range names {
		idx[n] = i
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), it.every/4)
	defer cancel()
	var samplers []driver.Sampler
	if s, ok := it.drv.(driver.Sampler); ok {
		samplers = append(samplers, s)
	}
	samplers = slices.Concat(samplers, it.r.Target.Samplers, []driver.Sampler{it.host})
	for _, s := range samplers {
		gn := s.GaugeNames()
		got := make([]float64, len(gn))
		s.Sample(sctx, got)
		for i, n := range gn {
			if j, ok := idx[n]; ok {
				out[j] = got[i]
			}
		}
	}
	return out
}

// ScheduleOf builds the schedule of a validated load block.
func ScheduleOf(l *scenario.LoadConfig) engine.Schedule {
	if l.Executor == scenario.RampingArrivalRate {
		stages := make([]engine.Stage, len(l.Stages))
		for i, st := range l.Stages {
			stages[i] = engine.Stage{Target: st.Target, Duration: st.Duration.D()}
		}
		return engine.NewRamping(l.StartRate, l.TimeUnit.D(), stages)
	}
	return engine.NewConstant(l.Rate, l.TimeUnit.D(), l.Duration.D())
}
