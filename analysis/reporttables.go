package analysis

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/poolload/poolload/collector"
)

// writeSummaryMD writes the counters and percentiles of each variant, then
// one line per window.
func writeSummaryMD(b *bytes.Buffer, s *Summary) {
	b.WriteString("## Summary\n\n")
	if len(s.Variants) == 0 {
		b.WriteString("_Nothing was measured._\n\n")
		return
	}
	head := "| |"
	sep := "|---|"
	for _, g := range s.Variants {
		head += " " + mdCell(g.Variant) + " |"
		sep += "---:|"
	}
	fmt.Fprintf(b, "%s\n%s\n", head, sep)
	row := func(label string, f func(g *Group) string) {
		fmt.Fprintf(b, "| %s |", label)
		for i := range s.Variants {
			fmt.Fprintf(b, " %s |", f(&s.Variants[i]))
		}
		b.WriteString("\n")
	}
	row("windows", func(g *Group) string { return fmt.Sprint(g.Windows) })
	row("iterations", func(g *Group) string { return fmt.Sprint(g.Totals.Iterations) })
	row("rate achieved / offered", func(g *Group) string { return fmt.Sprintf("%.1f / %.1f /s", g.Rate, g.Offered) })
	row("dropped", func(g *Group) string { return fmt.Sprint(g.Totals.Dropped) })
	for c := collector.DropCause(0); c < collector.NumDropCauses; c++ {
		if s.anyDropped(c) {
			row("&nbsp;&nbsp;to "+c.Explain(), func(g *Group) string { return fmt.Sprint(g.Totals.DroppedBy[c.String()]) })
		}
	}
	row("errors", func(g *Group) string { return fmt.Sprint(g.Totals.Errors) })
	for _, class := range s.errorClasses() {
		row("&nbsp;&nbsp;"+mdCell(class), func(g *Group) string { return fmt.Sprint(g.Totals.ErrorsBy[class]) })
	}
	row("interrupted", func(g *Group) string { return fmt.Sprint(g.Totals.Interrupted) })
	writePercentilesMD(b, s)
	writeExamplesMD(b, s)
	writeWindowsMD(b, s.Windows)
}

func writePercentilesMD(b *bytes.Buffer, s *Summary) {
	b.WriteString("\n| metric | variant | p50 | p90 | p99 | p99.9 | max |\n|---|---|---:|---:|---:|---:|---:|\n")
	for _, m := range SummaryMetrics {
		for _, g := range s.Variants {
			if st, ok := g.Metrics[m]; ok {
				fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s |\n", m, mdCell(g.Variant),
					Ms(st.P50), Ms(st.P90), Ms(st.P99), Ms(st.P999), Ms(st.Max))
			}
		}
	}
}

func writeExamplesMD(b *bytes.Buffer, s *Summary) {
	var lines []string
	for _, g := range s.Variants {
		for _, class := range sortedKeys(g.Examples) {
			lines = append(lines, fmt.Sprintf("- %s, %s, first: `%s`", mdText(g.Variant), mdText(class),
				strings.ReplaceAll(g.Examples[class], "`", "'")))
		}
	}
	if len(lines) > 0 {
		fmt.Fprintf(b, "\nErrors:\n\n%s\n", strings.Join(lines, "\n"))
	}
}

func writeWindowsMD(b *bytes.Buffer, ws []Group) {
	b.WriteString("\nWindows, in the order they ran:\n\n" +
		"| variant | rep | status | seconds | iterations | rate | dropped | errors | latency p99 |\n" +
		"|---|---:|---|---:|---:|---:|---:|---:|---:|\n")
	for _, g := range ws {
		fmt.Fprintf(b, "| %s | %d | %s | %.1f | %d | %.1f/s | %d | %d | %s |\n", mdCell(g.Variant), g.Rep, g.Status,
			g.Seconds, g.Totals.Iterations, g.Rate, g.Totals.Dropped, g.Totals.Errors, Ms(g.Metrics["latency"].P99))
	}
	b.WriteString("\n")
}

// writeComparisonMD writes the comparison table with per-repetition values
// and the steady state.
func writeComparisonMD(b *bytes.Buffer, c *Comparison) {
	if c == nil {
		return
	}
	fmt.Fprintf(b, "## Comparison: %s vs %s\n\n", mdText(c.A.Label()), mdText(c.B.Label()))
	fmt.Fprintf(b, "A = **%s**, B = **%s**. Values are medians over repetitions; the interval is the 95%% confidence "+
		"interval of B−A (%s). An interval that contains 0 is reported as not significant.\n\n",
		mdText(c.A.Label()), mdText(c.B.Label()), mdText(c.MethodNote))
	b.WriteString("| metric | A | B | B/A | 95% CI of B−A | verdict | A per rep | B per rep |\n" +
		"|---|---:|---:|---:|---|---|---|---|\n")
	for i := range c.Rows {
		r := &c.Rows[i]
		cells := r.Cells()
		fmt.Fprintf(b, "| %s | %s | %s | %s |\n", r.Name(), strings.Join(cells[:], " | "),
			perRep(r, r.A), perRep(r, r.B))
	}
	b.WriteString("\n")
	if st := c.Steady; st != nil {
		fmt.Fprintf(b, "- **time to steady state** (%s): %s; per repetition %s. %s.\n",
			mdText(st.Cold), st.SecondsText(), st.perRep(SteadyRep.Text), mdText(upperFirst(st.Rule())))
		fmt.Fprintf(b, "- **cold-start penalty** (%s): %s; per repetition %s. The extra latency over the "+
			"%s mean of %s, summed over the iterations before steady state, and the iterations lost there.\n\n", mdText(st.Cold),
			penaltyText(st.Penalty, st.Dropped, st.Failed),
			st.perRep(func(r SteadyRep) string { return penaltyText(r.Penalty, r.Dropped, r.Failed) }),
			mdText(st.Warm), Ms(st.WarmMeanMs))
	}
}

// upperFirst capitalises the first letter of an ASCII sentence.
func upperFirst(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

func perRep(r *CompareRow, vs []float64) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = r.format(v, false)
	}
	return strings.Join(parts, ", ")
}
