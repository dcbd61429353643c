package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// A number out of its range is bad input: validate and run both exit 2
// with one line naming the file, line, column and field, and run touches
// nothing, neither the service it would start nor the output directory
// (issue #14, item 4).
func TestOutOfRangeNumberTouchesNothing(t *testing.T) {
	// The service would start before anything else: its marker is the
	// first trace a run leaves.
	service := "service: {run: \"touch MARKER; sleep 60\", ready: 'tcp://127.0.0.1:1', timeout: 1s}\n"
	noop := "name: limits\ntarget: {driver: noop, noop: {}}\n" + service +
		"load:\n  executor: constant-arrival-rate\n  rate: 10\n  duration: 1s\n  pre_allocated_vus: 1\n"
	mysqlDoc := "name: limits\ntarget:\n  driver: mysql\n  mysql:\n    dsn: root@tcp(127.0.0.1:1)/test\n" +
		"    setup: [\"CREATE TABLE pl_never (id INT)\"]\n    OPTION\n" + service +
		"load: {executor: constant-arrival-rate, rate: 10, duration: 1s, pre_allocated_vus: 1}\n"
	cases := []struct{ name, body, want string }{
		{"rate that overflows the plan", strings.Replace(noop, "rate: 10", "rate: 1e300", 1),
			`f.yaml:6:9: load.rate: must be at most 10000000 per second, got 1e+300`},
		{"duration beyond a window", strings.Replace(noop, "duration: 1s", "duration: 2562047h", 1),
			`f.yaml:7:13: load.duration: must be at most 24h, got 2562047h`},
		{"VUs that overflow", strings.Replace(noop, "vus: 1", "vus: 99999999999999999999", 1),
			`f.yaml:8:22: load.pre_allocated_vus: 99999999999999999999 is out of range (max 100000)`},
		{"max_open alone", strings.Replace(mysqlDoc, "OPTION", "max_open: -1", 1),
			`f.yaml:7:15: target.mysql.max_open: must be between 1 and 100000 (0 means 10), got -1`},
		{"weight 0", strings.Replace(mysqlDoc, "OPTION", "operations: [{sql: SELECT 1, weight: 0}]", 1),
			`f.yaml:7:42: target.mysql.operations[0].weight: must be between 1 and 1000000 (leave it out for 1), got 0`},
		{"a binary file", "\x7fELF\x02\x01\x01\x00" + strings.Repeat("\x00\xff junk", 500),
			// The YAML reader has made each byte that is not UTF-8 a U+FFFD.
			"f.yaml:1:1: expected a mapping of fields, got string " +
				`"\x7fELF\x02\x01\x01\x00\x00` + "\ufffd" + ` junk\x00` + "\ufffd" + ` junk\x00` + "\ufffd" + ` junk\x00` + "\ufffd" + ` "… (4508 bytes)`},
	}
	oneLine := regexp.MustCompile(`^poolload: [^\n]*f\.yaml:\d+:\d+: [^\n]*\n$`)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			file, marker, out := filepath.Join(dir, "f.yaml"), filepath.Join(dir, "service-started"), filepath.Join(dir, "out")
			if err := os.WriteFile(file, []byte(strings.Replace(tc.body, "MARKER", marker, 1)), 0o644); err != nil {
				t.Fatal(err)
			}
			for _, args := range [][]string{{"validate", file}, {"run", "-q", "--out", out, file}} {
				code, _, stderr := runCLI(t, args...)
				if code != exitBadInput || !oneLine.MatchString(stderr) || !strings.HasSuffix(stderr, tc.want+"\n") {
					t.Errorf("%s: exit %d, stderr:\n%s\nwant exit 2 and one line ending in:\n%s", args[0], code, stderr, tc.want)
				}
			}
			for _, p := range []string{marker, out} {
				if _, err := os.Stat(p); err == nil {
					t.Errorf("run left %s behind: it touched something", p)
				}
			}
		})
	}
}
