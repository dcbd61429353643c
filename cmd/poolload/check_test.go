package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/poolload/poolload/analysis/testrecord"
	"github.com/poolload/poolload/record"
)

// writeRecord writes a small synthetic record: cold and warm, two seconds
// each, latencies spread over 100–200 µs (warm) and twice that (cold).
func writeRecord(t *testing.T, rate float64, thresholds map[string][]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "run")
	us := time.Microsecond
	cold := testrecord.Interval{N: 50, Latency: testrecord.Spread(200*us, 400*us, 50)}
	warm := testrecord.Interval{N: 50, Latency: testrecord.Spread(100*us, 200*us, 50)}
	err := testrecord.Write(dir, testrecord.Record{Name: "synthetic", Rate: rate, Thresh: thresholds,
		Windows: []testrecord.Window{{Variant: "cold", Rep: 1, Intervals: testrecord.Seconds(2, cold)},
			{Variant: "warm", Rep: 1, Intervals: testrecord.Seconds(2, warm)}}})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestCheckExitCodes(t *testing.T) {
	pass := writeRecord(t, 100, map[string][]string{"latency": {"p(99) < 1ms"}, "warm.latency": {"max < 250us"}})
	fail := writeRecord(t, 100, map[string][]string{"latency": {"p(99) < 1ms"}, "cold.latency": {"p(50) < 250us"}})
	none := writeRecord(t, 100, nil)
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout []string
		stderr string
	}{
		{"all pass", []string{"check", pass}, exitOK, []string{"THRESHOLDS  all 2 passed", "✓ latency", "p(99) < 1ms", "✓ warm.latency"}, ""},
		{"one fails", []string{"check", fail}, exitThreshold,
			[]string{"THRESHOLDS  1 of 2 failed", "✗ cold.latency", "p(50) < 250us", "p(50)=298.0µs"}, "1 of 2 thresholds failed"},
		{"no thresholds", []string{"check", none}, exitOK, []string{"no thresholds"}, ""},
		{"not a record", []string{"check", t.TempDir()}, exitBadInput, nil, "is not a run record"},
		{"missing", []string{"check", "/nonexistent/run"}, exitBadInput, nil, "/nonexistent/run is not a run record"},
		{"a file", []string{"check", filepath.Join(pass, "run.json")}, exitBadInput, nil, "a record is a directory"},
		{"no argument", []string{"check"}, exitBadInput, nil, "RUN is required"},
		{"flag after RUN", []string{"check", pass, "--x"}, exitBadInput, nil, "flags go before RUN"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.stderr) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, tc.code, tc.stderr)
			}
			for _, want := range tc.stdout {
				if !strings.Contains(stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout)
				}
			}
		})
	}
}

// A record whose histogram log is damaged is bad input for every reading
// command (exit 2, naming the file and line), never a record with no data;
// one cut short in its last line is read with a warning.
func TestDamagedRecordIsRefused(t *testing.T) {
	run := writeRecord(t, 100, nil)
	hlog := filepath.Join(run, record.HlogFile)
	b, err := os.ReadFile(hlog)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(hlog, []byte(strings.Replace(string(b), "Tag=warm.1.latency,", "Tag=warm.1.latency,oops,", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range [][]string{{"report", "--out", "-"}, {"check"}, {"diagnose"}, {"plot"}, {"compare", run}} {
		code, _, stderr := runCLI(t, append(cmd, run)...)
		if code != exitBadInput || !strings.Contains(stderr, record.HlogFile+":") {
			t.Errorf("%s: exit %d, stderr %q; want exit 2 naming %s and its line", cmd[0], code, stderr, record.HlogFile)
		}
	}
	if err := os.WriteFile(hlog, b[:len(b)-10], 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, "check", run)
	if code != exitOK || !strings.Contains(stderr, "warning") || !strings.Contains(stderr, "cut short") {
		t.Errorf("cut short: exit %d, stderr %q; want exit 0 with a warning", code, stderr)
	}
}
