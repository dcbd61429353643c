package engine

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/poolload/poolload/collector"
	"github.com/poolload/poolload/driver"
	"github.com/poolload/poolload/driver/noop"
	"github.com/poolload/poolload/units"
)

func runTestWindow(t *testing.T, ctx context.Context, drv driver.Driver, s Schedule, pre, max int) (collector.Interval, *Window) {
	t.Helper()
	w := &Window{Driver: drv, Schedule: s, Recorder: collector.NewRecorder(2),
		PreVUs: pre, MaxVUs: max, GracefulStop: 5 * time.Second}
	w.Start()
	w.Run(ctx)
	var iv collector.Interval
	w.Recorder.Drain(&iv)
	return iv, w
}

func TestWindowStartsEveryIteration(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("10 s of wall time")
	}
	start := time.Now()
	iv, _ := runTestWindow(t, context.Background(), noop.New(noop.Config{}),
		NewConstant(1000, time.Second, 10*time.Second), 100, 100)
	elapsed := time.Since(start)
	c := iv.Counts
	if n := c.Iterations + c.DroppedTotal(); n < 9999 || n > 10001 {
		t.Fatalf("started+dropped = %d, want 10000 ±1", n)
	}
	if c.DroppedTotal() != 0 {
		t.Errorf("dropped %d iterations with a free noop driver", c.DroppedTotal())
	}
	if elapsed < 9990*time.Millisecond || elapsed > 11*time.Second {
		t.Errorf("a 10 s schedule took %v", elapsed)
	}
	if got := iv.Hists[collector.Latency].TotalCount(); got != c.Iterations {
		t.Errorf("latency histogram holds %d values for %d iterations", got, c.Iterations)
	}
}

func TestWindowDropsAndAttributes(t *testing.T) {
	t.Parallel()
	s := NewConstant(100, time.Second, 2*time.Second) // 200 ticks
	tests := []struct {
		name     string
		cfg      noop.Config
		pre, max int
		want     collector.DropCause
	}{
		{"slow target", noop.Config{Delay: units.Duration(100 * time.Millisecond)}, 5, 5, collector.DropTarget},
		{"pool starvation", noop.Config{Blocked: units.Duration(100 * time.Millisecond)}, 5, 5, collector.DropPool},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			iv, _ := runTestWindow(t, context.Background(), noop.New(tc.cfg), s, tc.pre, tc.max)
			c := iv.Counts
			// 5 VUs finishing 10 iterations/s each serve 100 of 200 ticks.
			if c.Dropped[tc.want] < 80 || c.Dropped[tc.want] > 120 {
				t.Errorf("dropped %v, want about 100 charged to %v", c.Dropped, tc.want)
			}
			if c.Iterations+c.DroppedTotal() != 200 {
				t.Errorf("iterations %d + dropped %d != 200", c.Iterations, c.DroppedTotal())
			}
		})
	}
	// Drops while VUs are still being allocated are charged to what the
	// busy VUs are doing, and counted as growing besides: VUs blocked on
	// the pool make them pool starvation's, not split with allocation.
	for _, tc := range []struct {
		name string
		cfg  noop.Config
		want collector.DropCause
	}{
		{"vu allocation on a slow target", noop.Config{Delay: units.Duration(100 * time.Millisecond)}, collector.DropTarget},
		{"vu allocation on a starved pool", noop.Config{Blocked: units.Duration(100 * time.Millisecond)}, collector.DropPool},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			iv, w := runTestWindow(t, context.Background(), noop.New(tc.cfg), s, 1, 5)
			if w.Allocated() != 5 {
				t.Errorf("allocated %d VUs, want max_vus 5", w.Allocated())
			}
			c := iv.Counts
			if c.DroppedGrowing == 0 || c.Dropped[tc.want] < c.DroppedTotal()*9/10 {
				t.Errorf("dropped %v, %d while growing; want them charged to %v, some while growing", c.Dropped, c.DroppedGrowing, tc.want)
			}
		})
	}
	t.Run("enough VUs", func(t *testing.T) {
		t.Parallel()
		iv, _ := runTestWindow(t, context.Background(),
			noop.New(noop.Config{Delay: units.Duration(100 * time.Millisecond)}), s, 30, 30)
		if iv.Counts.DroppedTotal() != 0 || iv.Counts.Iterations != 200 {
			t.Errorf("dropped %v, iterations %d; want 0 and 200", iv.Counts.Dropped, iv.Counts.Iterations)
		}
	})
}

