package scenario

import (
	"strings"
	"testing"
)

// withTarget is validDoc with its target block replaced by block (written
// at the indentation of target's fields).
func withTarget(block string) string {
	return strings.Replace(validDoc, "  driver: noop\n  noop: {}\n", block, 1)
}

// withLoad is validDoc with the load's rate and duration lines replaced.
func withLoad(lines string) string {
	return strings.Replace(validDoc, "  rate: 10\n  duration: 1s\n", lines, 1)
}

const (
	mysqlTarget = "  driver: mysql\n  mysql:\n    dsn: root@tcp(127.0.0.1:1)/test\n"
	httpTarget  = "  driver: http\n  http:\n    base_url: http://127.0.0.1:1\n"
	rampLoad    = "  executor: ramping-arrival-rate\n"
)

// Every number a scenario holds has a range: what is out of it is refused
// with one message, at the field written, before anything runs (issue #14,
// item 4). Each row failed before the ranges existed: it was accepted, or
// said something else, or said more.
func TestOutOfRangeNumbers(t *testing.T) {
	ramp := func(stages string) string {
		return strings.Replace(withLoad(stages), "  executor: constant-arrival-rate\n", rampLoad, 1)
	}
	cases := []struct{ name, doc, want string }{
		// The load: rate × duration must plan a bounded number of iterations.
		{"rate that overflows the plan", withLoad("  rate: 1e300\n  duration: 1s\n"),
			`x.yaml:6:9: load.rate: must be at most 10000000 per second, got 1e+300`},
		{"rate and duration far too large", withLoad("  rate: 1e9\n  duration: 1000000h\n"),
			"x.yaml:6:9: load.rate: must be at most 10000000 per second, got 1000000000\n" +
				"x.yaml:7:13: load.duration: must be at most 24h, got 1000000h"},
		{"duration just inside time.Duration", withLoad("  rate: 10\n  duration: 2562047h\n"),
			`x.yaml:7:13: load.duration: must be at most 24h, got 2562047h`},
		{"rate per millisecond", withLoad("  rate: 100000\n  duration: 1s\n  time_unit: 1ms\n"),
			`x.yaml:6:9: load.rate: must be at most 10000 per 1ms (10000000 per second), got 100000`},
		{"rate that starts nothing", withLoad("  rate: 1e-12\n  duration: 1s\n"),
			`x.yaml:6:9: load.rate: 1e-12 per 1s over 1s starts no iteration`},
		{"rate too large to read", withLoad("  rate: 1e400\n  duration: 1s\n"),
			`x.yaml:6:9: load.rate: 1e400 is out of range (max 10000000 per second)`},
		{"rate not a number", withLoad("  rate: .nan\n  duration: 1s\n"),
			`x.yaml:6:9: load.rate: expected a finite number, got number .nan`},
		{"rate infinite", withLoad("  rate: .inf\n  duration: 1s\n"),
			`x.yaml:6:9: load.rate: expected a finite number, got number .inf`},
		{"time unit", validDoc + "  time_unit: 1000000h\n",
			`x.yaml:9:14: load.time_unit: must be at most 24h, got 1000000h`},
		{"graceful stop", validDoc + "  graceful_stop: 25h\n",
			`x.yaml:9:18: load.graceful_stop: must be at most 24h, got 25h`},
		{"ramp target", ramp("  stages: [{target: 1e9, duration: 1s}]\n"),
			`x.yaml:6:21: load.stages[0].target: must be at most 10000000 per second, got 1000000000`},
		{"ramp start rate", ramp("  start_rate: 1e300\n  stages: [{target: 1, duration: 1s}]\n"),
			`x.yaml:6:15: load.start_rate: must be at most 10000000 per second, got 1e+300`},
		{"ramp stage duration", ramp("  stages: [{target: 1, duration: 2562047h}]\n"),
			`x.yaml:6:34: load.stages[0].duration: must be at most 24h, got 2562047h`},
		{"ramp longer than a window", ramp("  stages: [{target: 1, duration: 20h}, {target: 1, duration: 20h}]\n"),
			`x.yaml:6:3: load.stages: the stages last 40h in all; a window may last at most 24h`},

		// Whole numbers: too large to read says the field's range.
		{"VUs that overflow", strings.Replace(validDoc, "pre_allocated_vus: 1", "pre_allocated_vus: 99999999999999999999", 1),
			`x.yaml:8:22: load.pre_allocated_vus: 99999999999999999999 is out of range (max 100000)`},
		{"VUs that underflow", strings.Replace(validDoc, "pre_allocated_vus: 1", "pre_allocated_vus: -99999999999999999999", 1),
			`x.yaml:8:22: load.pre_allocated_vus: -99999999999999999999 is out of range (min 1)`},
		{"VUs written as a huge float", strings.Replace(validDoc, "pre_allocated_vus: 1", "pre_allocated_vus: 1e30", 1),
			`x.yaml:8:22: load.pre_allocated_vus: 1e30 is out of range (max 100000)`},
		{"VUs too many, max_vus unwritten", strings.Replace(validDoc, "pre_allocated_vus: 1", "pre_allocated_vus: 200000", 1),
			`x.yaml:8:22: load.pre_allocated_vus: must be between 1 and 100000, got 200000`},
		{"VUs at int64's max", strings.Replace(validDoc, "pre_allocated_vus: 1", "pre_allocated_vus: 9223372036854775807", 1),
			`x.yaml:8:22: load.pre_allocated_vus: must be between 1 and 100000, got 9223372036854775807`},
		{"repeat that overflows", validDoc + "repeat: 99999999999999999999\n",
			`x.yaml:9:9: repeat: 99999999999999999999 is out of range (max 1000)`},
		{"instances", strings.Replace(validDoc, "  noop: {}\n", "  noop: {}\n  instances: 99999999999999999999\n", 1),
			`x.yaml:4:14: target.instances: 99999999999999999999 is out of range (max 10000)`},
		{"instances in int64", strings.Replace(validDoc, "  noop: {}\n", "  noop: {}\n  instances: 20000\n", 1),
			`x.yaml:4:14: target.instances: must be between 1 and 10000 (0 means 1), got 20000`},

		// Variants and the service.
		{"warm-up", validDoc + "variants: [{name: w, warmup: {rate: 1e300, duration: 1000000h}}]\n",
			"x.yaml:9:37: variants[0].warmup.rate: must be at most 10000000 per second, got 1e+300\n" +
				"x.yaml:9:54: variants[0].warmup.duration: must be at most 24h, got 1000000h"},
		{"idle", validDoc + "variants: [{name: w, idle: 25h}]\n",
			`x.yaml:9:28: variants[0].idle: must be at most 24h, got 25h`},
		{"prewarm", withTarget(mysqlTarget) + "variants: [{name: w, prewarm: 99999999999999999999}]\n",
			`x.yaml:10:31: variants[0].prewarm: 99999999999999999999 is out of range (max 100000)`},
		{"service timeout", validDoc + "service: {run: x, ready: 'tcp://127.0.0.1:1', timeout: 1000000h}\n",
			`x.yaml:9:56: service.timeout: must be at most 24h, got 1000000h`},
		{"before timeout", validDoc + "variants: [{name: w, before: {run: x, timeout: 25h}}]\n",
			`x.yaml:9:48: variants[0].before.timeout: must be at most 24h, got 25h`},
		{"a run of 48000 hours", withLoad("  rate: 10\n  duration: 24h\n") + "variants: [{name: a}, {name: b}]\nrepeat: 1000\n",
			`x.yaml:10:9: repeat: 1000 repetitions of 2 variants would take 48000h in all; a run may take at most 744h`},

		// Driver blocks.
		{"noop delay", withTarget("  driver: noop\n  noop: {delay: 1000000h, jitter: 25h}\n"),
			"x.yaml:3:17: target.noop.delay: must be at most 24h, got 1000000h\n" +
				"x.yaml:3:35: target.noop.jitter: must be at most 24h, got 25h"},
		// A number too large to read is found before the rest is checked,
		// as every value that cannot be read is.
		{"noop error rate", withTarget("  driver: noop\n  noop: {delay: 1000000h, error_rate: 1e400}\n"),
			"x.yaml:3:39: target.noop.error_rate: 1e400 is out of range (max 1)"},
		{"max_open alone, not the max_idle it implies", withTarget(mysqlTarget + "    max_open: -1\n"),
			`x.yaml:5:15: target.mysql.max_open: must be between 1 and 100000 (0 means 10), got -1`},
		{"max_open that overflows", withTarget(mysqlTarget + "    max_open: 99999999999999999999\n"),
			`x.yaml:5:15: target.mysql.max_open: 99999999999999999999 is out of range (max 100000)`},
		{"weight 0", withTarget(mysqlTarget + "    operations: [{sql: SELECT 1, weight: 0}, {sql: SELECT 2, weight: 0}]\n"),
			"x.yaml:5:42: target.mysql.operations[0].weight: must be between 1 and 1000000 (leave it out for 1), got 0\n" +
				"x.yaml:5:70: target.mysql.operations[1].weight: must be between 1 and 1000000 (leave it out for 1), got 0"},
		{"weights whose sum overflows", withTarget(mysqlTarget + "    operations: [{sql: SELECT 1, weight: 9223372036854775807}, {sql: SELECT 2, weight: 9223372036854775807}]\n"),
			"x.yaml:5:42: target.mysql.operations[0].weight: must be between 1 and 1000000 (leave it out for 1), got 9223372036854775807\n" +
				"x.yaml:5:88: target.mysql.operations[1].weight: must be between 1 and 1000000 (leave it out for 1), got 9223372036854775807"},
		{"mysql durations", withTarget(mysqlTarget + "    conn_max_lifetime: 1000000h\n    operations: [{sql: SELECT 1, hold: 25h}]\n"),
			"x.yaml:5:24: target.mysql.conn_max_lifetime: must be at most 24h, got 1000000h\n" +
				"x.yaml:6:40: target.mysql.operations[0].hold: must be at most 24h, got 25h"},
		{"http fields", withTarget(httpTarget + "    requests: [{path: /}]\n    timeout: 25h\n    max_conns: 200000\n"),
			"x.yaml:6:14: target.http.timeout: must be at most 24h, got 25h\n" +
				"x.yaml:7:16: target.http.max_conns: must be between 0 (no cap) and 100000, got 200000"},
		{"http weight 0", withTarget(httpTarget + "    requests: [{path: /, weight: 0}]\n"),
			"x.yaml:5:34: target.http.requests[0].weight: must be between 1 and 1000000 (leave it out for 1), got 0"},
		{"http status", withTarget(httpTarget + "    requests: [{path: /}]\n    expect_status: [99999999999999999999]\n"),
			"x.yaml:6:21: target.http.expect_status[0]: 99999999999999999999 is out of range (max 599)"},
		{"network", withTarget(httpTarget + "    requests: [{path: /}]\n  network: {latency: 1000000h, bandwidth: 2Tbit, reset_after_bytes: 2TiB, refuse_new: [{from: 0s, for: 25h}]}\n"),
			"x.yaml:6:22: target.network.latency: must be at most 1m, got 1000000h\n" +
				"x.yaml:6:43: target.network.bandwidth: must be between 0 (unlimited) and 1Tbit, got 2Tbit\n" +
				"x.yaml:6:69: target.network.reset_after_bytes: must be between 0 (never) and 1TiB, got 2TiB\n" +
				"x.yaml:6:104: target.network.refuse_new[0].for: must be at most 24h, got 25h"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse("x.yaml", []byte(tc.doc), envOf(nil))
			if s != nil || err == nil {
				t.Fatalf("accepted; want:\n%s", tc.want)
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

// The largest value of every range is accepted.
func TestRangeEdgesAreAccepted(t *testing.T) {
	for _, doc := range []string{
		strings.Replace(withLoad("  rate: 10000000\n  duration: 24h\n"), "pre_allocated_vus: 1", "pre_allocated_vus: 100000", 1) +
			"  time_unit: 1s\n  graceful_stop: 24h\nrepeat: 31\n",
		withLoad("  rate: 600000000\n  duration: 1s\n  time_unit: 1m\n"),
		strings.Replace(withLoad("  stages: [{target: 10000000, duration: 12h}, {target: 0, duration: 12h}]\n"),
			"  executor: constant-arrival-rate\n", rampLoad, 1),
		withTarget(mysqlTarget+"    max_open: 100000\n    max_idle: 100000\n    conn_max_lifetime: 24h\n"+
			"    operations: [{sql: SELECT 1, weight: 1000000}, {sql: SELECT 2}]\n") +
			"variants: [{name: w, prewarm: 100000, idle: 24h, warmup: {rate: 10000000, duration: 24h}}]\n",
	} {
		if _, err := Parse("x.yaml", []byte(doc), envOf(nil)); err != nil {
			t.Errorf("%v\nin:\n%s", err, doc)
		}
	}
}

// A file that is not YAML text is quoted by its first bytes, escaped, not
// whole.
func TestBinaryFileIsQuotedShort(t *testing.T) {
	data := append([]byte("\x7fELF\x02\x01\x01\x00\x00\x00\x00"), []byte(strings.Repeat("junk ", 400))...)
	_, err := Parse("bin.yaml", data, envOf(nil))
	want := `bin.yaml:1:1: expected a mapping of fields, got string "\x7fELF\x02\x01\x01\x00\x00\x00\x00junk junk junk junk junk junk"… (2010 bytes)`
	if err == nil || err.Error() != want {
		t.Fatalf("got:\n%v\nwant:\n%s", err, want)
	}
	long := "a: 1\n" + strings.Repeat("k\x01", 100) + ": 2\n"
	_, err = Parse("key.yaml", []byte(long), envOf(nil))
	if err == nil || strings.Count(err.Error(), `k\x01`) > 40 || strings.ContainsRune(err.Error(), '\x01') {
		t.Fatalf("a long key with control bytes is shown whole or raw: %q", err)
	}
}
