package threshold

import (
	"errors"
	"testing"
)

func TestParse(t *testing.T) {
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
			th, err := Parse(tc.key, tc.expr)
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
			`connecting, dns, dial, handshake, wait, receiving, sending, tls, iterations, dropped_iterations, errors, interrupted)`},
		{".latency", "p(99) < 5ms", true, `empty variant name before the dot in ".latency" (write variant.metric, e.g. warm.latency)`},
		{"warm.", "p(99) < 5ms", true, `no metric in "warm." (write a metric such as latency, or variant.metric)`},
	}
	for _, tc := range tests {
		t.Run(tc.key+" "+tc.expr, func(t *testing.T) {
			_, err := Parse(tc.key, tc.expr)
			var te *Error
			if !errors.As(err, &te) {
				t.Fatalf("error %v, want a *Error", err)
			}
			if te.Error() != tc.want || te.Key != tc.inKey {
				t.Errorf("got %q (in key: %v)\nwant %q (in key: %v)", te.Error(), te.Key, tc.want, tc.inKey)
			}
		})
	}
}