// stallingSchedule stalls the generator once, as a GC pause or an
// overloaded load generator would.
type stallingSchedule struct {
	Schedule
	at    int64
	stall time.Duration
}

func (s stallingSchedule) At(i int64) (time.Duration, bool) {
	if i == s.at {
		time.Sleep(s.stall)
	}
	return s.Schedule.At(i)
}

func TestLatencyCountsFromIntendedStart(t *testing.T) {
	t.Parallel()
	s := stallingSchedule{Schedule: NewConstant(100, time.Second, time.Second), at: 20, stall: 200 * time.Millisecond}
	iv, _ := runTestWindow(t, context.Background(),
		noop.New(noop.Config{Delay: units.Duration(2 * time.Millisecond)}), s, 30, 30)
	lag := iv.Hists[collector.ScheduleLag]
	lat := iv.Hists[collector.Latency]
	svc := iv.Hists[collector.Service]
	// Iterations 20..39 were due during the stall: lag up to ~200 ms.
	if lag.Max() < 180e6 {
		t.Errorf("max schedule lag %v, want ≥180ms after a 200 ms stall", time.Duration(lag.Max()))
	}
	if lat.Max() < 180e6 || svc.Max() > 100e6 {
		t.Errorf("latency max %v, service max %v: the stall must show in latency only",
			time.Duration(lat.Max()), time.Duration(svc.Max()))
	}
	if iv.Counts.Iterations != 100 {
		t.Errorf("iterations %d, want 100 (late ticks still start)", iv.Counts.Iterations)
	}
}

func TestWindowCancelInterrupts(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	iv, _ := runTestWindow(t, ctx, noop.New(noop.Config{Delay: units.Duration(time.Hour)}),
		NewConstant(10, time.Second, time.Minute), 5, 5)
	if time.Since(start) > 2*time.Second {
		t.Fatalf("cancel took %v", time.Since(start))
	}
	if iv.Counts.Interrupted == 0 || iv.Counts.Iterations != 0 {
		t.Errorf("interrupted %d, iterations %d; want >0 and 0", iv.Counts.Interrupted, iv.Counts.Iterations)
	}
}

// A scheduler behind its schedule (a rate no machine serves) stops at a
// cancel too: no tick starts after it, however many are overdue. A tick
// handed to a VU before the cancel may still start after it, so up to one
// per VU is allowed.
func TestCancelWhileBehindSchedule(t *testing.T) {
	t.Parallel()
	const vus = 4
	drv := &startCounter{Driver: noop.New(noop.Config{})}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, func() {
		cancel()
		drv.cancelled.Store(true) // after: a start counted late is one dispatched before
	})
	start := time.Now()
	var iv collector.Interval
	done := make(chan struct{})
	go func() {
		defer close(done)
		iv, _ = runTestWindow(t, ctx, drv, NewConstant(1e9, time.Second, 3*time.Second), vus, vus)
	}()
	// Before the cancel the scheduler dispatches as fast as it can; after
	// it, nothing. 3e9 ticks were due: a loop that ran through them would
	// take most of an hour.
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the window still runs 5 s after a cancel at 200ms")
	}
	took, c := time.Since(start), iv.Counts
	after := drv.after.Load()
	t.Logf("stopped after %v: started %d (%d after the cancel), dropped %d, interrupted %d",
		took, c.Iterations, after, c.DroppedTotal(), c.Interrupted)
	if after > vus {
		t.Errorf("%d iterations started after the cancel; want none but the %d VUs' already handed a tick", after, vus)
	}
	if drv.starts.Load() == 0 {
		t.Error("no iteration started before the cancel either")
	}
}

// startCounter counts the iterations started, and those started once
// cancelled is set.
type startCounter struct {
	driver.Driver
	cancelled     atomic.Bool
	starts, after atomic.Int64
}

func (d *startCounter) Iterate(ctx context.Context, t *driver.Trace) {
	d.starts.Add(1)
	if d.cancelled.Load() {
		d.after.Add(1)
	}
	d.Driver.Iterate(ctx, t)
}

func TestGracefulStopLetsIterationsFinish(t *testing.T) {
	t.Parallel()
	iv, _ := runTestWindow(t, context.Background(),
		noop.New(noop.Config{Delay: units.Duration(300 * time.Millisecond)}),
		NewConstant(10, time.Second, 200*time.Millisecond), 5, 5)
	if iv.Counts.Iterations != 2 || iv.Counts.Interrupted != 0 {
		t.Errorf("iterations %d interrupted %d; want 2 and 0", iv.Counts.Iterations, iv.Counts.Interrupted)
	}
}
