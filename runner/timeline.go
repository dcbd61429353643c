package runner

import (
	"context"
	"fmt"
	"time"

	"github.com/poolload/poolload/clock"
	"github.com/poolload/poolload/scenario"
)

// DefaultPreludeSlot is the time every window's prelude gets on a shared
// timeline beyond what its steps say they take (a warm-up's duration, an
// idle pause, a before step's timeout): opening the driver, settling,
// prewarming.
const DefaultPreludeSlot = 5 * time.Second

// Timeline places every window of a plan at a fixed instant from a shared
// start, so that segments of one load started on different machines agree
// on each window's t0 without a coordinator. Window k's prelude may begin
// at PreludeStart(k); its measured window starts at T0(k), after which it
// has the schedule's duration, the graceful stop and an interval for the
// drain before window k+1's prelude.
type Timeline struct {
	start   time.Time
	prelude []time.Duration // per window: the prelude's slot
	before  []time.Duration // per window: its before step's part of the slot
	offset  []time.Duration // per window: t0 − start
}

// NewTimeline lays out the windows of s from start; slot is the prelude
// allowance on top of each prelude's own steps (DefaultPreludeSlot if 0).
func NewTimeline(start time.Time, s *scenario.Scenario, slot time.Duration) *Timeline {
	if slot <= 0 {
		slot = DefaultPreludeSlot
	}
	plan := Plan(s)
	tl := &Timeline{start: start, prelude: make([]time.Duration, len(plan)), before: make([]time.Duration, len(plan)),
		offset: make([]time.Duration, len(plan))}
	l := &s.Load
	window := ScheduleOf(l).Duration() + l.GracefulStop.D() + s.Output.Interval.D()
	at := time.Duration(0)
	for k, p := range plan {
		tl.prelude[k] = preludeSlot(p.Variant, slot)
		if b := p.Variant.Before; b != nil {
			tl.before[k] = orDefault(b.Timeout, scenario.DefaultServiceTimeout)
		}
		at += tl.prelude[k]
		tl.offset[k] = at
		at += window
	}
	return tl
}

// preludeSlot is how long v's prelude may take: the allowance, plus the
// steps that last a known time.
func preludeSlot(v *scenario.Variant, slot time.Duration) time.Duration {
	d := slot + v.Idle.D()
	if v.Warmup != nil {
		d += v.Warmup.Duration.D()
	}
	if v.Before != nil {
		d += orDefault(v.Before.Timeout, scenario.DefaultServiceTimeout)
	}
	return d
}

// Start is the timeline's start.
func (tl *Timeline) Start() time.Time { return tl.start }

// T0 is window k's start.
func (tl *Timeline) T0(k int) time.Time { return tl.start.Add(tl.offset[k]) }

// PreludeStart is when window k's prelude may begin.
func (tl *Timeline) PreludeStart(k int) time.Time { return tl.T0(k).Add(-tl.prelude[k]) }

// waitPrelude waits until window p's prelude may begin: its slot's start
// or, in a segment other than the first when the variant has a before
// step (which the first alone plays), the end of the step's part of the
// slot. Such a segment cannot see the step end, only when it must have:
// opening its target earlier, a restart would cut its connections (a warm
// variant's prewarm) or find the service down. False when ctx ends first.
func (r *Runner) waitPrelude(ctx context.Context, p WindowPlan) bool {
	if r.Timeline == nil {
		return true
	}
	at := r.Timeline.PreludeStart(p.Index)
	if !r.Segment.First() {
		at = at.Add(r.Timeline.before[p.Index])
	}
	return waitFor(ctx, at)
}

// waitFor sleeps until t, or returns false when ctx ends first.
func waitFor(ctx context.Context, t time.Time) bool {
	w := clock.NewWaiter()
	defer w.Close()
	now := time.Now()
	return w.Until(ctx, now, t.Sub(now))
}

// lateError says that a window's prelude overran its slot.
func lateError(k int, t0 time.Time, by time.Duration) error {
	return fmt.Errorf("window %d: its prelude ended %s after the window's place on the timeline (t0 %s): "+
		"give preludes more time with --prelude-slot, or start later with --start-at",
		k+1, by.Round(time.Millisecond), t0.UTC().Format(time.RFC3339Nano))
}

// lateSlack is how late a window may reach its place on the timeline and
// still start there: the scheduler catches up a few milliseconds at once.
const lateSlack = 10 * time.Millisecond

// startAt is the t0 of window p: its place on the timeline, once reached,
// or now without one. A prelude that overran its place is an error.
func (r *Runner) startAt(ctx context.Context, p WindowPlan) (time.Time, error) {
	if r.Timeline == nil {
		return time.Time{}, nil
	}
	t0 := r.Timeline.T0(p.Index)
	if late := time.Since(t0); late > lateSlack {
		return time.Time{}, lateError(p.Index, t0, late)
	}
	waitFor(ctx, t0)
	return t0, nil
}

// lateness is how long after t0 the window began (0 off a timeline).
func (r *Runner) lateness(t0 time.Time) time.Duration {
	if r.Timeline == nil {
		return 0
	}
	return max(time.Since(t0), 0)
}
