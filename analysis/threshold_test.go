package analysis

import (
	"errors"
	"strings"
	"testing"

	"github.com/poolload/poolload/analysis/testrecord"
	"github.com/poolload/poolload/collector"
)

func TestParseThreshold(t *testing.T) {
	tests := []struct {
		key, expr       string
		variant, metric string
		agg             string
		pct             float64
		op              string
		value           float64
	}{
		{"latency", "p(99) < 50ms", "", "latency", "p", 99, "<", 50e6},
		{"warm.blocked", "p(95)<1ms", "warm", "blocked", "p", 95, "<", 1e6},
		{"latency", "avg <= 200", "", "latency", "avg", 0, "<=", 200e6}, // a bare number is ms, as in k6
		{"service", "med > 1.5s", "", "service", "med", 0, ">", 1.5e9},
		{"wait", "max != 250us", "", "wait", "max", 0, "!=", 250e3},
		{"wait", "max == 250µs", "", "wait", "max", 0, "==", 250e3},
		{"schedule_lag", "min >= 1m", "", "schedule_lag", "min", 0, ">=", 60e9},
		{"latency", "p(99.9) < 1e2 ms", "", "latency", "p", 99.9, "<", 1e8},
		{"dial", "p( 0 ) > 0ns", "", "dial", "p", 0, ">", 0},
		{"dropped_iterations", "count == 0", "", "dropped_iterations", "count", 0, "==", 0},
		{"errors", "rate < 0.01", "", "errors", "rate", 0, "<", 0.01},
		{"cold.iterations", " rate > 100 ", "cold", "iterations", "rate", 0, ">", 100},
		{"pool.v2.interrupted", "count<=3", "pool.v2", "interrupted", "count", 0, "<=", 3},
	}
	for _, tc := range tests {
		t.Run(tc.key+" "+tc.expr, func(t *testing.T) {
			th, err := ParseThreshold(tc.key, tc.expr)
			if err != nil {
				t.Fatal(err)
			}
			if th.Variant != tc.variant || th.Metric != tc.metric || th.Agg != tc.agg || th.Percentile != tc.pct ||
				th.Op != tc.op || th.Value != tc.value {
				t.Errorf("got %+v", th)
			}
		})
	}
}

func TestParseThresholdErrors(t *testing.T) {
	tests := []struct {
		key, expr string
		inKey     bool
		want      string
	}{
		{"latency", "p99 < 50ms", false, `unknown aggregation "p99" (write p(99))`},
		{"latency", "p99.9 < 50ms", false, `unknown aggregation "p99.9" (write p(99.9))`},
		{"latency", "p(120) < 5ms", false, `percentile 120 is outside 0–100`},
		{"latency", "p(-1) < 5ms", false, `percentile -1 is outside 0–100`},
		{"latency", "p(abc) < 5ms", false, `percentile "abc" is not a number (write p(99))`},
		{"latency", "p(NaN) < 5ms", false, `percentile NaN is not a number (write p(99))`},
		{"latency", "p(99 < 5ms", false, `unclosed "p(99 < 5ms" (write p(99))`},
		{"latency", "mean < 5ms", false, `unknown aggregation "mean" (one of avg, min, max, med, p(N))`},
		{"errors", "total > 1", false, `unknown aggregation "total" (one of count, rate)`},
		{"latency", "count < 5", false, `aggregation "count" does not apply to latency, a timing (use avg, min, max, med or p(N))`},
		{"errors", "p(99) < 5", false, `aggregation "p(99)" does not apply to errors, a counter (use count or rate)`},
		{"latency", "p(99) 50ms", false, `missing operator after "p(99)" (one of <, <=, >, >=, ==, !=)`},
		{"latency", "p(99) = 50ms", false, `unknown operator "=" (one of <, <=, >, >=, ==, !=)`},
		{"latency", "p(99) =< 50ms", false, `unknown operator "=<" (one of <, <=, >, >=, ==, !=)`},
		{"latency", "p(99) <", false, `missing value after "<"`},
		{"latency", "p(99) < fast", false, `value "fast" is not a number (write e.g. p(99) < 50ms)`},
		{"latency", "p(99) < 5sec", false, `unknown unit "sec" in "5sec" (one of ns, us, µs, ms, s, m)`},
		{"latency", "p(99) < 5ms or so", false, `unexpected "or so" after the value "5ms"`},
		{"dropped_iterations", "count == 0ms", false, `count of dropped_iterations takes a plain number, not "0ms"`},
		{"latency", "  ", false, `empty expression (write e.g. p(99) < 50ms)`},
		{"errors", "< 1", false, `missing aggregation before "< 1" (write e.g. count == 0)`},
		{"latncy", "p(99) < 5ms", true, `unknown metric "latncy" (one of latency, service, schedule_lag, blocked, ` +
			`connecting, dns, dial, handshake, wait, receiving, sending, iterations, dropped_iterations, errors, interrupted)`},
		{".latency", "p(99) < 5ms", true, `empty variant name before the dot in ".latency" (write variant.metric, e.g. warm.latency)`},
		{"warm.", "p(99) < 5ms", true, `no metric in "warm." (write a metric such as latency, or variant.metric)`},
	}
	for _, tc := range tests {
		t.Run(tc.key+" "+tc.expr, func(t *testing.T) {
			_, err := ParseThreshold(tc.key, tc.expr)
			var te *ThresholdError
			if !errors.As(err, &te) {
				t.Fatalf("error %v, want a *ThresholdError", err)
			}
			if te.Error() != tc.want || te.Key != tc.inKey {
				t.Errorf("got %q (in key: %v)\nwant %q (in key: %v)", te.Error(), te.Key, tc.want, tc.inKey)
			}
		})
	}
}

// thresholdRecord: cold 10–20 ms with blocked 5 ms and 2 drops, warm 1–2 ms
// with blocked 100 µs and 1 error; 3 seconds × 100 iterations each.
func thresholdRecord(t *testing.T, thresholds map[string][]string) *collector.Record {
	cold := testrecord.Interval{N: 100, Latency: testrecord.Spread(10*ms, 20*ms, 100), Blocked: testrecord.Const(5 * ms)}
	warm := testrecord.Interval{N: 100, Latency: testrecord.Spread(1*ms, 2*ms, 100), Blocked: testrecord.Const(100 * us)}
	coldIvs := testrecord.Seconds(3, cold)
	coldIvs[0].Dropped = 2
	warmIvs := testrecord.Seconds(3, warm)
	warmIvs[1].Errors = 1
	return open(t, testrecord.Record{Thresh: thresholds, Windows: []testrecord.Window{
		{Variant: "cold", Rep: 1, Intervals: coldIvs}, {Variant: "warm", Rep: 1, Intervals: warmIvs}}})
}

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
