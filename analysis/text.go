package analysis

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/poolload/poolload/collector"
)

// SummaryMetrics are the metrics the terminal summary shows, in order.
var SummaryMetrics = []string{"latency", "service", "blocked", "connecting", "wait", "schedule_lag"}

// WriteText prints the end-of-run summary: one block of counters with the
// variants side by side, then the percentiles of each metric per variant,
// then the comparison when there is one. Thresholds are not printed here:
// WriteThresholds prints them, so that the caller also learns whether any
// failed.
func (s *Summary) WriteText(w io.Writer) {
	fmt.Fprintf(w, "\nSUMMARY  %s  (%s)\n", s.Scenario, s.Status)
	if len(s.Network) > 0 {
		fmt.Fprintf(w, "  over an emulated network link: %s\n", joinFacts(s.Network))
	}
	if s.Host != nil {
		fmt.Fprintf(w, "  %s\n", s.Host)
	}
	if len(s.Variants) == 0 {
		fmt.Fprintln(w, "  nothing was measured")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	row := func(label string, f func(g *Group) string) {
		fmt.Fprintf(tw, "  %s\t", label)
		for i := range s.Variants {
			fmt.Fprintf(tw, "%s\t", f(&s.Variants[i]))
		}
		fmt.Fprintln(tw)
	}
	row("", func(g *Group) string { return g.Variant })
	row("windows", func(g *Group) string { return fmt.Sprint(g.Windows) })
	row("iterations", func(g *Group) string { return fmt.Sprint(g.Totals.Iterations) })
	row("rate (achieved/offered)", func(g *Group) string { return fmt.Sprintf("%.1f/%.1f/s", g.Rate, g.Offered) })
	row("dropped", func(g *Group) string { return fmt.Sprint(g.Totals.Dropped) })
	for c := collector.DropCause(0); c < collector.NumDropCauses; c++ {
		if s.anyDropped(c) {
			row("  by "+c.String(), func(g *Group) string { return fmt.Sprint(g.Totals.DroppedBy[c.String()]) })
		}
	}
	row("errors", func(g *Group) string { return fmt.Sprint(g.Totals.Errors) })
	for _, class := range s.errorClasses() {
		row("  "+class, func(g *Group) string { return fmt.Sprint(g.Totals.ErrorsBy[class]) })
	}
	row("interrupted", func(g *Group) string { return fmt.Sprint(g.Totals.Interrupted) })
	countRow := func(label string, get func(g *Group) *int64) {
		if get(&s.Variants[0]) == nil {
			return
		}
		row(label, func(g *Group) string {
			if n := get(g); n != nil {
				return fmt.Sprint(*n)
			}
			return "-"
		})
	}
	// Connections no iteration waited for are shown only when there are
	// some: most runs have none, and a row of zeros says nothing.
	some := func(get func(g *Group) *int64) bool {
		for i := range s.Variants {
			if n := get(&s.Variants[i]); n != nil && *n > 0 {
				return true
			}
		}
		return false
	}
	byPool := func(g *Group) *int64 { return g.ConnsOpenedByPool }
	httpByPool := func(g *Group) *int64 { return g.HTTPConnsOpenedByPool }
	countRow("conns opened in window", func(g *Group) *int64 { return g.ConnsOpened })
	if some(byPool) {
		countRow("  of which by the pool", byPool)
	}
	countRow("server conns in window", func(g *Group) *int64 { return g.ServerConns })
	if some(httpByPool) {
		countRow("client conns opened", func(g *Group) *int64 { return g.HTTPConnsOpened })
		countRow("  of which none waiting", httpByPool)
	}
	tw.Flush()

	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "  metric\tvariant\tp50\tp90\tp99\tp99.9\tmax\t")
	for _, m := range SummaryMetrics {
		for i, g := range s.Variants {
			st, ok := g.Metrics[m]
			if !ok {
				continue
			}
			label := m
			if i > 0 {
				label = ""
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", label, g.Variant,
				Ms(st.P50), Ms(st.P90), Ms(st.P99), Ms(st.P999), Ms(st.Max))
		}
	}
	tw.Flush()
	s.writeDropsAndErrors(w)
	if s.Comparison != nil {
		s.Comparison.WriteText(w)
	}
}

func (s *Summary) writeDropsAndErrors(w io.Writer) {
	for _, g := range s.Variants {
		if g.Totals.Dropped > 0 {
			var parts []string
			for c := collector.DropCause(0); c < collector.NumDropCauses; c++ {
				if n := g.Totals.DroppedBy[c.String()]; n > 0 {
					parts = append(parts, fmt.Sprintf("%d to %s", n, c.Explain()))
				}
			}
			fmt.Fprintf(w, "\n  %s dropped %d iterations: %s", g.Variant, g.Totals.Dropped, strings.Join(parts, ", "))
		}
		for _, class := range sortedKeys(g.Examples) {
			fmt.Fprintf(w, "\n  %s %s, first: %s", g.Variant, class, g.Examples[class])
		}
	}
	fmt.Fprintln(w)
}

func (s *Summary) anyDropped(c collector.DropCause) bool {
	for _, g := range s.Variants {
		if g.Totals.DroppedBy[c.String()] > 0 {
			return true
		}
	}
	return false
}

func (s *Summary) errorClasses() []string {
	seen := map[string]bool{}
	for _, g := range s.Variants {
		for k := range g.Totals.ErrorsBy {
			seen[k] = true
		}
	}
	return sortedKeys(seen)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Ms formats a duration given in milliseconds with a unit that keeps three
// significant digits readable: 850ns, 12.3µs, 4.56ms, 1.23s.
func Ms(ms float64) string {
	switch {
	case ms == 0:
		return "0"
	case ms < 0.001:
		return fmt.Sprintf("%.0fns", ms*1e6)
	case ms < 1:
		return fmt.Sprintf("%.1fµs", ms*1e3)
	case ms < 1000:
		return fmt.Sprintf("%.2fms", ms)
	default:
		return fmt.Sprintf("%.2fs", ms/1e3)
	}
}

// joinFacts prints k=v pairs in key order.
func joinFacts(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		keys[i] = k + "=" + m[k]
	}
	return strings.Join(keys, ", ")
}
