package runner

import (
	"context"
	"testing"
	"time"

	"github.com/poolload/poolload/collector"
	"github.com/poolload/poolload/driver/noop"
	"github.com/poolload/poolload/record"
	"github.com/poolload/poolload/scenario"
	"github.com/poolload/poolload/units"
)

func testScenario(rate float64, d time.Duration) *scenario.Scenario {
	return &scenario.Scenario{
		Name:   "t",
		Target: scenario.NewTarget(noop.Name, &noop.Config{Delay: units.Duration(time.Millisecond)}),
		Load: scenario.LoadConfig{Executor: scenario.ConstantArrivalRate, Rate: rate, Duration: units.Duration(d),
			TimeUnit: units.Duration(time.Second), PreAllocatedVUs: 20, MaxVUs: 20,
			GracefulStop: units.Duration(time.Second)},
		Variants: []scenario.Variant{{Name: "cold"}, {Name: "warm", Warmup: &scenario.Warmup{Rate: 50, Duration: units.Duration(100 * time.Millisecond)}}},
		Repeat:   2,
		Output:   scenario.Output{Interval: units.Duration(200 * time.Millisecond)},
	}
}

func runScenario(t *testing.T, ctx context.Context, s *scenario.Scenario) (*record.Record, error) {
	t.Helper()
	dir := t.TempDir()
	w, err := record.Create(dir, record.RunInfo{ID: "t", Started: time.Now(), Status: record.StatusRunning,
		Interval: s.Output.Interval, Scenario: []byte(`{"name":"t"}`), Gauges: GaugeNames(s)})
	if err != nil {
		t.Fatal(err)
	}
	tgt, err := OpenTarget(ctx, s)
	defer tgt.Release()
	if err != nil {
		t.Fatal(err)
	}
	r := &Runner{Scenario: s, Target: tgt, Out: w}
	runErr := r.Run(ctx)
	status := record.StatusComplete
	if ctx.Err() != nil {
		status = record.StatusInterrupted
	}
	if err := w.Close(status, runErr); err != nil {
		t.Fatal(err)
	}
	rec, err := record.Open(dir)
	if err != nil {
		t.Fatalf("the record does not read back: %v", err)
	}
	return rec, runErr
}

func TestRunnerAlternatesVariants(t *testing.T) {
	t.Parallel()
	rec, err := runScenario(t, context.Background(), testScenario(100, 500*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, w := range rec.Info.Windows {
		order = append(order, w.Variant)
		// Every planned iteration ran or was dropped; a loaded machine
		// (other tests, -race) may stall the 20 VUs into a drop (for 200 ms).
		if tot := w.Totals; w.Status != record.StatusComplete || w.Planned != 50 ||
			tot.Iterations+tot.Dropped != 50 || tot.Dropped > 2 {
			t.Errorf("%s.%d: %s, %d of %d iterations, %d dropped", w.Variant, w.Rep, w.Status, tot.Iterations, w.Planned, tot.Dropped)
		}
		if n := rec.Merged(w.Variant, w.Rep, collector.Latency).TotalCount(); n != w.Totals.Iterations {
			t.Errorf("%s.%d: hlog holds %d latencies for %d iterations", w.Variant, w.Rep, n, w.Totals.Iterations)
		}
		if w.Variant == "warm" && w.Prelude.Warmup == 0 {
			t.Errorf("warm.%d ran no warm-up", w.Rep)
		}
		if len(rec.Series(w.Variant, w.Rep)) < 2 {
			t.Errorf("%s.%d: %d time-series rows", w.Variant, w.Rep, len(rec.Series(w.Variant, w.Rep)))
		}
	}
	if got := order; len(got) != 4 || got[0] != "cold" || got[1] != "warm" || got[2] != "cold" || got[3] != "warm" {
		t.Errorf("window order %v, want cold warm cold warm", got)
	}
}

func TestCancelledRunLeavesAValidRecord(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	rec, err := runScenario(t, ctx, testScenario(100, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Info.Status != record.StatusInterrupted {
		t.Errorf("run status %q", rec.Info.Status)
	}
	w := rec.Info.Windows
	if w[0].Status != record.StatusInterrupted || w[1].Status != record.StatusSkipped {
		t.Errorf("windows: %+v", w)
	}
	// Setup time varies (a loaded machine, -race), so the iterations the
	// record must hold count from the window's own start: 100/s until the
	// cancel, give or take the schedule lag of a loaded machine and the
	// time the cancel takes to reach the scheduler (Go's timers fire up
	// to a millisecond late, more under -race).
	deadline, _ := ctx.Deadline()
	want := int64(100 * deadline.Sub(w[0].Start).Seconds())
	if got := w[0].Totals.Iterations + w[0].Totals.Interrupted; want < 10 || got < want/2 || got > want+want/10+2 {
		t.Errorf("the cold window started %v before the cancel and holds %d iterations; want about %d",
			deadline.Sub(w[0].Start), got, want)
	}
	if n := rec.Merged("cold", 1, collector.Latency).TotalCount(); n != w[0].Totals.Iterations {
		t.Errorf("hlog holds %d latencies for %d iterations", n, w[0].Totals.Iterations)
	}
}
