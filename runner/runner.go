// Package runner is the composition root of a run: it opens the target
// (the service, the network link, the driver), plays each variant and
// repetition with its prelude (before step, prewarm, warm-up, idle) and
// measured window on the engine, and streams intervals into the record.
// It is the only package that imports the concrete drivers and network.
package runner

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"time"

	"github.com/poolload/poolload/collector"
	"github.com/poolload/poolload/driver"
	"github.com/poolload/poolload/engine"
	"github.com/poolload/poolload/record"
	"github.com/poolload/poolload/scenario"
)

// Progress is what the runner reports after every interval of a measured
// window, for the live status line.
type Progress struct {
	Variant  string
	Rep      int
	Interval *collector.Interval
	Window   *engine.Window
}

// Runner plays a scenario's variants and repetitions against a target and
// streams what it measures into a run record.
type Runner struct {
	Scenario *scenario.Scenario
	// Target is what OpenTarget prepared: the opener called before each
	// window, the service, and the network link's samplers and facts.
	Target *Prepared
	Out    *record.Writer
	// Progress, if set, is called after each interval (from the runner's
	// interval goroutine).
	Progress func(Progress)
	// Log, if set, receives one line per notable event (prelude steps).
	Log func(format string, args ...any)
	// Segment is this process's share of the load (the zero value: all of
	// it). Only the first segment plays the variants' before steps.
	Segment engine.Segment
	// Timeline, if set, fixes every window's t0 (segments started apart
	// agree on it); nil starts each window as soon as its prelude ends.
	Timeline *Timeline

	rec   *collector.Recorder
	abort context.CancelCauseFunc
}

// WindowPlan is one variant × repetition in the order they run.
type WindowPlan struct {
	Variant *scenario.Variant
	Rep     int
	Index   int // its place in the plan, from 0
}

// Plan lists the windows in run order: repetitions alternate the variants
// (cold, warm, cold, warm, …) so that drift on a noisy machine hits both.
func Plan(s *scenario.Scenario) []WindowPlan {
	var out []WindowPlan
	for rep := 1; rep <= s.Repeat; rep++ {
		for i := range s.Variants {
			out = append(out, WindowPlan{Variant: &s.Variants[i], Rep: rep, Index: len(out)})
		}
	}
	return out
}

// Run plays every window. It stops early when ctx is cancelled, leaving the
// remaining windows marked skipped, and when a window fails to start (the
// target is down): the error is returned and the record keeps what was
// measured before.
func (r *Runner) Run(ctx context.Context) error {
	// A record that cannot be written (a full disk) stops the run at once:
	// measuring on would only be lost.
	ctx, r.abort = context.WithCancelCause(ctx)
	defer r.abort(nil)
	r.rec = collector.NewRecorder(2 * runtime.GOMAXPROCS(0))
	r.Out.Info.Network = r.Target.Network
	plan := Plan(r.Scenario)
	r.Out.Info.Windows = make([]record.WindowInfo, len(plan))
	for i, p := range plan {
		r.Out.Info.Windows[i] = record.WindowInfo{Variant: p.Variant.Name, Rep: p.Rep, Status: record.StatusSkipped}
	}
	for i, p := range plan {
		if ctx.Err() != nil {
			break
		}
		info := &r.Out.Info.Windows[i]
		err := r.runWindow(ctx, p, info)
		if saveErr := r.Out.SaveInfo(); saveErr != nil && err == nil {
			err = saveErr
		}
		if err != nil {
			info.Status, info.Error = record.StatusFailed, err.Error()
			_ = r.Out.SaveInfo()
			return fmt.Errorf("variant %s, repetition %d: %w", p.Variant.Name, p.Rep, err)
		}
	}
	return nil
}

