package analysis

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/poolload/poolload/analysis/testrecord"
	"github.com/poolload/poolload/record"
)

func TestMarkdownReport(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	iv := uniform(1*ms, 2*ms, 50)
	err := testrecord.Write(dir, testrecord.Record{Name: "md", Thresh: map[string][]string{"latency": {"p(99) < 1ms"}},
		Windows: []testrecord.Window{{Variant: "cold", Rep: 1, Intervals: testrecord.Seconds(3, iv)},
			{Variant: "warm", Rep: 1, Prelude: record.Prelude{Prewarmed: 4}, Intervals: testrecord.Seconds(3, iv)}}})
	if err != nil {
		t.Fatal(err)
	}
	plots := filepath.Join(dir, record.PlotsDir)
	for name, body := range map[string]string{"latency_over_time.png": "png", "latency_over_time.svg": "svg", "empty.png": ""} {
		if err := os.MkdirAll(plots, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(plots, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rec, err := record.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := WriteMarkdown(&out, rec, Summarize(rec)); err != nil {
		t.Fatal(err)
	}
	md := out.String()
	for _, want := range []string{
		"# poolload report: md\n",
		"| | cold | warm |\n|---|---:|---:|\n| windows | 1 | 1 |",
		"| metric | variant | p50 | p90 | p99 | p99.9 | max |",
		"| latency | cold | ",
		"| variant | rep | status | seconds | iterations | rate | dropped | errors | latency p99 |",
		"## Comparison: cold vs warm",
		"| metric | A | B | B/A | 95% CI of B−A | verdict | A per rep | B per rep |",
		"| latency p99 | 2.00ms | 2.00ms | 1.00 | [0, 0] | not significant |",
		"**time to steady state** (cold): 0s",
		"| ✗ | latency | `p(99) < 1ms` | p(99)=2.00ms |",
		"## Findings\n\n_No problem found. Checked: how the run ended, generator saturation",
		"![latency over time](plots/latency_over_time.png)",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	for _, absent := range []string{"empty.png", ".svg"} {
		if strings.Contains(md, absent) {
			t.Errorf("report embeds %s", absent)
		}
	}
	if t.Failed() {
		t.Log(md)
	}
}

func TestReportFindings(t *testing.T) {
	var b bytes.Buffer
	writeFindingsMD(&b, []Finding{{ID: "pool-starvation", Severity: "critical", Statement: "The pool is too small",
		Evidence: "blocked p99 40ms", Recommendation: "raise max_open_conns"}})
	for _, want := range []string{"- **critical** `pool-starvation`: The pool is too small", "evidence: blocked p99 40ms",
		"recommendation: raise max\\_open\\_conns"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("findings lack %q:\n%s", want, b.String())
		}
	}
	if strings.Contains(b.String(), "No problem found") {
		t.Error("the placeholder is shown although there are findings")
	}
}

func TestHdrOutput(t *testing.T) {
	t.Parallel()
	rec := open(t, testrecord.Record{Windows: []testrecord.Window{
		{Variant: "cold", Rep: 1, Intervals: []testrecord.Interval{uniform(1*ms, 2*ms, 1000)}},
		{Variant: "warm", Rep: 1, Intervals: []testrecord.Interval{uniform(1*ms, 2*ms, 10)}}}})
	var out strings.Builder
	if err := WriteHdr(&out, rec, "latency", "cold"); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if strings.Join(strings.Fields(lines[0]), " ") != "Value Percentile TotalCount 1/(1-Percentile)" || lines[1] != "" {
		t.Errorf("header %q %q", lines[0], lines[1])
	}
	if !strings.HasPrefix(lines[0], "       Value     Percentile TotalCount 1/(1-Percentile)") {
		t.Errorf("header not in Java's spacing: %q", lines[0])
	}
	first := strings.Fields(lines[2])
	if len(first) != 4 || first[0] != "1.000" || first[1] != "0.000000" || first[2] != "1" || first[3] != "1.00" {
		t.Errorf("first row %q", lines[2])
	}
	last := strings.Fields(lines[len(lines)-4])
	if len(last) != 4 || last[1] != "1.000000" || last[2] != "1000" || last[3] != "inf" {
		t.Errorf("last row %q", lines[len(lines)-4])
	}
	foot := lines[len(lines)-3:]
	for i, prefix := range []string{"#[Mean    =        1.500, StdDeviation   =", "#[Max     =        2.001, Total count    =         1000]",
		"#[Buckets =           32, SubBuckets     =         2048]"} {
		if !strings.HasPrefix(foot[i], prefix) {
			t.Errorf("footer line %d %q, want %q…", i, foot[i], prefix)
		}
	}
	for _, bad := range []struct{ metric, variant, want string }{
		{"latncy", "", `unknown metric "latncy"`}, {"latency", "hot", `variant "hot" is not in this record`},
		{"dns", "", "dns has no samples"}} {
		if err := WriteHdr(&out, rec, bad.metric, bad.variant); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s/%s: %v, want %q", bad.metric, bad.variant, err, bad.want)
		}
	}
}
