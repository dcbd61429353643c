package analysis

import (
	"fmt"
	"math"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/poolload/poolload/collector"
	"github.com/poolload/poolload/record"
)

// The steady-state band around the warm variant's p99: the cold variant is
// steady once its rolling p99 stays within ±SteadyBandRel of the warm p99
// or ±SteadyBandAbsMs, whichever is larger. The relative part suits slow
// targets; the absolute floor keeps a fast target (warm p99 of 1 ms) from
// being called unsteady over a jitter of a millisecond, which a 1-second
// window of a real pool shows all the time.
const (
	SteadyBandRel   = 0.5
	SteadyBandAbsMs = 2.0
)

// SteadyWindow is the number of intervals in the rolling p99.
const SteadyWindow = 3

// Steady is how long the cold variant took to behave like the warm one, and
// what that cost.
type Steady struct {
	Cold       string  `json:"cold"`
	Warm       string  `json:"warm"`
	WarmP99Ms  float64 `json:"warm_p99_ms"`  // the warm variant's whole-window p99, over all its repetitions
	WarmMeanMs float64 `json:"warm_mean_ms"` // its mean latency, the baseline of the penalty
	BandMs     float64 `json:"band_ms"`      // half-width of the band around WarmP99Ms
	// Seconds is the median over the cold repetitions of the time to steady
	// state; absent when the median repetition never settled.
	Seconds *float64 `json:"seconds,omitempty"`
	// Penalty is the median cold-start penalty in iteration-seconds.
	Penalty float64     `json:"penalty_iteration_s"`
	Reps    []SteadyRep `json:"per_rep"`
}

// SteadyRep is one cold repetition.
type SteadyRep struct {
	Rep     int      `json:"rep"`
	Seconds *float64 `json:"seconds,omitempty"` // absent: never steady within the window
	Penalty float64  `json:"penalty_iteration_s"`
	// Ended says, for a window that never settled, where its last rolling
	// p99 was: "above" the band, "below" it (faster than warm), or "empty"
	// (nothing finished).
	Ended string `json:"ended,omitempty"`
}

// SteadyState measures the cold variant against the warm one.
//
// Time to steady state: for each interval i of a cold window, the rolling
// p99 is the p99 of the merged histograms of intervals i, i+1, i+2 (a
// forward window, so that "steady from second 2" means the window starting
// at second 2 is already good; a window of fewer than 3 intervals is taken
// whole). The window is in band when |p99 − warm p99| ≤ band. The time to
// steady state is the start of the first interval s such that every rolling
// window from s to the last full one is in band; a window with no
// completed iteration is never in band, since nothing finishing is the
// opposite of steady.
//
// Cold-start penalty: Σ over the intervals i < s of (mean_i − warm mean) ×
// iterations_i, in iteration-seconds: the extra latency the cold start
// added, summed over every iteration that paid it. It is signed, so an
// interval faster than warm gives some back. A window that never settles
// sums over all its intervals.
func SteadyState(r *record.Record, cold, warm string) (*Steady, error) {
	wh := r.Merged(warm, 0, collector.Latency)
	if wh.TotalCount() == 0 {
		return nil, fmt.Errorf("variant %q has no latency samples", warm)
	}
	st := &Steady{Cold: cold, Warm: warm, WarmP99Ms: float64(wh.ValueAtQuantile(99)) / 1e6, WarmMeanMs: wh.Mean() / 1e6}
	st.BandMs = max(SteadyBandRel*st.WarmP99Ms, SteadyBandAbsMs)
	var secs, pens []float64
	for _, w := range r.Info.Windows {
		rows := r.Series(w.Variant, w.Rep)
		if w.Variant != cold || w.Status == record.StatusSkipped || len(rows) == 0 {
			continue
		}
		hs := padTo(r.Hists[record.Tag(cold, w.Rep, collector.Latency)], len(rows))
		s, ended := settleIndex(newSpectrum(hs), st.WarmP99Ms*1e6, st.BandMs*1e6)
		rep := SteadyRep{Rep: w.Rep, Penalty: penalty(hs[:s], st.WarmMeanMs*1e6)}
		sec := math.Inf(1)
		if s < len(rows) {
			sec = rows[s].Values[record.TStart]
			rep.Seconds = &sec
		} else {
			rep.Ended = ended
		}
		st.Reps = append(st.Reps, rep)
		secs, pens = append(secs, sec), append(pens, rep.Penalty)
	}
	if len(st.Reps) == 0 {
		return nil, fmt.Errorf("variant %q has no measured window", cold)
	}
	if m := median(secs); !math.IsInf(m, 1) {
		st.Seconds = &m
	}
	st.Penalty = median(pens)
	return st, nil
}

// settleIndex returns the first interval from which every rolling window is
// within band of target (all in ns), or the number of intervals if the
// last window is out of band, and then where that window was.
func settleIndex(s *spectrum, target, band float64) (int, string) {
	n := len(s.n)
	last := max(n-SteadyWindow, 0)
	acc := make([]int64, len(s.values))
	p99 := make([]float64, 1)
	settled := n
	draw := make([]int, 0, SteadyWindow)
	for i := last; i >= 0; i-- {
		draw = draw[:0]
		for j := i; j < min(i+SteadyWindow, n); j++ {
			draw = append(draw, j)
		}
		total := s.merge(draw, acc)
		s.quantiles(acc, total, []float64{99}, p99)
		switch {
		case total == 0:
			return settled, "empty"
		case p99[0] > target+band:
			return settled, "above"
		case p99[0] < target-band:
			return settled, "below"
		}
		settled = i
	}
	return settled, ""
}

// penalty sums (mean − warmMean) × count over hs, in iteration-seconds.
func penalty(hs []*hdr.Histogram, warmMeanNs float64) float64 {
	sum := 0.0
	for _, h := range hs {
		if h != nil && h.TotalCount() > 0 {
			sum += (h.Mean() - warmMeanNs) * float64(h.TotalCount())
		}
	}
	return sum / 1e9
}
