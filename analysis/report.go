package analysis

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/poolload/poolload/record"
)

// WriteMarkdown writes the report of record r, summarised as s, in
// Markdown that reads well on a code host: run facts, the scenario, the
// summary tables, the comparison with its intervals, thresholds, findings
// and the record's plots (PNG files in r.Dir/plots, linked relatively so
// the report works beside the record).
func WriteMarkdown(w io.Writer, r *record.Record, s *Summary) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# poolload report: %s\n\n", mdText(s.Scenario))
	writeFacts(&b, r)
	writeScenario(&b, r)
	writeSummaryMD(&b, s)
	writeComparisonMD(&b, s.Comparison)
	writeThresholdsMD(&b, s.Thresholds)
	writeFindingsMD(&b, s.Findings)
	if err := writePlotsMD(&b, r.Dir); err != nil {
		return err
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	return nil
}

func writeFacts(b *bytes.Buffer, r *record.Record) {
	in := &r.Info
	fmt.Fprintf(b, "- run: `%s`, %s", in.ID, in.Status)
	if in.Error != "" {
		fmt.Fprintf(b, " (%s)", mdText(in.Error))
	}
	fmt.Fprintf(b, "\n- started %s", in.Started.Format(time.RFC3339))
	if !in.Ended.IsZero() {
		fmt.Fprintf(b, ", ended %s (%s)", in.Ended.Format(time.RFC3339), in.Ended.Sub(in.Started).Round(time.Second))
	}
	fmt.Fprintf(b, "\n- host `%s`, %s %s (%s)\n", in.Host, in.Tool, in.Version, in.GoVersion)
	if len(in.Args) > 0 {
		fmt.Fprintf(b, "- command: `poolload %s`\n", strings.Join(in.Args, " "))
	}
	for _, k := range sortedKeys(in.Target) {
		fmt.Fprintf(b, "- target %s: `%s`\n", k, in.Target[k])
	}
	b.WriteString("\n")
}

func writeScenario(b *bytes.Buffer, r *record.Record) {
	b.WriteString("## Scenario\n\n")
	sc := &r.Plan
	if sc.Description != "" {
		fmt.Fprintf(b, "%s\n\n", mdText(sc.Description))
	}
	rows := [][2]string{{"driver", sc.Target.Driver}, {"load", loadText(&sc.Load)},
		{"VUs", fmt.Sprintf("%d pre-allocated, up to %d", sc.Load.PreAllocatedVUs, sc.Load.MaxVUs)},
		{"repeat", fmt.Sprint(sc.Repeat)}, {"interval", r.Info.Interval.String()}}
	for _, v := range sc.Variants {
		rows = append(rows, [2]string{"variant " + v.Name, v.Describe()})
	}
	b.WriteString("| | |\n|---|---|\n")
	for _, row := range rows {
		fmt.Fprintf(b, "| %s | %s |\n", mdCell(row[0]), mdCell(row[1]))
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, r.Info.Scenario, "", "  ") == nil {
		// run.json escapes <, > and & for HTML; inside a JSON string the
		// escape and the character are the same value, and people read this.
		js := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(pretty.String())
		fmt.Fprintf(b, "\n<details><summary>resolved scenario (run.json)</summary>\n\n```json\n%s\n```\n\n</details>\n", js)
	}
	b.WriteString("\n")
}

func loadText(l *record.PlanLoad) string {
	unit := "/" + strings.TrimPrefix(l.TimeUnit.String(), "1")
	if len(l.Stages) == 0 {
		return fmt.Sprintf("%s, %g%s for %s", l.Executor, l.Rate, unit, l.Duration)
	}
	parts := []string{fmt.Sprintf("from %g%s", l.StartRate, unit)}
	for _, s := range l.Stages {
		parts = append(parts, fmt.Sprintf("to %g over %s", s.Target, s.Duration))
	}
	return l.Executor + ", " + strings.Join(parts, ", ")
}

func writeThresholdsMD(b *bytes.Buffer, results []Result) {
	b.WriteString("## Thresholds\n\n")
	if len(results) == 0 {
		b.WriteString("_The scenario sets no thresholds._\n\n")
		return
	}
	b.WriteString("| | metric | expression | measured |\n|---|---|---|---|\n")
	for _, r := range results {
		mark, got := "✓", r.Measured
		if !r.Pass {
			mark = "✗"
		}
		if r.Error != "" {
			got = r.Error
		}
		fmt.Fprintf(b, "| %s | %s | `%s` | %s |\n", mark, mdCell(r.Key), r.Expr, mdCell(got))
	}
	b.WriteString("\n")
}

func writeFindingsMD(b *bytes.Buffer, fs []Finding) {
	b.WriteString("## Findings\n\n")
	if len(fs) == 0 {
		fmt.Fprintf(b, "_No problem found. Checked: %s._\n\n", checkedNames())
		return
	}
	for _, f := range fs {
		fmt.Fprintf(b, "- **%s** `%s`: %s\n  - evidence: %s\n", f.Severity, f.ID, mdText(f.Statement), mdText(f.Evidence))
		if f.Recommendation != "" {
			fmt.Fprintf(b, "  - recommendation: %s\n", mdText(f.Recommendation))
		}
	}
	b.WriteString("\n")
}

// writePlotsMD embeds the PNG plots the record has, in name order.
func writePlotsMD(b *bytes.Buffer, dir string) error {
	b.WriteString("## Plots\n\n")
	names, err := filepath.Glob(filepath.Join(dir, record.PlotsDir, "*.png"))
	if err != nil {
		return fmt.Errorf("listing the plots: %w", err)
	}
	sort.Strings(names)
	if len(names) == 0 {
		b.WriteString("_This record has no plots yet._\n")
		return nil
	}
	for _, p := range names {
		if st, err := os.Stat(p); err != nil || st.Size() == 0 {
			continue
		}
		base := filepath.Base(p)
		title := strings.ReplaceAll(strings.TrimSuffix(base, ".png"), "_", " ")
		fmt.Fprintf(b, "### %s\n\n![%s](%s/%s)\n\n", mdText(title), mdText(title), record.PlotsDir, base)
	}
	return nil
}

// mdText keeps text from being read as Markdown markup.
func mdText(s string) string {
	return strings.NewReplacer("*", `\*`, "_", `\_`, "`", "'", "<", "&lt;", "\n", " ").Replace(s)
}

// mdCell is mdText that is also safe inside a table cell.
func mdCell(s string) string { return strings.ReplaceAll(mdText(s), "|", `\|`) }
