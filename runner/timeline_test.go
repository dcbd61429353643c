package runner

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/poolload/poolload/driver"
	"github.com/poolload/poolload/driver/noop"
	"github.com/poolload/poolload/engine"
	"github.com/poolload/poolload/record"
	"github.com/poolload/poolload/scenario"
	"github.com/poolload/poolload/units"
)

// timedOpener opens its inner target's drivers after a delay and notes
// when the runner asked for one and when the first iteration began.
type timedOpener struct {
	inner driver.Opener
	delay time.Duration
	asked []time.Time // one per Open, in order
	first atomic.Int64
}

func (o *timedOpener) Open(ctx context.Context) (driver.Driver, error) {
	o.asked = append(o.asked, time.Now())
	time.Sleep(o.delay)
	d, err := o.inner.Open(ctx)
	if err != nil {
		return nil, err
	}
	return &timedDriver{Driver: d, first: &o.first}, nil
}

type timedDriver struct {
	driver.Driver
	first *atomic.Int64
}

func (d *timedDriver) Iterate(ctx context.Context, t *driver.Trace) {
	d.first.CompareAndSwap(0, time.Now().UnixNano())
	d.Driver.Iterate(ctx, t)
}

// firstIteration is when the first iteration began (zero: none did).
func (o *timedOpener) firstIteration() time.Time {
	if n := o.first.Load(); n != 0 {
		return time.Unix(0, n)
	}
	return time.Time{}
}

// timelineScenario is a short noop load of the variants given, once each.
func timelineScenario(variants ...scenario.Variant) *scenario.Scenario {
	return &scenario.Scenario{
		Name:   "tl",
		Target: scenario.NewTarget(noop.Name, &noop.Config{Delay: units.Duration(time.Millisecond)}),
		Load: scenario.LoadConfig{Executor: scenario.ConstantArrivalRate, Rate: 50, Duration: units.Duration(200 * time.Millisecond),
			TimeUnit: units.Duration(time.Second), PreAllocatedVUs: 4, MaxVUs: 4,
			GracefulStop: units.Duration(100 * time.Millisecond)},
		Variants: variants,
		Repeat:   1,
		Output:   scenario.Output{Interval: units.Duration(100 * time.Millisecond)},
	}
}

// runOnTimeline runs segment seg of s on tl, its driver opened through
// a timedOpener with the given delay. It reports a setup failure as err
// rather than failing the test, so that segments may run at once.
func runOnTimeline(t *testing.T, s *scenario.Scenario, seg engine.Segment, tl *Timeline, delay time.Duration) (
	rec *record.Record, o *timedOpener, runErr, err error) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	w, err := record.Create(dir, record.RunInfo{ID: "tl", Started: time.Now(), Status: record.StatusRunning,
		Interval: s.Output.Interval, Scenario: []byte(`{"name":"tl"}`), Gauges: GaugeNames(s)})
	if err != nil {
		return nil, nil, nil, err
	}
	tgt, err := OpenSegment(ctx, s, seg)
	defer tgt.Release()
	if err != nil {
		return nil, nil, nil, err
	}
	o = &timedOpener{inner: tgt.Opener, delay: delay}
	tgt.Opener = o
	r := &Runner{Scenario: s, Target: tgt, Out: w, Segment: seg, Timeline: tl}
	runErr = r.Run(ctx)
	if err := w.Close(record.StatusComplete, runErr); err != nil {
		return nil, nil, nil, err
	}
	rec, err = record.Open(dir)
	return rec, o, runErr, err
}

// A prelude that ends early waits for its window's place on the timeline:
// it begins no sooner than its slot, and the window's first iteration
// starts at the window's t0, not when the prelude was done.
func TestTimelineWaitsForT0(t *testing.T) {
	t.Parallel()
	s := timelineScenario(scenario.Variant{Name: "cold"}, scenario.Variant{Name: "cold2"})
	const slot = time.Second // opening a noop driver takes a few ms; a loaded machine, -race, far more
	// Without a monotonic reading, as a --start-at parsed from a flag.
	tl := NewTimeline(time.Now().Add(200*time.Millisecond).Round(0), s, slot)
	rec, o, runErr, err := runOnTimeline(t, s, engine.Segment{Index: 1, Count: 2}, tl, 0)
	if err != nil || runErr != nil {
		t.Fatalf("setup: %v; run: %v", err, runErr)
	}
	for k, w := range rec.Info.Windows {
		if w.Status != record.StatusComplete || w.Planned != 5 {
			t.Errorf("window %d: %s, %d planned; want complete, this segment's 5 of 10", k+1, w.Status, w.Planned)
		}
		if !w.Start.Equal(tl.T0(k)) {
			t.Errorf("window %d began at %s, its t0 on the timeline is %s", k+1, w.Start, tl.T0(k))
		}
		// A loaded machine wakes late; the window still counts from t0.
		if late := time.Duration(w.Late); late < 0 || late > 100*time.Millisecond {
			t.Errorf("window %d: start_late %s", k+1, late)
		}
	}
	if len(o.asked) != 2 {
		t.Fatalf("the driver was opened %d times, want once per window", len(o.asked))
	}
	for k, at := range o.asked {
		if at.Before(tl.PreludeStart(k)) {
			t.Errorf("window %d's prelude began %s before its slot", k+1, tl.PreludeStart(k).Sub(at))
		}
	}
	// The prelude (opening a noop driver) took next to nothing of its
	// slot; the load still began at t0, not then.
	if early := tl.T0(0).Sub(o.asked[0]); early < slot/2 {
		t.Fatalf("the first prelude began only %s before t0: the test needs it early", early)
	}
	if first := o.firstIteration(); first.Before(tl.T0(0)) {
		t.Errorf("the first iteration began %s before the window's t0", tl.T0(0).Sub(first))
	}
}

