package main

import (
	"encoding/json"
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