// runWindow plays the variant's before step, opens a fresh driver, plays
// the rest of the prelude, then the measured window.
func (r *Runner) runWindow(ctx context.Context, p WindowPlan, info *record.WindowInfo) error {
	if !r.waitPrelude(ctx, p) {
		return nil // stopped while waiting: the window stays skipped
	}
	r.sampleLink(ctx) // the prelude's counts start here
	if err := r.before(ctx, p.Variant, &info.Prelude); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	drv, err := openFleet(ctx, r.Target.Opener, instances(r.Scenario))
	if err != nil {
		return fmt.Errorf("opening the target: %w", err)
	}
	defer drv.Close()
	if r.Out.Info.Target == nil {
		facts := map[string]string{}
		if d, ok := drv.(driver.Describer); ok {
			facts = d.Describe(ctx)
		}
		maps.Copy(facts, r.Target.Facts)
		r.Out.Info.Target = facts
	}
	if err := r.prelude(ctx, drv, p.Variant, &info.Prelude); err != nil {
		if ctx.Err() != nil {
			return nil // stopped during the prelude: the window stays skipped
		}
		return err
	}
	info.Prelude.Link = r.sampleLink(ctx)
	return r.measure(ctx, drv, p, info)
}

// sampleLink reads the runner's own samplers (the network link) by name:
// their deltas since the last call. nil without any.
func (r *Runner) sampleLink(ctx context.Context) map[string]float64 {
	if len(r.Target.Samplers) == 0 {
		return nil
	}
	out := map[string]float64{}
	for _, s := range r.Target.Samplers {
		names := s.GaugeNames()
		v := make([]float64, len(names))
		s.Sample(ctx, v)
		for i, n := range names {
			out[n] = v[i]
		}
	}
	return out
}

// prelude settles the target, then prewarms, warms up and idles as the
// variant says.
func (r *Runner) prelude(ctx context.Context, drv driver.Driver, v *scenario.Variant, pre *record.Prelude) error {
	if s, ok := drv.(driver.Settler); ok {
		// A server shared with other clients may never come back to the
		// baseline: the window starts anyway, and the record says so.
		switch err := s.Settle(ctx); {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			pre.SettleError = err.Error()
			r.logf("%s: the target did not settle, starting anyway: %v", v.Name, err)
		default:
			pre.Settled = true
		}
	}
	if v.Prewarm > 0 {
		pw, ok := drv.(driver.Prewarmer)
		if !ok {
			return errors.New("prewarm: this driver has no pool to prewarm")
		}
		n, err := pw.Prewarm(ctx, v.Prewarm)
		pre.Prewarmed = n
		if err != nil {
			return fmt.Errorf("prewarming %d connections: %w", v.Prewarm, err)
		}
		r.logf("%s: prewarmed %d connections", v.Name, n)
	}
	if v.Warmup != nil {
		pre.Warmup = r.warmup(ctx, drv, v.Warmup)
		r.logf("%s: warm-up load ran %d iterations", v.Name, pre.Warmup)
	}
	if v.Idle > 0 {
		r.logf("%s: idle for %v", v.Name, v.Idle)
		t := time.NewTimer(v.Idle.D())
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
		pre.Idle = v.Idle
	}
	return nil
}

// warmup runs an unmeasured constant-rate phase and returns how many
// iterations it ran.
func (r *Runner) warmup(ctx context.Context, drv driver.Driver, wu *scenario.Warmup) int64 {
	l := &r.Scenario.Load
	w := &engine.Window{Driver: drv, Schedule: r.Segment.Of(engine.NewConstant(wu.Rate, l.TimeUnit.D(), wu.Duration.D())),
		Recorder: collector.NewRecorder(1), PreVUs: r.Segment.Share(l.PreAllocatedVUs), MaxVUs: r.Segment.Share(l.MaxVUs),
		GracefulStop: l.GracefulStop.D()}
	w.Start()
	w.Run(ctx)
	var iv collector.Interval
	w.Recorder.Drain(&iv)
	return iv.Counts.Iterations
}

func (r *Runner) logf(format string, args ...any) {
	if r.Log != nil {
		r.Log(format, args...)
	}
}
