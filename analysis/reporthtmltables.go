package analysis

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/poolload/poolload/collector"
	"github.com/poolload/poolload/record"
)

// htmlSummaryTables are the counters of each variant (variants as
// columns) and the percentiles of each metric per variant.
func htmlSummaryTables(s *Summary) []htmlTable {
	if len(s.Variants) == 0 {
		return nil
	}
	counts := htmlTable{Caption: "Counters per variant, over all its repetitions", Head: []htmlCell{{}}}
	for _, g := range s.Variants {
		counts.Head = append(counts.Head, htmlCell{Text: g.Variant})
	}
	row := func(label, class string, f func(i int, g *Group) htmlCell) {
		cells := []htmlCell{{Text: label, Class: class}}
		for i := range s.Variants {
			cells = append(cells, f(i, &s.Variants[i]))
		}
		counts.Rows = append(counts.Rows, cells)
	}
	count := func(field string, v func(g *Group) int64) func(int, *Group) htmlCell {
		return func(i int, g *Group) htmlCell {
			return htmlCell{Text: strconv.FormatInt(v(g), 10), Sum: fmt.Sprintf("variants/%d/%s", i, field)}
		}
	}
	row("windows", "", count("windows", func(g *Group) int64 { return int64(g.Windows) }))
	row("iterations", "", count("totals/iterations", func(g *Group) int64 { return g.Totals.Iterations }))
	row("rate offered", "", func(i int, g *Group) htmlCell {
		return htmlCell{Text: fmt.Sprintf("%.1f/s", g.Offered), Sum: fmt.Sprintf("variants/%d/offered_rate", i)}
	})
	row("rate achieved", "", func(i int, g *Group) htmlCell {
		return htmlCell{Text: fmt.Sprintf("%.1f/s", g.Rate), Sum: fmt.Sprintf("variants/%d/achieved_rate", i)}
	})
	row("dropped", "", count("totals/dropped", func(g *Group) int64 { return g.Totals.Dropped }))
	for c := collector.DropCause(0); c < collector.NumDropCauses; c++ {
		if s.anyDropped(c) {
			row("to "+c.Explain(), "sub", count("totals/dropped_by/"+c.String(),
				func(g *Group) int64 { return g.Totals.DroppedBy[c.String()] }))
		}
	}
	row("errors", "", count("totals/errors", func(g *Group) int64 { return g.Totals.Errors }))
	for _, class := range s.errorClasses() {
		row(class, "sub", count("totals/errors_by/"+class, func(g *Group) int64 { return g.Totals.ErrorsBy[class] }))
	}
	row("interrupted", "", count("totals/interrupted", func(g *Group) int64 { return g.Totals.Interrupted }))

	pct := htmlTable{Caption: "Percentiles per variant (all repetitions merged)"}
	for _, h := range []string{"metric", "variant", "count", "p50", "p90", "p99", "p99.9", "max"} {
		pct.Head = append(pct.Head, htmlCell{Text: h})
	}
	for _, m := range SummaryMetrics {
		for i, g := range s.Variants {
			st, ok := g.Metrics[m]
			if !ok {
				continue
			}
			path := fmt.Sprintf("variants/%d/metrics/%s/", i, m)
			ms := func(field string, v float64) htmlCell { return htmlCell{Text: Ms(v), Sum: path + field} }
			pct.Rows = append(pct.Rows, []htmlCell{{Text: m}, {Text: g.Variant},
				{Text: strconv.FormatInt(st.Count, 10), Sum: path + "count"},
				ms("p50_ms", st.P50), ms("p90_ms", st.P90), ms("p99_ms", st.P99), ms("p99_9_ms", st.P999), ms("max_ms", st.Max)})
		}
	}
	return []htmlTable{counts, pct}
}

// htmlWindowsTable has one row per variant × repetition, in run order.
func htmlWindowsTable(ws []Group) htmlTable {
	t := htmlTable{Caption: "Windows, in the order they ran"}
	for _, h := range []string{"variant", "rep", "status", "seconds", "iterations", "rate", "dropped", "errors", "latency p99"} {
		t.Head = append(t.Head, htmlCell{Text: h})
	}
	for i, g := range ws {
		p := fmt.Sprintf("windows/%d/", i)
		t.Rows = append(t.Rows, []htmlCell{{Text: g.Variant}, {Text: strconv.Itoa(g.Rep)}, {Text: g.Status},
			{Text: fmt.Sprintf("%.1f", g.Seconds), Sum: p + "seconds"},
			{Text: strconv.FormatInt(g.Totals.Iterations, 10), Sum: p + "totals/iterations"},
			{Text: fmt.Sprintf("%.1f/s", g.Rate), Sum: p + "achieved_rate"},
			{Text: strconv.FormatInt(g.Totals.Dropped, 10), Sum: p + "totals/dropped"},
			{Text: strconv.FormatInt(g.Totals.Errors, 10), Sum: p + "totals/errors"},
			{Text: Ms(g.Metrics["latency"].P99), Sum: p + "metrics/latency/p99_ms"}})
	}
	return t
}

