package analysis

import (
	"fmt"
	"math"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/poolload/poolload/collector"
	"github.com/poolload/poolload/driver"
	"github.com/poolload/poolload/record"
)

// The steady-state limit above the warm variant's p99: the cold variant is
// steady once its rolling p99 stays at or below the warm p99 plus
// SteadyBandRel of it or SteadyBandAbsMs, whichever is larger, or below
// the warm variant's own worst rolling p99 when that is higher. The
// relative part suits slow targets; the absolute floor keeps a fast target
// (warm p99 of 1 ms) from being called unsteady over a jitter of a
// millisecond; the warm variant's own spread keeps a target whose p99
// swings from second to second anyway (a service's garbage collector, a
// shared host) from being called never steady for doing what warm does.
// The limit is one-sided: faster than warm is steady.
const (
	SteadyBandRel   = 0.5
	SteadyBandAbsMs = 2.0
)

// SteadyFailSlack is how much more of its schedule a cold rolling window
// may lose to drops and errors than the warm variant did and still count
// as steady: 0.1%.
const SteadyFailSlack = 0.001

// SteadyWindow is the number of intervals in the rolling p99.
const SteadyWindow = 3

// Steady is how long the cold variant took to behave like the warm one, and
// what that cost.
type Steady struct {
	Cold       string  `json:"cold"`
	Warm       string  `json:"warm"`
	WarmP99Ms  float64 `json:"warm_p99_ms"`  // the warm variant's whole-window p99, over all its repetitions
	WarmMeanMs float64 `json:"warm_mean_ms"` // its mean latency, the baseline of the penalty
	// WarmRollingMaxMs is the warm variant's highest rolling p99: its own
	// interval-to-interval spread.
	WarmRollingMaxMs float64 `json:"warm_rolling_max_p99_ms"`
	// LimitMs is the highest rolling p99 that counts as steady, and BandMs
	// how far it lies above WarmP99Ms.
	LimitMs float64 `json:"limit_ms"`
	BandMs  float64 `json:"band_ms"`
	// WarmFailShare is the share of the warm variant's scheduled
	// iterations that were dropped or failed.
	WarmFailShare float64 `json:"warm_fail_share"`
	// Seconds is the median over the cold repetitions of the time to steady
	// state; absent when the median repetition never settled.
	Seconds *float64 `json:"seconds,omitempty"`
	// Penalty is the median cold-start penalty in iteration-seconds, and
	// Dropped and Failed the median iterations lost before steady state.
	Penalty float64     `json:"penalty_iteration_s"`
	Dropped float64     `json:"penalty_dropped"`
	Failed  float64     `json:"penalty_failed"`
	Reps    []SteadyRep `json:"per_rep"`
}

// SteadyRep is one cold repetition.
type SteadyRep struct {
	Rep     int      `json:"rep"`
	Seconds *float64 `json:"seconds,omitempty"` // absent: never steady within the window
	Penalty float64  `json:"penalty_iteration_s"`
	// Dropped and Failed are the iterations dropped and failed before
	// steady state (over the whole window when it never settled).
	Dropped float64 `json:"penalty_dropped"`
	Failed  float64 `json:"penalty_failed"`
	// Ended says, for a window that never settled, how its last rolling
	// window was: "above" the limit, "failing" (more drops or errors than
	// warm), or "empty" (nothing finished).
	Ended string `json:"ended,omitempty"`
}

// SteadyState measures the cold variant against the warm one.
//
// Time to steady state: for each interval i of a cold window, the rolling
// p99 is the p99 of the merged histograms of intervals i, i+1, i+2 (a
// forward window, so that "steady from second 2" means the window starting
// at second 2 is already good; a window of fewer than 3 intervals is taken
// whole). The window is steady when its p99 is at most the limit and it
// lost (dropped or failed) no bigger share of its iterations than warm
// did, plus SteadyFailSlack. The time to steady state is the start of the
// first interval s such that every rolling window from s to the last full
// one is steady; a window with no completed iteration is never steady,
// since nothing finishing is the opposite of steady.
//
// Cold-start penalty: Σ over the intervals i < s of (mean_i − warm mean) ×
// iterations_i, in iteration-seconds: the extra latency the cold start
// added, summed over every iteration that paid it. It is signed, so an
// interval faster than warm gives some back. The iterations dropped and
// failed in those intervals are counted beside it: they paid more than
// latency. A window that never settles sums over all its intervals.
func SteadyState(r *record.Record, cold, warm string) (*Steady, error) {
	wh := r.Merged(warm, 0, collector.Latency)
	if wh.TotalCount() == 0 {
		return nil, fmt.Errorf("variant %q has no latency samples", warm)
	}
	st := &Steady{Cold: cold, Warm: warm, WarmP99Ms: float64(wh.ValueAtQuantile(99)) / 1e6, WarmMeanMs: wh.Mean() / 1e6}
	st.WarmRollingMaxMs, st.WarmFailShare = warmSpread(r, warm)
	st.LimitMs = max(st.WarmP99Ms+max(SteadyBandRel*st.WarmP99Ms, SteadyBandAbsMs), st.WarmRollingMaxMs)
	st.BandMs = st.LimitMs - st.WarmP99Ms
	var secs, pens, drops, fails []float64
	for _, w := range r.Info.Windows {
		rows := r.Series(w.Variant, w.Rep)
		if w.Variant != cold || w.Status == record.StatusSkipped || len(rows) == 0 {
			continue
		}
		hs := padTo(r.Hists[record.Tag(cold, w.Rep, collector.Latency)], len(rows))
		lost := lostOf(rows)
		s, ended := settleIndex(newSpectrum(hs), lost, st.LimitMs*1e6, st.WarmFailShare+SteadyFailSlack)
		rep := SteadyRep{Rep: w.Rep, Penalty: penalty(hs[:s], st.WarmMeanMs*1e6)}
		for _, l := range lost.perInterval[:s] {
			rep.Dropped += l.dropped
			rep.Failed += l.failed
		}
		sec := math.Inf(1)
		if s < len(rows) {
			sec = rows[s].Values[record.TStart]
			rep.Seconds = &sec
		} else {
			rep.Ended = ended
		}
		st.Reps = append(st.Reps, rep)
		secs, pens = append(secs, sec), append(pens, rep.Penalty)
		drops, fails = append(drops, rep.Dropped), append(fails, rep.Failed)
	}
	if len(st.Reps) == 0 {
		return nil, fmt.Errorf("variant %q has no measured window", cold)
	}
	if m := median(secs); !math.IsInf(m, 1) {
		st.Seconds = &m
	}
	st.Penalty, st.Dropped, st.Failed = median(pens), median(drops), median(fails)
	return st, nil
}

