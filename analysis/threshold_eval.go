package analysis

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/poolload/poolload/collector"
	"github.com/poolload/poolload/record"
	"github.com/poolload/poolload/threshold"
)

// Result is one threshold expression evaluated against a record. A
// threshold that cannot be evaluated (it does not parse, names a variant
// the record lacks, or its metric has no samples) fails, with Error saying
// why: a check that could not be made must not pass.
type Result struct {
	Key      string  `json:"key"`
	Expr     string  `json:"expression"`
	Value    float64 `json:"value"`    // measured: milliseconds for a timing, else the count or rate
	Measured string  `json:"measured"` // formatted with its unit, e.g. "p(99)=12.30ms"
	Pass     bool    `json:"pass"`
	Error    string  `json:"error,omitempty"`
}

// ThresholdsOf is the thresholds of the scenario saved in run.json.
func ThresholdsOf(r *record.Record) (map[string][]string, error) {
	return r.Plan.Thresholds, nil
}

// Evaluate checks every threshold against r, keys in alphabetical order and
// each key's expressions in the order written.
func Evaluate(r *record.Record, thresholds map[string][]string) []Result {
	var out []Result
	variants := Variants(r)
	for _, key := range sortedKeys(thresholds) {
		for _, expr := range thresholds[key] {
			out = append(out, evaluateOne(r, variants, key, expr))
		}
	}
	return out
}

func evaluateOne(r *record.Record, variants []string, key, expr string) Result {
	res := Result{Key: key, Expr: strings.TrimSpace(expr), Measured: "-"}
	t, err := threshold.Parse(key, expr)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	if t.Variant != "" && !slices.Contains(variants, t.Variant) {
		res.Error = fmt.Sprintf("variant %q is not in this record (it has %s)", t.Variant, strings.Join(variants, ", "))
		return res
	}
	var v float64
	if t.Timing() {
		v, res.Measured, err = measureTiming(r, variants, &t)
	} else {
		v, res.Measured, err = measureCounter(r, &t)
	}
	if err != nil {
		res.Error = err.Error()
		return res
	}
	res.Pass = t.Holds(v)
	res.Value = v
	if t.Timing() {
		res.Value = v / 1e6
	}
	return res
}

// measureTiming returns the aggregation of t's metric in nanoseconds.
func measureTiming(r *record.Record, variants []string, t *threshold.Threshold) (float64, string, error) {
	m, _ := collector.MetricByName(t.Metric)
	var h *hdr.Histogram
	if t.Variant != "" {
		h = r.Merged(t.Variant, 0, m)
	} else {
		h = collector.NewHistogram()
		for _, v := range variants {
			h.Merge(r.Merged(v, 0, m))
		}
	}
	if h.TotalCount() == 0 {
		return 0, "no samples", fmt.Errorf("%s has no samples", t.Key)
	}
	var v float64
	switch t.Agg {
	case "avg":
		v = h.Mean()
	case "min":
		v = float64(h.Min())
	case "max":
		v = float64(h.Max())
	case "med":
		v = float64(h.ValueAtQuantile(50))
	case "p":
		v = float64(h.ValueAtQuantile(t.Percentile))
	}
	return v, t.AggLabel() + "=" + Ms(v/1e6), nil
}

// measureCounter returns the count or rate of t's counter; see Threshold
// for what each rate divides by.
func measureCounter(r *record.Record, t *threshold.Threshold) (float64, string, error) {
	var tot record.Totals
	secs := 0.0
	for _, w := range r.Info.Windows {
		if w.Status == record.StatusSkipped || (t.Variant != "" && w.Variant != t.Variant) {
			continue
		}
		tot.Iterations += w.Totals.Iterations
		tot.Dropped += w.Totals.Dropped
		tot.Errors += w.Totals.Errors
		tot.Interrupted += w.Totals.Interrupted
		secs += w.Scheduled().Seconds()
	}
	var count, denom float64
	what := "iterations"
	switch t.Metric {
	case threshold.CounterIterations:
		count, denom, what = float64(tot.Started()), secs, "s"
	case threshold.CounterDropped:
		count, denom, what = float64(tot.Dropped), float64(tot.Iterations+tot.Interrupted+tot.Dropped), "scheduled"
	case threshold.CounterErrors:
		count, denom = float64(tot.Errors), float64(tot.Iterations)
	case threshold.CounterIntr:
		count, denom, what = float64(tot.Interrupted), float64(tot.Iterations+tot.Interrupted), "started"
	}
	if t.Agg == "count" {
		return count, fmt.Sprintf("count=%.0f", count), nil
	}
	if denom == 0 {
		return 0, "no iterations", fmt.Errorf("the rate of %s is undefined: nothing was measured", t.Key)
	}
	rate := count / denom
	if t.Metric == threshold.CounterIterations {
		return rate, fmt.Sprintf("rate=%.1f/s", rate), nil
	}
	return rate, fmt.Sprintf("rate=%.4g (%.0f of %.0f %s)", rate, count, denom, what), nil
}

// WriteThresholds prints the THRESHOLDS block, one line per expression with
// ✓ or ✗ and the measured value, and reports whether any failed. It prints
// nothing for no results, so the run command can call it unconditionally.
func WriteThresholds(w io.Writer, results []Result) (failed bool) {
	if len(results) == 0 {
		return false
	}
	n := 0
	for _, r := range results {
		if !r.Pass {
			n++
		}
	}
	head := fmt.Sprintf("all %d passed", len(results))
	if n > 0 {
		head = fmt.Sprintf("%d of %d failed", n, len(results))
	}
	fmt.Fprintf(w, "\nTHRESHOLDS  %s\n", head)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, r := range results {
		mark, got := "✓", r.Measured
		if !r.Pass {
			mark = "✗"
		}
		if r.Error != "" && r.Measured == "-" {
			got = r.Error
		}
		fmt.Fprintf(tw, "  %s %s\t%s\t%s\n", mark, r.Key, r.Expr, got)
	}
	tw.Flush()
	return n > 0
}
