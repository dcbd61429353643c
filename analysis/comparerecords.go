package analysis

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/poolload/poolload/record"
)

// MaxRateDiff is how far apart the offered rates of two records may be,
// relative to the larger, for a comparison to mean anything: latency under
// a pool depends on the arrival rate far more than on most pool changes.
const MaxRateDiff = 0.10

// ErrLoadsDiffer is wrapped by the error CompareRecords returns when the two
// records ran different loads.
var ErrLoadsDiffer = errors.New("the loads differ")

// RecordComparison compares two whole records, e.g. before and after a pool
// change: each variant of A against the variant of the same name in B.
type RecordComparison struct {
	A     string        `json:"a"` // run ids
	B     string        `json:"b"`
	Pairs []*Comparison `json:"pairs"`
	// SteadyA and SteadyB are each record's own cold-vs-warm steady state,
	// when it has a pair of variants.
	SteadyA *Steady `json:"steady_state_a,omitempty"`
	SteadyB *Steady `json:"steady_state_b,omitempty"`
	// Findings are what the pair says that neither record says alone
	// (a bigger pool making queries slower).
	Findings []Finding `json:"findings,omitempty"`
}

// loadOf is what must match between two records.
type loadOf struct {
	executor string
	offered  float64 // mean offered rate per second over the measured windows
}

func recordLoad(r *record.Record) loadOf {
	l := loadOf{executor: r.Plan.Load.Executor}
	n := 0
	for _, w := range r.Info.Windows {
		if w.Status != record.StatusSkipped {
			l.offered += w.Offered
			n++
		}
	}
	if n > 0 {
		l.offered /= float64(n)
	}
	return l
}

// CheckLoads refuses two records whose executors differ or whose offered
// rates differ by more than MaxRateDiff.
func CheckLoads(a, b *record.Record) error {
	la, lb := recordLoad(a), recordLoad(b)
	if la.executor != "" && lb.executor != "" && la.executor != lb.executor {
		return fmt.Errorf("%w: A runs %s, B %s; a comparison would be meaningless", ErrLoadsDiffer, la.executor, lb.executor)
	}
	if hi := math.Max(la.offered, lb.offered); hi > 0 && math.Abs(la.offered-lb.offered) > MaxRateDiff*hi {
		return fmt.Errorf("%w: A offered %s/s, B %s/s; a comparison would be meaningless",
			ErrLoadsDiffer, rateText(la.offered), rateText(lb.offered))
	}
	return nil
}

func rateText(r float64) string { return strconv.FormatFloat(math.Round(r*10)/10, 'f', -1, 64) }

// MatchVariants pairs the variants of a and b by name, in a's order; when
// they share none but each has exactly one, those two are paired.
func MatchVariants(a, b *record.Record) ([][2]string, error) {
	va, vb := Variants(a), Variants(b)
	var pairs [][2]string
	for _, v := range va {
		if slices.Contains(vb, v) {
			pairs = append(pairs, [2]string{v, v})
		}
	}
	if len(pairs) == 0 && len(va) == 1 && len(vb) == 1 {
		pairs = append(pairs, [2]string{va[0], vb[0]})
	}
	if len(pairs) == 0 {
		return nil, fmt.Errorf("the records have no variant in common (A: %s; B: %s)",
			strings.Join(va, ", "), strings.Join(vb, ", "))
	}
	return pairs, nil
}

// CompareRecords compares record b against record a (the baseline).
func CompareRecords(a, b *record.Record) (*RecordComparison, error) {
	if err := CheckLoads(a, b); err != nil {
		return nil, err
	}
	pairs, err := MatchVariants(a, b)
	if err != nil {
		return nil, err
	}
	rc := &RecordComparison{A: a.Info.ID, B: b.Info.ID}
	for _, p := range pairs {
		sa, err := loadSide(a, p[0])
		if err != nil {
			return nil, fmt.Errorf("A: %w", err)
		}
		sb, err := loadSide(b, p[1])
		if err != nil {
			return nil, fmt.Errorf("B: %w", err)
		}
		sa.side.Run, sb.side.Run = "A", "B"
		rc.Pairs = append(rc.Pairs, compareSides(sa, sb))
	}
	rc.SteadyA, rc.SteadyB = ownSteady(a), ownSteady(b)
	rc.Findings = compareFindings(a, b, rc)
	return rc, nil
}

func ownSteady(r *record.Record) *Steady {
	cold, warm, err := DefaultPair(r)
	if err != nil {
		return nil
	}
	st, _ := SteadyState(r, cold, warm)
	return st
}

// WriteText prints each pair's comparison, then both records' own time to
// steady state and cold-start penalty side by side.
func (rc *RecordComparison) WriteText(w io.Writer) {
	fmt.Fprintf(w, "A = %s\nB = %s\n", rc.A, rc.B)
	for _, c := range rc.Pairs {
		c.WriteText(w)
	}
	if len(rc.Findings) > 0 {
		fmt.Fprintln(w)
		WriteFindings(w, rc.Findings)
	}
	if rc.SteadyA == nil && rc.SteadyB == nil {
		return
	}
	fmt.Fprintln(w, "\nCOLD START  each record's cold variant against its own warm one")
	for _, x := range []struct {
		name string
		st   *Steady
	}{{"A", rc.SteadyA}, {"B", rc.SteadyB}} {
		if x.st == nil {
			fmt.Fprintf(w, "  %s: no cold/warm pair\n", x.name)
			continue
		}
		fmt.Fprintf(w, "  %s: %s steady after %s, penalty %.3g iteration-s (band %s ± %s)\n",
			x.name, x.st.Cold, x.st.SecondsText(), x.st.Penalty, Ms(x.st.WarmP99Ms), Ms(x.st.BandMs))
	}
}