// lost is what each interval of a window lost: iterations dropped, and
// iterations that failed (the run's own interruptions left out), beside
// those that ended.
type lost struct{ perInterval []lostInterval }

type lostInterval struct{ dropped, failed, ended float64 }

func lostOf(rows []record.Row) lost {
	l := lost{perInterval: make([]lostInterval, len(rows))}
	for i, r := range rows {
		l.perInterval[i] = lostInterval{dropped: cell(r, record.Dropped),
			failed: cell(r, record.Errors) - cell(r, record.ErrorsOf(driver.ClassInterrupted)),
			ended:  cell(r, record.Iterations)}
	}
	return l
}

// share is the part of the drawn intervals' schedule that was lost.
func (l lost) share(draw []int) float64 {
	var bad, all float64
	for _, i := range draw {
		li := l.perInterval[i]
		bad += li.dropped + li.failed
		all += li.dropped + li.ended
	}
	if all == 0 {
		return 0
	}
	return bad / all
}

// cell is a row's value, 0 when absent.
func cell(r record.Row, col string) float64 {
	if v, ok := r.Values[col]; ok && !math.IsNaN(v) {
		return v
	}
	return 0
}

// warmSpread is the highest rolling p99 (ms) over the warm variant's
// windows, and the share of its schedule it lost to drops and errors.
func warmSpread(r *record.Record, warm string) (float64, float64) {
	worst := 0.0
	var all lost
	for _, w := range r.Info.Windows {
		rows := r.Series(w.Variant, w.Rep)
		if w.Variant != warm || w.Status == record.StatusSkipped || len(rows) == 0 {
			continue
		}
		all.perInterval = append(all.perInterval, lostOf(rows).perInterval...)
		s := newSpectrum(padTo(r.Hists[record.Tag(warm, w.Rep, collector.Latency)], len(rows)))
		acc := make([]int64, len(s.values))
		p99 := make([]float64, 1)
		for i := 0; i <= max(len(s.n)-SteadyWindow, 0); i++ {
			if total := s.merge(rolling(i, len(s.n)), acc); total > 0 {
				s.quantiles(acc, total, []float64{99}, p99)
				worst = max(worst, p99[0]/1e6)
			}
		}
	}
	every := make([]int, len(all.perInterval))
	for i := range every {
		every[i] = i
	}
	return worst, all.share(every)
}

// rolling is the intervals of the rolling window starting at i of n.
func rolling(i, n int) []int {
	draw := make([]int, 0, SteadyWindow)
	for j := i; j < min(i+SteadyWindow, n); j++ {
		draw = append(draw, j)
	}
	return draw
}

// settleIndex returns the first interval from which every rolling window is
// steady (p99 at most limit, in ns, and no more than maxShare of it
// lost), or the number of intervals if the last window is not, and then
// how that window was.
func settleIndex(s *spectrum, l lost, limit, maxShare float64) (int, string) {
	n := len(s.n)
	acc := make([]int64, len(s.values))
	p99 := make([]float64, 1)
	settled := n
	for i := max(n-SteadyWindow, 0); i >= 0; i-- {
		draw := rolling(i, n)
		total := s.merge(draw, acc)
		if total == 0 {
			return settled, "empty"
		}
		s.quantiles(acc, total, []float64{99}, p99)
		switch {
		case p99[0] > limit:
			return settled, "above"
		case l.share(draw) > maxShare:
			return settled, "failing"
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
