package analysis

import (
	"errors"
	"math"
	"slices"

	"github.com/poolload/poolload/collector"
	"github.com/poolload/poolload/record"
)

// The rows of a comparison: five statistics of three timing metrics, then
// three counters.
var (
	compareMetrics  = []collector.Metric{collector.Latency, collector.Blocked, collector.Wait}
	compareStats    = []string{"p50", "p90", "p99", "p99.9", "max"}
	compareQs       = []float64{50, 90, 99, 99.9, 100}
	compareCounters = []string{"dropped", "errors", record.ConnsOpened}
)

const (
	numTimingRows = 15 // len(compareMetrics) × len(compareStats)
	numRows       = numTimingRows + 3
	rowConns      = numRows - 1
)

// How a comparison's confidence intervals were computed.
const (
	// MethodRepetitions resamples whole repetitions (repeat ≥ 3 on both sides).
	MethodRepetitions = "repetitions"
	// MethodIntervals resamples the interval histograms within each
	// repetition (fewer than 3 repetitions on a side).
	MethodIntervals = "intervals"
	// MethodNone: too few repetitions and too few intervals to resample;
	// no interval is given and no difference is called significant.
	MethodNone = "none"
)

// Verdicts of a comparison row, about B relative to A.
const (
	VerdictNotSignificant = "not significant" // the 95% interval of B−A contains 0
	VerdictHigher         = "higher"          // B is higher: the whole interval is above 0
	VerdictLower          = "lower"           // B is lower: the whole interval is below 0
	VerdictUnknown        = "unknown"         // not measured on one side
)

// Comparison sets variant B against variant A: medians over repetitions,
// the ratio B/A and a 95% bootstrap confidence interval on the difference
// of medians B−A. A is the baseline: in one record the cold variant, across
// two records the one before the change.
type Comparison struct {
	A          Side         `json:"a"`
	B          Side         `json:"b"`
	Method     string       `json:"method"` // MethodRepetitions, MethodIntervals or MethodNone
	MethodNote string       `json:"method_note"`
	Resamples  int          `json:"resamples"` // 0 for MethodNone
	Rows       []CompareRow `json:"rows"`
	// Steady is A's time to steady state and cold-start penalty against B,
	// when A and B are variants of one record.
	Steady *Steady `json:"steady_state,omitempty"`
}

// Side names one side of a comparison.
type Side struct {
	Run       string `json:"run,omitempty"`
	Variant   string `json:"variant"`
	Reps      []int  `json:"repetitions"`
	Intervals int    `json:"intervals"` // summed over the repetitions
	// ConnsSource says what counted the side's conns_opened (connsSources).
	ConnsSource string `json:"conns_source,omitempty"`
}

// Label is "variant" or "run/variant".
func (s Side) Label() string {
	if s.Run != "" {
		return s.Run + "/" + s.Variant
	}
	return s.Variant
}

// CompareRow is one metric statistic on both sides. Timings are in
// milliseconds, counters are per window.
type CompareRow struct {
	Metric  string    `json:"metric"` // latency, blocked, wait, dropped, errors, conns_opened
	Stat    string    `json:"stat"`   // p50, p90, p99, p99.9, max; "count" for counters
	Unit    string    `json:"unit"`   // "ms" or "count"
	Known   bool      `json:"known"`  // false: not measured on a side (conns_opened without a pool sampler)
	A       []float64 `json:"a_per_rep,omitempty"`
	B       []float64 `json:"b_per_rep,omitempty"`
	MedianA float64   `json:"median_a"`
	MedianB float64   `json:"median_b"`
	Ratio   *float64  `json:"ratio,omitempty"` // B/A; absent when A's median is 0
	Diff    float64   `json:"diff"`            // MedianB − MedianA
	CI      *CI       `json:"ci95,omitempty"`  // absent when there was too little to resample
	Verdict string    `json:"verdict"`
}

// CI is a 95% confidence interval of B−A, in the row's unit.
type CI struct {
	Low  float64 `json:"low"`
	High float64 `json:"high"`
}

// Name is "latency p99" or "dropped".
func (r *CompareRow) Name() string {
	if r.Unit == "count" {
		return r.Metric
	}
	return r.Metric + " " + r.Stat
}

