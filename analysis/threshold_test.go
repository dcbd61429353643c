package analysis

import (
	"strings"
	"testing"

	"github.com/poolload/poolload/analysis/testrecord"
	"github.com/poolload/poolload/record"
)

func TestEvaluateThresholds(t *testing.T) {
	tests := []struct {
		key, expr string
		pass      bool
		measured  string
	}{
		// 600 values: rank 594 is cold's 294th, each of its 100 values thrice: 10+10×97/99 ms.
		{"latency", "p(99) < 50ms", true, "p(99)=19.81ms"},
		{"latency", "p(50) < 5ms", true, "p(50)=2.00ms"},
		{"cold.latency", "avg < 10ms", false, "avg=15.00ms"},
		{"warm.latency", "max < 2.1ms", true, "max=2.00ms"},
		{"warm.latency", "min > 1ms", false, "min=999.9µs"}, // HDR's lowest equivalent of 1 ms
		{"warm.latency", "med <= 1.6", true, "med=1.50ms"},
		{"warm.blocked", "p(95) < 1ms", true, "p(95)=100.0µs"},
		{"cold.blocked", "p(95) < 1ms", false, "p(95)=5.00ms"},
		{"dropped_iterations", "count == 0", false, "count=2"},
		{"dropped_iterations", "rate < 0.01", true, "rate=0.003322 (2 of 602 scheduled)"},
		{"errors", "rate < 0.001", false, "rate=0.001667 (1 of 600 iterations)"},
		{"errors", "count <= 1", true, "count=1"},
		{"warm.errors", "count != 1", false, "count=1"},
		{"iterations", "rate >= 100", true, "rate=100.0/s"},
		{"interrupted", "count == 0", true, "count=0"},
		{"nosuch.latency", "p(99) < 1s", false, `variant "nosuch" is not in this record (it has cold, warm)`},
		{"latency", "p99 < 1s", false, `unknown aggregation "p99" (write p(99))`},
		{"dns", "p(99) < 1ms", false, "dns has no samples"},
	}
	th := map[string][]string{}
	for _, tc := range tests {
		th[tc.key] = append(th[tc.key], tc.expr)
	}
	rec := thresholdRecord(t, th)
	results := Evaluate(rec, th)
	if len(results) != len(tests) {
		t.Fatalf("%d results for %d thresholds", len(results), len(tests))
	}
	byExpr := map[string]Result{}
	for _, r := range results {
		byExpr[r.Key+" "+r.Expr] = r
	}
	for _, tc := range tests {
		r, ok := byExpr[tc.key+" "+tc.expr]
		got := r.Measured
		if r.Error != "" {
			got = r.Error
		}
		if !ok || r.Pass != tc.pass || got != tc.measured {
			t.Errorf("%s %s: pass %v, %q; want %v, %q", tc.key, tc.expr, r.Pass, got, tc.pass, tc.measured)
		}
	}
	var out strings.Builder
	if !WriteThresholds(&out, results) {
		t.Error("WriteThresholds says nothing failed")
	}
	for _, want := range []string{"THRESHOLDS  9 of 18 failed", "✓ latency", "p(99) < 50ms", "p(99)=19.81ms",
		"✗ dropped_iterations", "count=2", "✗ dns"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("block lacks %q:\n%s", want, out.String())
		}
	}
	if got, _ := ThresholdsOf(rec); len(got) != len(th) {
		t.Errorf("thresholds read back from run.json: %v", got)
	}
}

// thresholdRecord: cold 10–20 ms with blocked 5 ms and 2 drops, warm 1–2 ms
// with blocked 100 µs and 1 error; 3 seconds × 100 iterations each.
func thresholdRecord(t *testing.T, thresholds map[string][]string) *record.Record {
	cold := testrecord.Interval{N: 100, Latency: testrecord.Spread(10*ms, 20*ms, 100), Blocked: testrecord.Const(5 * ms)}
	warm := testrecord.Interval{N: 100, Latency: testrecord.Spread(1*ms, 2*ms, 100), Blocked: testrecord.Const(100 * us)}
	coldIvs := testrecord.Seconds(3, cold)
	coldIvs[0].Dropped = 2
	warmIvs := testrecord.Seconds(3, warm)
	warmIvs[1].Errors = 1
	return open(t, testrecord.Record{Thresh: thresholds, Windows: []testrecord.Window{
		{Variant: "cold", Rep: 1, Intervals: coldIvs}, {Variant: "warm", Rep: 1, Intervals: warmIvs}}})
}