// A prelude that overruns its slot fails its window, saying by how much
// and what to do, and measures nothing.
func TestTimelineOverrunFailsTheWindow(t *testing.T) {
	t.Parallel()
	s := timelineScenario(scenario.Variant{Name: "cold"})
	tl := NewTimeline(time.Now().Add(50*time.Millisecond).Round(0), s, 100*time.Millisecond)
	rec, o, runErr, err := runOnTimeline(t, s, engine.Segment{Index: 2, Count: 2}, tl, 400*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"window 1: its prelude ended", "after the window's place on the timeline",
		"--prelude-slot", "--start-at"} {
		if runErr == nil || !strings.Contains(runErr.Error(), want) {
			t.Errorf("run: %v; want an error saying %q", runErr, want)
		}
	}
	w := rec.Info.Windows[0]
	if w.Status != record.StatusFailed || !strings.Contains(w.Error, "--prelude-slot") {
		t.Errorf("window 1: %s, %q; want it failed, saying why", w.Status, w.Error)
	}
	if w.Totals.Started() != 0 || len(rec.Rows) != 0 || !o.firstIteration().IsZero() {
		t.Errorf("a window too late for its t0 measured %d iterations in %d rows", w.Totals.Started(), len(rec.Rows))
	}
}

// The service block and a variant's before step (its restart of the
// service, its command) run in segment 1 only, the step once per window,
// and the other segments open their target only once the step's time on
// the timeline is over, so that a restart does not cut their prelude's
// connections (nor a warm variant's prewarm).
func TestBeforeRunsInSegmentOneOnly(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "before.log")
	// The service is ready when this answers, which it always does.
	ready, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ready.Close()
	// The step takes a while, so that a segment not waiting for it
	// would open its driver before it was done.
	const took = 300 * time.Millisecond
	before := &scenario.Before{Restart: true, Run: fmt.Sprintf("sleep %g; echo ran >> %s", took.Seconds(), file),
		Timeout: units.Duration(2 * time.Second)}
	s := timelineScenario(scenario.Variant{Name: "restarted", Before: before})
	s.Repeat = 2
	s.Service = &scenario.ServiceConfig{Run: fmt.Sprintf("echo started >> %s; exec sleep 60", file),
		Ready: "tcp://" + ready.Addr().String(), Timeout: units.Duration(5 * time.Second)}
	tl := NewTimeline(time.Now().Add(200*time.Millisecond).Round(0), s, 300*time.Millisecond)
	const n = 2
	recs := make([]*record.Record, n)
	opens := make([]*timedOpener, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			rec, o, runErr, err := runOnTimeline(t, s, engine.Segment{Index: i + 1, Count: n}, tl, 0)
			if err != nil || runErr != nil {
				t.Errorf("segment %d/%d: setup: %v; run: %v", i+1, n, err, runErr)
				return
			}
			recs[i], opens[i] = rec, o
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	windows := len(recs[0].Info.Windows)
	if got := strings.Count(string(b), "ran\n"); got != windows {
		t.Errorf("the before step ran %d times for %d windows of %d segments:\n%s", got, windows, n, b)
	}
	if got := strings.Count(string(b), "started\n"); got != 1+windows {
		t.Errorf("the service started %d times: want once, then once per window's restart (%d windows of %d segments):\n%s",
			got, windows, n, b)
	}
	for k := range recs[0].Info.Windows {
		w1, w2 := recs[0].Info.Windows[k], recs[1].Info.Windows[k]
		if w1.Prelude.Before < units.Duration(took) || w2.Prelude.Before != 0 || !w1.Prelude.Restarted || w2.Prelude.Restarted {
			t.Errorf("window %d: the before step took %s in segment 1 (restarted %v), %s in segment 2 (restarted %v); want it in segment 1 only",
				k+1, w1.Prelude.Before, w1.Prelude.Restarted, w2.Prelude.Before, w2.Prelude.Restarted)
		}
		if w1.Status != record.StatusComplete || w2.Status != record.StatusComplete {
			t.Errorf("window %d: %s and %s", k+1, w1.Status, w2.Status)
		}
		// Segment 1 opens once its step is done; segment 2 must not open
		// earlier than that (it cannot know how long the step took, only
		// how long it may take).
		if o1, o2 := opens[0].asked[k], opens[1].asked[k]; o2.Before(o1) {
			t.Errorf("window %d: segment 2 opened its target %s before segment 1's before step was done",
				k+1, o1.Sub(o2).Round(time.Millisecond))
		}
	}
}