// CompareVariants compares variants a and b of one record; a is taken as
// the cold one for the time to steady state.
func CompareVariants(r *record.Record, a, b string) (*Comparison, error) {
	sa, err := loadSide(r, a)
	if err != nil {
		return nil, err
	}
	sb, err := loadSide(r, b)
	if err != nil {
		return nil, err
	}
	c := compareSides(sa, sb)
	c.Steady, _ = SteadyState(r, a, b) // no steady state is not an error of the comparison
	return c, nil
}

// compareSides fills in the rows and their intervals.
func compareSides(a, b *sideData) *Comparison {
	c := &Comparison{A: a.side, B: b.side, Resamples: Resamples}
	pa, pb := a.point(), b.point()
	c.Method, c.MethodNote = chooseMethod(a, b)
	var diffs [][]float64
	if c.Method != MethodNone {
		diffs = bootstrap(a, b, pa, pb, c.Method == MethodRepetitions)
	} else {
		c.Resamples = 0
	}
	known := allKnown(a) && allKnown(b)
	for row := range numRows {
		c.Rows = append(c.Rows, makeRow(row, pa, pb, diffs, row != rowConns || known))
	}
	return c
}

// makeRow fills one row from the per-repetition values and, when there was
// a bootstrap, its resampled differences.
func makeRow(row int, pa, pb, diffs [][]float64, known bool) CompareRow {
	cr := newRow(row)
	cr.Known = known
	if !known {
		cr.Verdict = VerdictUnknown
		return cr
	}
	cr.A, cr.B = column(pa, row), column(pb, row)
	cr.MedianA, cr.MedianB = median(cr.A), median(cr.B)
	cr.Diff = cr.MedianB - cr.MedianA
	if cr.MedianA != 0 {
		ratio := cr.MedianB / cr.MedianA
		cr.Ratio = &ratio
	}
	cr.Verdict = VerdictNotSignificant
	if diffs != nil {
		lo, hi := percentileCI(diffs[row])
		cr.CI = &CI{Low: lo, High: hi}
		cr.Verdict = verdict(lo, hi)
	}
	return cr
}

func newRow(row int) CompareRow {
	if row < numTimingRows {
		return CompareRow{Metric: compareMetrics[row/len(compareStats)].String(),
			Stat: compareStats[row%len(compareStats)], Unit: "ms"}
	}
	return CompareRow{Metric: compareCounters[row-numTimingRows], Stat: "count", Unit: "count"}
}

func allKnown(sd *sideData) bool {
	for _, d := range sd.reps {
		if !d.known {
			return false
		}
	}
	return true
}

// verdict reads a 95% interval of B−A: only an interval that excludes 0 is
// a difference; one that touches or crosses 0 is not significant.
func verdict(lo, hi float64) string {
	switch {
	case lo > 0:
		return VerdictHigher
	case hi < 0:
		return VerdictLower
	}
	return VerdictNotSignificant
}

func column(vs [][]float64, row int) []float64 {
	out := make([]float64, len(vs))
	for i, v := range vs {
		out[i] = v[row]
	}
	return out
}

// median of vs (the mean of the middle two for an even count); NaN if empty.
func median(vs []float64) float64 {
	if len(vs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Variants lists the variants of r that have a measured window, in the
// order they first ran.
func Variants(r *record.Record) []string {
	var out []string
	for _, w := range r.Info.Windows {
		if w.Status != record.StatusSkipped && !slices.Contains(out, w.Variant) {
			out = append(out, w.Variant)
		}
	}
	return out
}

// DefaultPair picks the variants to compare in one record: "cold" and
// "warm" when both exist, else the first variant with no prelude (cold)
// and the first with a prewarm or warm-up (warm), else the first two.
func DefaultPair(r *record.Record) (a, b string, err error) {
	vs := Variants(r)
	if len(vs) < 2 {
		return "", "", errors.New("a comparison needs two variants")
	}
	if slices.Contains(vs, "cold") && slices.Contains(vs, "warm") {
		return "cold", "warm", nil
	}
	warm := func(name string) bool { v := r.Plan.Variant(name); return v != nil && v.Warm() }
	for _, c := range vs {
		for _, h := range vs {
			if !warm(c) && warm(h) {
				return c, h, nil
			}
		}
	}
	return vs[0], vs[1], nil
}
