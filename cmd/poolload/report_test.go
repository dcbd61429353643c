package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReport(t *testing.T) {
	run := writeRecord(t, 100, map[string][]string{"latency": {"p(99) < 1ms"}})
	if err := os.MkdirAll(filepath.Join(run, "plots"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(run, "plots", "latency.png"), []byte("png"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, "report", run)
	if code != exitOK || stdout != "report: "+filepath.Join(run, "report.md")+"\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	md, err := os.ReadFile(filepath.Join(run, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"# poolload report: synthetic", "| metric | variant | p50 |", "## Comparison: cold vs warm",
		"| ✓ | latency | `p(99) < 1ms` |", "![latency](plots/latency.png)"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report.md lacks %q", want)
		}
	}

	code, stdout, _ = runCLI(t, "report", "--out", "-", run)
	if code != exitOK || !strings.HasPrefix(stdout, "# poolload report: synthetic") {
		t.Errorf("--out -: exit %d, %.80q", code, stdout)
	}

	code, stdout, stderr = runCLI(t, "report", "--format", "hdr", "--metric", "latency", "--variant", "cold", run)
	lines := strings.Split(stdout, "\n")
	if code != exitOK || strings.Join(strings.Fields(lines[0]), " ") != "Value Percentile TotalCount 1/(1-Percentile)" ||
		!strings.Contains(stdout, "#[Mean    =") || !strings.Contains(stdout, "Total count    =          100]") {
		t.Errorf("hdr: exit %d, stderr %q\n%s", code, stderr, stdout)
	}

	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{"report", "--format", "xml", run}, `unknown --format "xml"`},
		{[]string{"report", "--metric", "wait", run}, "--metric and --variant go with --format hdr"},
		{[]string{"report", "--format", "hdr", "--variant", "hot", run}, `variant "hot" is not in this record`},
		{[]string{"report", "--format", "hdr", "--metric", "dns", run}, "dns has no samples"},
		{[]string{"report", t.TempDir()}, "is not a run record"},
		{[]string{"report", "--out", t.TempDir(), run}, "is a directory"},
	} {
		if code, _, stderr := runCLI(t, bad.args...); code != exitBadInput || !strings.Contains(stderr, bad.want) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", bad.args, code, stderr, bad.want)
		}
	}
}
