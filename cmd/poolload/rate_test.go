package main

import (
	"math"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/poolload/poolload/record"
)

// 100/s for 2 s with iterations of 500 ms: every iteration starts on time,
// so the achieved rate is 100/s, not 200 over the 2.5 s to the last VU
// done, and a rate threshold judges that; and the half second of drain
// joins the last interval instead of becoming one of a few milliseconds,
// whose live status line would read thousands per second.
func TestAchievedRateLeavesOutTheDrain(t *testing.T) {
	file := writeFile(t, "drain.yaml", `name: drain
target: {driver: noop, noop: {delay: 500ms}}
load: {executor: constant-arrival-rate, rate: 100, duration: 2s, pre_allocated_vus: 80, graceful_stop: 2s}
thresholds: {iterations: ["rate > 99"]}
output: {interval: 1s}
`)
	out := t.TempDir()
	code, stdout, stderr := runCLI(t, "run", "--no-plots", "--out", out, file)
	if code != exitOK {
		t.Fatalf("exit %d (99: the rate threshold failed)\n%s\n%s", code, stdout, stderr)
	}
	lines := regexp.MustCompile(`t=\S+\s+rate=\s*([0-9.]+)/s`).FindAllStringSubmatch(stdout, -1)
	if len(lines) != 2 {
		t.Errorf("%d live status lines, want one per interval (2):\n%s", len(lines), stdout)
	}
	for _, m := range lines {
		if v, _ := strconv.ParseFloat(m[1], 64); v > 150 {
			t.Errorf("a live status line says rate=%s/s at an offered 100/s:\n%s", m[1], stdout)
		}
	}
	s := readSummary(t, out)
	w := s.Windows[0]
	if w.Totals.Iterations != 200 || w.Totals.Dropped != 0 {
		t.Fatalf("totals %+v: the check needs every iteration started on time", w.Totals)
	}
	if math.Abs(w.Rate-100) > 0.01 || math.Abs(s.Variants[0].Rate-100) > 0.01 {
		t.Errorf("achieved rate %.2f/s (variant %.2f/s), want 100/s", w.Rate, s.Variants[0].Rate)
	}
	if w.Scheduled != 2 || w.Seconds < 2.4 {
		t.Errorf("scheduled %.3f s, measured %.3f s; want 2 and about 2.5", w.Scheduled, w.Seconds)
	}
	dirs, _ := filepath.Glob(filepath.Join(out, "*"))
	rec, err := record.Open(dirs[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rec.Rows {
		if l := r.Values[record.TEnd] - r.Values[record.TStart]; l < 0.5 {
			t.Errorf("an interval of %.3f s at %.3f s: the drain should join the last interval", l, r.Values[record.TStart])
		}
	}
	if n := len(rec.Rows); n != 2 {
		t.Errorf("%d intervals, want 2 (the drain in the second)", n)
	}
}