// htmlCompare is the comparison section.
type htmlCompare struct {
	Title, A, B, Note string
	Table             htmlTable
}

func htmlComparison(c *Comparison) *htmlCompare {
	if c == nil {
		return nil
	}
	hc := &htmlCompare{Title: c.A.Label() + " vs " + c.B.Label(), A: c.A.Label(), B: c.B.Label(), Note: c.MethodNote}
	for _, h := range []string{"metric", "A", "B", "B/A", "95% CI of B−A", "verdict", "A per rep", "B per rep"} {
		hc.Table.Head = append(hc.Table.Head, htmlCell{Text: h})
	}
	for i := range c.Rows {
		r := &c.Rows[i]
		cells := r.Cells()
		p := fmt.Sprintf("comparison/rows/%d/", i)
		row := []htmlCell{{Text: r.Name()}, {Text: cells[0]}, {Text: cells[1]}, {Text: cells[2]}, {Text: cells[3]},
			{Text: cells[4], Class: "verdict " + verdictClass(r.Verdict)}, {Text: perRep(r, r.A)}, {Text: perRep(r, r.B)}}
		if r.Known {
			row[1].Sum, row[2].Sum = p+"median_a", p+"median_b"
			if r.Ratio != nil {
				row[3].Sum = p + "ratio"
			}
		}
		hc.Table.Rows = append(hc.Table.Rows, row)
	}
	return hc
}

// verdictClass colours a verdict: B higher (worse for every metric the
// comparison has: time, drops, errors, connections) or lower.
func verdictClass(v string) string {
	switch v {
	case VerdictHigher:
		return "higher"
	case VerdictLower:
		return "lower"
	}
	return "same"
}

// intervalColumns are the time-series columns the per-interval table
// shows first, when the record has them; the gauges follow.
var intervalColumns = []string{record.TEnd, record.Iterations, record.Rate, record.Dropped, record.Errors,
	record.VUsBusy, record.VUsAllocated, record.LatencyP50, record.LatencyP99,
	record.PercentileOf(collector.Blocked, "p99"), record.PercentileOf(collector.Wait, "p99")}

// htmlIntervalTable is timeseries.csv, one table per window: the main
// columns, then every gauge the record sampled that has a value.
func htmlIntervalTable(r *record.Record) []htmlTable {
	cols := []string{}
	has := func(name string) bool {
		for _, row := range r.Rows {
			if v, ok := row.Values[name]; ok && !math.IsNaN(v) {
				return true
			}
		}
		return false
	}
	for _, c := range intervalColumns {
		if has(c) {
			cols = append(cols, c)
		}
	}
	for _, g := range r.Info.Gauges {
		if has(g) {
			cols = append(cols, g)
		}
	}
	var out []htmlTable
	var cur *htmlTable
	var curVariant string
	curRep := -1
	for _, row := range r.Rows {
		if cur == nil || row.Variant != curVariant || row.Rep != curRep {
			out = append(out, htmlTable{Caption: fmt.Sprintf("%s, repetition %d", row.Variant, row.Rep)})
			cur, curVariant, curRep = &out[len(out)-1], row.Variant, row.Rep
			for _, c := range cols {
				d, _ := record.Describe(c)
				cur.Head = append(cur.Head, htmlCell{Text: strings.ReplaceAll(c, "_", " "), Title: columnTitle(d)})
			}
		}
		cells := make([]htmlCell, len(cols))
		for i, c := range cols {
			if v, ok := row.Values[c]; ok && !math.IsNaN(v) {
				cells[i].Text = cellNumber(v)
			}
		}
		cur.Rows = append(cur.Rows, cells)
	}
	return out
}

// cellNumber prints a time-series value: counts exactly, fractions with
// three significant digits, never in exponent form.
func cellNumber(v float64) string {
	switch {
	case v == math.Trunc(v):
		return strconv.FormatFloat(v, 'f', -1, 64)
	case math.Abs(v) >= 100:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case math.Abs(v) < 0.001:
		return strconv.FormatFloat(v, 'f', 6, 64)
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

// columnTitle is a column's meaning with its unit, for a tooltip.
func columnTitle(c record.Column) string {
	if c.Unit == "" {
		return c.Help
	}
	return c.Help + " (" + c.Unit + ")"
}
