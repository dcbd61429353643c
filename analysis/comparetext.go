package analysis

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
)

// WriteText prints the comparison as a compact block: one line per metric
// with A, B, the ratio B/A, the 95% interval of B−A and the verdict, then
// the time to steady state and the cold-start penalty. Rows that are 0 on
// both sides in every repetition are left out (blocked on a target with no
// pool, say) and counted in a note.
func (c *Comparison) WriteText(w io.Writer) {
	fmt.Fprintf(w, "\nCOMPARISON  %s\n", c.title())
	fmt.Fprintf(w, "  95%% intervals of B−A: %s\n", c.MethodNote)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  metric\tA\tB\tB/A\t95% CI of B−A\tverdict")
	hidden := 0
	for i := range c.Rows {
		r := &c.Rows[i]
		if r.Known && allZero(r.A) && allZero(r.B) {
			hidden++
			continue
		}
		cells := r.Cells()
		fmt.Fprintf(tw, "  %s\t%s\n", r.Name(), strings.Join(cells[:], "\t"))
	}
	tw.Flush()
	switch {
	case hidden == 1:
		fmt.Fprintln(w, "  (1 row that is 0 on both sides is not shown)")
	case hidden > 1:
		fmt.Fprintf(w, "  (%d rows that are 0 on both sides are not shown)\n", hidden)
	}
	if src := c.connsSource(); src != "" {
		fmt.Fprintf(w, "  conns_opened counted by %s\n", src)
	}
	if c.Steady != nil {
		c.Steady.WriteText(w)
	}
}

// connsSource says what counted conns_opened on each side, once when
// they agree.
func (c *Comparison) connsSource() string {
	if c.A.ConnsSource == c.B.ConnsSource {
		return c.A.ConnsSource
	}
	return fmt.Sprintf("%s for A, %s for B", cmp.Or(c.A.ConnsSource, "nothing"), cmp.Or(c.B.ConnsSource, "nothing"))
}

// title names the sides: "A = cold (3 repetitions), B = warm (3
// repetitions)" in one record, "cold: A (2 repetitions) vs B (1
// repetition)" across two.
func (c *Comparison) title() string {
	if c.A.Run == "" {
		return fmt.Sprintf("A = %s (%s), B = %s (%s)", c.A.Variant, reps(c.A), c.B.Variant, reps(c.B))
	}
	name := c.A.Variant
	if c.B.Variant != name {
		name += " vs " + c.B.Variant
	}
	return fmt.Sprintf("%s: %s (%s) vs %s (%s)", name, c.A.Run, reps(c.A), c.B.Run, reps(c.B))
}

// Cells are a row's A, B, ratio, interval and verdict, formatted.
func (r *CompareRow) Cells() [5]string {
	if !r.Known {
		return [5]string{"unknown", "unknown", "-", "-", VerdictUnknown}
	}
	f := r.format
	ratio := "-"
	if r.Ratio != nil {
		ratio = fmt.Sprintf("%.2f", *r.Ratio)
	}
	ci := "-"
	if r.CI != nil {
		ci = "[" + f(r.CI.Low, true) + ", " + f(r.CI.High, true) + "]"
	}
	return [5]string{f(r.MedianA, false), f(r.MedianB, false), ratio, ci, r.VerdictText()}
}

// VerdictText is the verdict in words about B.
func (r *CompareRow) VerdictText() string {
	switch r.Verdict {
	case VerdictHigher, VerdictLower:
		return "B " + r.Verdict
	}
	return r.Verdict
}

func (r *CompareRow) format(v float64, signed bool) string {
	sign := ""
	if signed && v > 0 {
		sign = "+"
	} else if v < 0 {
		sign, v = "-", -v
	}
	if r.Unit == "ms" {
		return sign + Ms(v)
	}
	return sign + strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
}

func allZero(vs []float64) bool {
	for _, v := range vs {
		if v != 0 {
			return false
		}
	}
	return true
}

func reps(s Side) string {
	if len(s.Reps) == 1 {
		return "1 repetition"
	}
	return fmt.Sprintf("%d repetitions", len(s.Reps))
}

// WriteText prints the time to steady state and the cold-start penalty.
func (s *Steady) WriteText(w io.Writer) {
	fmt.Fprintf(w, "  time to steady state (%s): %s  per repetition: %s\n", s.Cold, s.SecondsText(), s.perRep(SteadyRep.Text))
	fmt.Fprintf(w, "    %s\n", s.Rule())
	fmt.Fprintf(w, "  cold-start penalty (%s): %s  per repetition: %s\n", s.Cold, penaltyText(s.Penalty, s.Dropped, s.Failed),
		s.perRep(func(r SteadyRep) string { return penaltyText(r.Penalty, r.Dropped, r.Failed) }))
	fmt.Fprintf(w, "    extra latency over the %s mean of %s, summed over the iterations before steady state, and the iterations lost there\n", s.Warm, Ms(s.WarmMeanMs))
}

// Rule says what steady meant for this comparison.
func (s *Steady) Rule() string {
	return fmt.Sprintf("steady: the rolling p99 over %d intervals at most %s (the %s p99 %s + %.0f%% or %.0fms, or %s's own worst rolling p99 %s, whichever is higher), with no more drops and errors than %s",
		SteadyWindow, Ms(s.LimitMs), s.Warm, Ms(s.WarmP99Ms), SteadyBandRel*100, SteadyBandAbsMs, s.Warm, Ms(s.WarmRollingMaxMs), s.Warm)
}

// penaltyText is a penalty with the iterations lost beside it.
func penaltyText(pen, dropped, failed float64) string {
	t := fmt.Sprintf("%.3g iteration-s", pen)
	if dropped > 0 || failed > 0 {
		t += fmt.Sprintf(" + %.0f dropped, %.0f failed", dropped, failed)
	}
	return t
}

// Text is the repetition's time to steady state, or "never" with how its
// last rolling window ended.
func (r SteadyRep) Text() string {
	if r.Seconds == nil && r.Ended != "" {
		return "never (" + map[string]string{"above": "ended above the limit", "failing": "ended dropping or failing more than warm",
			"empty": "nothing finished at the end"}[r.Ended] + ")"
	}
	return secondsText(r.Seconds)
}

// SecondsText is the median time to steady state, or "never".
func (s *Steady) SecondsText() string { return secondsText(s.Seconds) }

func secondsText(p *float64) string {
	if p == nil {
		return "never"
	}
	return strconv.FormatFloat(*p, 'f', -1, 64) + "s"
}

func (s *Steady) perRep(f func(SteadyRep) string) string {
	parts := make([]string, len(s.Reps))
	for i, r := range s.Reps {
		parts[i] = f(r)
	}
	return strings.Join(parts, ", ")
}
