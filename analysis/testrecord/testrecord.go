// Package testrecord writes synthetic run records with known distributions,
// through the same record.Writer a real run uses, so that analysis and
// CLI tests read them back exactly as they would read a real record.
package testrecord

import (
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/poolload/poolload/collector"
	"github.com/poolload/poolload/driver"
	"github.com/poolload/poolload/record"
	"github.com/poolload/poolload/units"
)

// Record describes a whole record.
type Record struct {
	Name     string              // scenario name (default "synthetic")
	Executor string              // default constant-arrival-rate
	Rate     float64             // offered rate per second (default 100)
	Thresh   map[string][]string // the scenario's thresholds
	Gauges   []string            // gauge columns, e.g. record.ConnsOpened
	Windows  []Window            // in the order they ran
}

// Window is one variant × repetition.
type Window struct {
	Variant   string
	Rep       int
	Prelude   record.Prelude
	Intervals []Interval // one second each
}

// Interval is one second of a window. Only latency, blocked and wait can
// be recorded.
type Interval struct {
	N       int                       // iterations completed
	Latency func(i int) time.Duration // the i-th iteration's latency (nil: not recorded)
	Blocked func(i int) time.Duration // nil: not recorded
	Wait    func(i int) time.Duration // nil: not recorded
	Dropped int64                     // charged to pool starvation
	Errors  int64                     // charged to bad_connection
	// Gauges are the values of Record.Gauges in order; NaN writes an empty cell.
	Gauges []float64
}

// Const is a latency function that always returns d.
func Const(d time.Duration) func(int) time.Duration { return func(int) time.Duration { return d } }

// Spread returns the i-th of n values spread evenly over [lo, hi], a
// uniform distribution whose percentiles are easy to compute by hand.
func Spread(lo, hi time.Duration, n int) func(int) time.Duration {
	return func(i int) time.Duration {
		if n <= 1 {
			return lo
		}
		return lo + time.Duration(float64(hi-lo)*float64(i%n)/float64(n-1))
	}
}

// Seconds repeats iv n times.
func Seconds(n int, iv Interval) []Interval {
	out := make([]Interval, n)
	for i := range out {
		out[i] = iv
	}
	return out
}

// Write creates the record in dir.
func Write(dir string, r Record) error {
	if r.Name == "" {
		r.Name = "synthetic"
	}
	if r.Executor == "" {
		r.Executor = "constant-arrival-rate"
	}
	if r.Rate == 0 {
		r.Rate = 100
	}
	sc, err := json.Marshal(map[string]any{
		"name": r.Name, "load": map[string]any{"executor": r.Executor, "rate": r.Rate, "time_unit": "1s"},
		"thresholds": r.Thresh, "repeat": reps(r.Windows), "variants": variantsOf(r.Windows),
	})
	if err != nil {
		return fmt.Errorf("encoding the scenario: %w", err)
	}
	start := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	w, err := record.Create(dir, record.RunInfo{ID: "synthetic-" + r.Name, Tool: "poolload", Version: "test",
		Scenario: sc, Started: start, Status: record.StatusRunning, Interval: units.Duration(time.Second), Gauges: r.Gauges})
	if err != nil {
		return err
	}
	t0 := start
	for _, win := range r.Windows {
		info := record.WindowInfo{Variant: win.Variant, Rep: win.Rep, Status: record.StatusComplete,
			Start: t0, Length: units.Duration(time.Duration(len(win.Intervals)) * time.Second),
			Planned: int64(r.Rate) * int64(len(win.Intervals)), Offered: r.Rate, Prelude: win.Prelude}
		var total collector.Counts
		for i, spec := range win.Intervals {
			iv := build(i, spec)
			total.Add(&iv.Counts)
			if err := w.WriteInterval(win.Variant, win.Rep, t0, iv); err != nil {
				return err
			}
		}
		info.Totals = record.TotalsOf(&total)
		w.Info.Windows = append(w.Info.Windows, info)
		t0 = t0.Add(time.Duration(len(win.Intervals)+1) * time.Second)
	}
	return w.Close(record.StatusComplete, nil)
}

func build(sec int, spec Interval) *collector.Interval {
	iv := &collector.Interval{Start: time.Duration(sec) * time.Second, End: time.Duration(sec+1) * time.Second,
		Gauges: spec.Gauges}
	// Only the metrics a test sets get histograms: a nil one is left out of
	// metrics.hlog, and encoding and decoding ~300 KB histograms is what
	// makes a test that writes a record slow under the race detector.
	for m, f := range map[collector.Metric]func(int) time.Duration{
		collector.Latency: spec.Latency, collector.Blocked: spec.Blocked, collector.Wait: spec.Wait} {
		if f == nil {
			continue
		}
		h := collector.NewHistogram()
		for i := range spec.N {
			_ = h.RecordValue(int64(f(i)))
		}
		iv.Hists[m] = h
	}
	iv.Counts.Iterations = int64(spec.N)
	iv.Counts.Dropped[collector.DropPool] = spec.Dropped
	iv.Counts.Errors[driver.ClassBadConnection] = spec.Errors
	return iv
}

func reps(ws []Window) int {
	n := 0
	for _, w := range ws {
		n = max(n, w.Rep)
	}
	return n
}

// NaN is an empty gauge cell.
var NaN = math.NaN()

// variantsOf lists the variants of the windows, in order, with the prewarm
// or warm-up their preludes show.
func variantsOf(ws []Window) []map[string]any {
	var out []map[string]any
	seen := map[string]bool{}
	for _, w := range ws {
		if seen[w.Variant] {
			continue
		}
		seen[w.Variant] = true
		v := map[string]any{"name": w.Variant, "prewarm": w.Prelude.Prewarmed}
		if w.Prelude.Warmup > 0 {
			v["warmup"] = map[string]any{"rate": 100, "duration": "1s"}
		}
		out = append(out, v)
	}
	return out
}
