package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestCompareRecords(t *testing.T) {
	a := writeRecord(t, 500, nil)
	same := writeRecord(t, 520, nil)
	double := writeRecord(t, 1000, nil)
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"same load", []string{"compare", a, same}, exitOK, "COMPARISON  cold: A (1 repetition) vs B (1 repetition)", ""},
		{"twice the load", []string{"compare", a, double}, exitBadInput, "",
			"poolload: the loads differ: A offered 500/s, B 1000/s; a comparison would be meaningless\n"},
		{"not a record", []string{"compare", a, t.TempDir()}, exitBadInput, "", "is not a run record"},
		{"one argument", []string{"compare", a}, exitBadInput, "", "RUN_A RUN_B is required"},
		{"flag after the records", []string{"compare", a, same, "--json"}, exitBadInput, "", "flags go before RUN_A RUN_B"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tc.args...)
			if code != tc.code || !strings.Contains(stdout, tc.stdout) || !strings.Contains(stderr, tc.stderr) {
				t.Errorf("exit %d\nstdout %s\nstderr %q\nwant exit %d, %q, %q", code, stdout, stderr, tc.code, tc.stdout, tc.stderr)
			}
		})
	}
	code, stdout, _ := runCLI(t, "compare", "--json", a, same)
	var rc struct {
		Pairs []struct {
			A    struct{ Variant string }
			Rows []struct{ Metric, Verdict string }
		}
	}
	if err := json.Unmarshal([]byte(stdout), &rc); code != exitOK || err != nil || len(rc.Pairs) != 2 || rc.Pairs[0].A.Variant != "cold" {
		t.Errorf("--json: exit %d, %v, %+v", code, err, rc)
	}
}

// A server that is the bottleneck, for real: CPU-bound queries on a 2-core
// machine. Going from a pool of 2 to a pool of 16 runs 8 at once, and each
// gets slower; compare says the server, not the pool, is the limit.
func TestCompareFindsTheServerIsTheLimit(t *testing.T) {
	const sc = `name: cpu
target:
  driver: mysql
  mysql:
    server: managed
    max_open: %d
    acquire_timeout: 1s
    operations: [{sql: "SELECT BENCHMARK(20000, MD5('poolload'))"}]
load: {executor: constant-arrival-rate, rate: 600, duration: 3s, pre_allocated_vus: 40}
output: {interval: 250ms}
`
	var dirs []string
	for _, pool := range []int{2, 16} {
		rec := runRecord(t, writeFile(t, "cpu.yaml", fmt.Sprintf(sc, pool)))
		dirs = append(dirs, rec.Dir)
		// The record keeps its intervals on a loaded machine: 12 ticks in
		// 3 s, of which an overloaded one (two test runs beside this one)
		// has been seen to lose 3; a tick that waited for the histograms
		// to be written lost all but 2.
		if n := len(rec.Series("default", 1)); n < 8 {
			t.Errorf("pool %d: %d intervals in a 3 s window with interval 250ms: want 12, at least 8", pool, n)
		}
	}
	code, stdout, stderr := runCLI(t, "compare", dirs[0], dirs[1])
	if code != exitOK || !strings.Contains(stdout, "server-is-the-limit") || !strings.Contains(stdout, "keep max_open at 2") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
}
