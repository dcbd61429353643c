package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/poolload/poolload/analysis"
	"github.com/poolload/poolload/collector"
	"github.com/poolload/poolload/driver/mysqlserver/mysqltest"
	"github.com/poolload/poolload/record"
)

// cliEnv makes the test binary run the CLI with its arguments, so that a
// test can start several poolload processes at once.
const cliEnv = "POOLLOAD_TEST_CLI"

func TestMain(m *testing.M) {
	if os.Getenv(cliEnv) == "1" {
		os.Exit(run(append([]string{"poolload"}, os.Args[1:]...), os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

const segmentScenario = `name: split
target: {driver: noop, noop: {delay: 2ms}}
load: {executor: constant-arrival-rate, rate: 400, duration: 2s, pre_allocated_vus: 64, graceful_stop: 1s}
variants:
  - name: cold
  - name: warm
    warmup: {rate: 200, duration: 500ms}
output: {interval: 500ms}
`

// Four processes, each a segment of one load on one timeline, merged: the
// merged record starts exactly the one-process plan's iterations, its
// histograms are exactly the union of the segments', and the segments
// began each window within 5 ms of each other.
func TestSegmentsMergeIntoTheWholeLoad(t *testing.T) {
	file := writeFile(t, "split.yaml", segmentScenario)
	const n = 4
	recs := runSegments(t, file, n, 4*time.Second, "1s", exitOK)
	merged := filepath.Join(t.TempDir(), "merged")
	code, stdout, stderr := runCLI(t, append([]string{"merge", "--no-plots", merged}, recs...)...)
	if code != exitOK {
		t.Fatalf("merge: exit %d\n%s\n%s", code, stdout, stderr)
	}
	t.Logf("merge said:\n%s", stdout)
	rec, err := record.Open(merged)
	if err != nil {
		t.Fatal(err)
	}
	// One spread per window, each under 5 ms: a missing line must not pass.
	spreads := regexp.MustCompile(`t0 spread ([^ ]+) across`).FindAllStringSubmatch(stdout, -1)
	if len(spreads) != len(rec.Info.Windows) || len(spreads) == 0 {
		t.Errorf("merge printed %d t0 spreads for %d windows", len(spreads), len(rec.Info.Windows))
	}
	for _, m := range spreads {
		if d, err := time.ParseDuration(m[1]); err != nil || d >= 5*time.Millisecond {
			t.Errorf("t0 spread %s: want under 5 ms", m[1])
		}
	}
	var segs []*record.Record
	for _, d := range recs {
		r, err := record.Open(d)
		if err != nil {
			t.Fatal(err)
		}
		segs = append(segs, r)
	}
	for k, w := range rec.Info.Windows {
		if w.Planned != 800 || w.Totals.Started() != 800 || w.Totals.Dropped != 0 {
			t.Errorf("%s: planned %d, started %d, dropped %d; want the one-process plan's 800", w.Variant, w.Planned, w.Totals.Started(), w.Totals.Dropped)
		}
		for _, m := range []collector.Metric{collector.Latency, collector.ScheduleLag} {
			union := collector.NewHistogram()
			for _, s := range segs {
				union.Merge(s.Merged(w.Variant, w.Rep, m))
			}
			got := rec.Merged(w.Variant, w.Rep, m)
			for _, q := range []float64{50, 90, 99, 100} {
				if got.ValueAtQuantile(q) != union.ValueAtQuantile(q) || got.TotalCount() != union.TotalCount() {
					t.Errorf("window %d %v p%v: merged %d (n=%d), union of the segments %d (n=%d)", k+1, m, q,
						got.ValueAtQuantile(q), got.TotalCount(), union.ValueAtQuantile(q), union.TotalCount())
				}
			}
		}
	}
	// Each segment's own gauges are kept beside their sum.
	own := record.HarnessCPUCores + record.SegmentSuffix(n)
	if !slices.Contains(rec.Info.Gauges, own) {
		t.Errorf("the merged record's gauges %v lack %s", rec.Info.Gauges, own)
	} else if v, ok := rec.Rows[0].Values[own]; !ok || !(v >= 0) {
		t.Errorf("%s in the first interval: %v", own, v)
	}
	if _, err := os.Stat(filepath.Join(merged, record.SummaryFile)); err != nil {
		t.Errorf("the merged record has no summary: %v", err)
	}
	readsMerged(t, merged, recs[0])
	// What merge refuses, and says why.
	other := otherPlan(t, recs[n-1])
	for _, tc := range []struct {
		recs []string
		want string
	}{
		{recs[:3], "segment 4/4 missing"},
		{append([]string{recs[0]}, recs[:4]...), "given twice"},
		{append(slices.Clone(recs[:3]), other), other + " ran another plan than " + recs[0]},
	} {
		out := filepath.Join(t.TempDir(), "bad")
		code, _, stderr := runCLI(t, append([]string{"merge", "--no-plots", out}, tc.recs...)...)
		if code != exitBadInput || !strings.Contains(stderr, tc.want) {
			t.Errorf("merge of %d records: exit %d, %q; want %q", len(tc.recs), code, stderr, tc.want)
		}
	}
}

// A cold-vs-warm load against the local MariaDB over an emulated link, run
// once in one process and once as two segments merged: the comparison's
// significant verdicts and the findings about the target are the same.
// (Findings about the generating host may differ: two processes share it.)
func TestMergedRecordReadsLikeOneProcess(t *testing.T) {
	file := writeFile(t, "cvw.yaml", fmt.Sprintf(`name: cvw
target:
  driver: mysql
  network: {latency: 2ms}
  mysql:
    dsn: %q
    max_open: 16
    acquire_timeout: 2s
    operations: [{sql: SELECT 1, hold: 10ms}]
load: {executor: constant-arrival-rate, rate: 400, duration: 1s, pre_allocated_vus: 64, graceful_stop: 1s}
variants:
  - name: cold
  - name: warm
    prewarm: 16
repeat: 3
output: {interval: 250ms}
`, mysqltest.DSN(t)))
	one := t.TempDir()
	if code, stdout, stderr := runCLI(t, "run", "-q", "--no-plots", "--out", one, file); code != exitOK {
		t.Fatalf("one process: exit %d\n%s\n%s", code, stdout, stderr)
	}
	single := readSummary(t, one)

	recs := runSegments(t, file, 2, 4*time.Second, "4s", exitOK)
	mergedDir := filepath.Join(t.TempDir(), "merged")
	if code, stdout, stderr := runCLI(t, append([]string{"merge", "--no-plots", mergedDir}, recs...)...); code != exitOK {
		t.Fatalf("merge: exit %d\n%s\n%s", code, stdout, stderr)
	}
	merged := readSummaryAt(t, mergedDir)
	// compare sets the merged load against one process's, variant by variant.
	oneRec, _ := filepath.Glob(filepath.Join(one, "*"))
	if len(oneRec) != 1 {
		t.Fatalf("one process wrote %v: want one record", oneRec)
	}
	if code, stdout, stderr := runCLI(t, "compare", "--json", oneRec[0], mergedDir); code != exitOK {
		t.Errorf("compare of one process with the merged segments: exit %d\n%s", code, stderr)
	} else {
		comparedVariants(t, stdout, "cold", "warm")
	}
	if single.Comparison == nil || merged.Comparison == nil {
		t.Fatal("a comparison is missing")
	}
	verdicts := map[string]string{}
	for _, r := range merged.Comparison.Rows {
		verdicts[r.Name()] = r.Verdict
	}
	// Only the strong effects of a cold start: a verdict on a small
	// difference (a p50 a few percent apart) may go either way between
	// any two runs, merged or not.
	significant := 0
	for _, r := range single.Comparison.Rows {
		// The far tail (p99.9, max) is a machine's stalls, not the load's.
		tail := r.Stat == "p99.9" || r.Stat == "max"
		strong := !tail && (r.Ratio != nil && (*r.Ratio >= 2 || *r.Ratio <= 0.5) || r.Metric == "conns_opened")
		if !strong || r.Verdict != analysis.VerdictHigher && r.Verdict != analysis.VerdictLower {
			continue
		}
		significant++
		if verdicts[r.Name()] != r.Verdict {
			t.Errorf("%s: one process says %s, the merged segments %s", r.Name(), r.Verdict, verdicts[r.Name()])
		}
	}
	t.Logf("%d strong significant verdicts compared", significant)
	if significant == 0 {
		t.Error("no significant verdict in one process: the check compares nothing")
	}
	if a, b := targetFindings(single), targetFindings(merged); !slices.Equal(a, b) {
		t.Errorf("findings: one process %v, merged segments %v", a, b)
	}
}

// targetFindings lists the IDs of the warning and critical findings about
// the target, leaving out those about the host that generated the load.
func targetFindings(s *analysis.Summary) []string {
	var ids []string
	for _, f := range targetOnly(s.Findings) {
		if f.Severity != analysis.SevInfo { // info findings sit on a threshold either run may cross
			ids = append(ids, f.ID)
		}
	}
	slices.Sort(ids)
	return ids
}

// readSummaryAt reads summary.json of the record in dir.
func readSummaryAt(t *testing.T, dir string) *analysis.Summary {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, record.SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	var s analysis.Summary
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return &s
}

// merge exits as the one-process run would: 99 when the whole load fails
// a threshold.
func TestMergeExitsOnThresholds(t *testing.T) {
	file := writeFile(t, "thr.yaml", `name: thr
target: {driver: noop, noop: {delay: 2ms}}
load: {executor: constant-arrival-rate, rate: 100, duration: 500ms, pre_allocated_vus: 8}
thresholds: {latency: ["p(99) < 1ms"]}
output: {interval: 250ms}
`)
	// A segment fails no threshold by its share: exit 99 there would fail
	// a Kubernetes index that did its part.
	recs := runSegments(t, file, 2, 4*time.Second, "1s", exitOK)
	merged := filepath.Join(t.TempDir(), "merged")
	code, stdout, stderr := runCLI(t, append([]string{"merge", "--no-plots", merged}, recs...)...)
	if code != exitThreshold || !strings.Contains(stderr, "thresholds failed") {
		t.Errorf("merge: exit %d (want %d)\n%s\n%s", code, exitThreshold, stdout, stderr)
	}
	// check judges the merged record as merge did.
	code, stdout, stderr = runCLI(t, "check", merged)
	if code != exitThreshold || !strings.Contains(stdout, "✗ latency  p(99) < 1ms") || !strings.Contains(stderr, "1 of 1 thresholds failed") {
		t.Errorf("check of the merged record: exit %d (want %d)\n%s\n%s", code, exitThreshold, stdout, stderr)
	}
}

// runSegments runs the n segments of file as n processes on one timeline
// that starts lead from now, with preludes given slot, and returns their
// records once every process has exited with want.
func runSegments(t *testing.T, file string, n int, lead time.Duration, slot string, want int) []string {
	t.Helper()
	start := time.Now().Add(lead).UTC().Format(time.RFC3339Nano)
	var recs []string
	var procs []*exec.Cmd
	var logs []*bytes.Buffer
	for i := 1; i <= n; i++ {
		out := t.TempDir()
		var b bytes.Buffer
		cmd := exec.Command(os.Args[0], "run", "-q", "--no-plots", "--out", out,
			"--segment", fmt.Sprintf("%d/%d", i, n), "--start-at", start, "--prelude-slot", slot, file)
		cmd.Env = append(os.Environ(), cliEnv+"=1")
		cmd.Stdout, cmd.Stderr = &b, &b
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		procs, logs, recs = append(procs, cmd), append(logs, &b), append(recs, out)
	}
	for i, cmd := range procs {
		if err := cmd.Wait(); cmd.ProcessState.ExitCode() != want {
			t.Fatalf("segment %d/%d: %v (want exit %d)\n%s", i+1, n, err, want, logs[i])
		}
		d, _ := filepath.Glob(filepath.Join(recs[i], "*"))
		if len(d) != 1 {
			t.Fatalf("segment %d/%d wrote %v: want one record", i+1, n, d)
		}
		recs[i] = d[0]
	}
	return recs
}

// readsMerged checks that check, compare and report read the merged
// record of segmentScenario as they read one process's: seg is one of
// its segments.
func readsMerged(t *testing.T, merged, seg string) {
	t.Helper()
	rec, err := record.Open(merged)
	if err != nil {
		t.Fatal(err)
	}
	var iterations int64
	for _, w := range rec.Info.Windows {
		iterations += w.Totals.Iterations
	}
	if code, stdout, stderr := runCLI(t, "check", merged); code != exitOK || !strings.Contains(stdout, "no thresholds") {
		t.Errorf("check: exit %d, %q %q; want 0 and no thresholds", code, stdout, stderr)
	}
	code, stdout, stderr := runCLI(t, "compare", "--json", merged, merged)
	if code != exitOK {
		t.Errorf("compare of the merged record with itself: exit %d\n%s", code, stderr)
	} else {
		comparedVariants(t, stdout, "cold", "warm")
	}
	// A segment is a quarter of the load, which compare will not set
	// against the whole.
	if code, _, stderr := runCLI(t, "compare", seg, merged); code != exitBadInput || !strings.Contains(stderr, "the loads differ") {
		t.Errorf("compare of a segment with the merged load: exit %d, %q; want %d and the loads differ", code, stderr, exitBadInput)
	}
	code, stdout, stderr = runCLI(t, "report", "--out", "-", merged)
	for _, want := range []string{"# poolload report: split", "| iterations | 800 | 800 |", "| rate achieved / offered | 400.0 / 400.0 /s |"} {
		if code != exitOK || !strings.Contains(stdout, want) {
			t.Errorf("report: exit %d, %s; want the whole load: %q\n%s", code, stderr, want, stdout)
		}
	}
	code, stdout, stderr = runCLI(t, "report", "--format", "hdr", "--out", "-", merged)
	m := regexp.MustCompile(`Total count\s*=\s*(\d+)`).FindStringSubmatch(stdout)
	if code != exitOK || m == nil || m[1] != fmt.Sprint(iterations) {
		t.Errorf("report --format hdr: exit %d, %s; want a spectrum of all %d iterations\n%s", code, stderr, iterations, stdout)
	}
}

// comparedVariants checks that compare --json's output pairs exactly the
// variants named, each with itself.
func comparedVariants(t *testing.T, out string, variants ...string) {
	t.Helper()
	var rc analysis.RecordComparison
	if err := json.Unmarshal([]byte(out), &rc); err != nil {
		t.Fatalf("compare --json: %v\n%s", err, out)
	}
	var got []string
	for _, p := range rc.Pairs {
		if p.A.Variant != p.B.Variant || len(p.Rows) == 0 {
			t.Errorf("compare paired %s with %s, %d rows", p.A.Variant, p.B.Variant, len(p.Rows))
		}
		got = append(got, p.A.Variant)
	}
	if !slices.Equal(got, variants) {
		t.Errorf("compare paired the variants %v, want %v", got, variants)
	}
}

// otherPlan copies the segment record dir with another plan hash in its
// run.json, as a segment of another scenario would have.
func otherPlan(t *testing.T, dir string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "other-plan")
	if err := os.CopyFS(out, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(out, record.RunFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var info map[string]any
	if err := json.Unmarshal(b, &info); err != nil {
		t.Fatal(err)
	}
	info["plan_hash"] = "0123456789abcdef01234567"
	if b, err = json.Marshal(info); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}
