package engine

import (
	"math"
	"sort"
	"time"
)

// Schedule gives the intended start of every iteration as an absolute
// offset from t0. Offsets are computed from the iteration number alone,
// never by adding periods, so a long schedule cannot drift.
type Schedule interface {
	// At returns the offset of iteration i (0-based), and false when the
	// schedule has no iteration i.
	At(i int64) (time.Duration, bool)
	// Total is the number of iterations the schedule starts.
	Total() int64
	// Duration is the length of the schedule.
	Duration() time.Duration
}

// Constant starts rate iterations per unit, evenly spaced, for d.
type Constant struct {
	perNs float64 // iterations per nanosecond
	d     time.Duration
	total int64
}

// NewConstant returns a constant-arrival-rate schedule.
func NewConstant(rate float64, unit, d time.Duration) *Constant {
	perNs := rate / float64(unit)
	return &Constant{perNs: perNs, d: d, total: ceilCount(perNs * float64(d))}
}

// At implements Schedule: iteration i starts at i/rate.
func (c *Constant) At(i int64) (time.Duration, bool) {
	if i < 0 || i >= c.total {
		return 0, false
	}
	return time.Duration(math.Round(float64(i) / c.perNs)), true
}

// Total implements Schedule.
func (c *Constant) Total() int64 { return c.total }

// Duration implements Schedule.
func (c *Constant) Duration() time.Duration { return c.d }

// ceilCount is how many iterations i = 0, 1, … have i < x; a tolerance of
// 1e-9 keeps a product that should be an integer from rounding up.
func ceilCount(x float64) int64 {
	if x <= 0 {
		return 0
	}
	return int64(math.Ceil(x - 1e-9))
}

// Ramping follows a piecewise-linear rate. Iteration i starts at the moment
// the area under the rate curve reaches i. Within a stage that goes from r0
// to r1 over T, the area after dt is
//
//	A(dt) = r0·dt + (r1−r0)·dt²/(2T)
//
// so the start of iteration i, with x = i − (area before the stage), is the
// positive root of A(dt) = x. It is computed as 2x / (r0 + √(r0² + 4ax)),
// a = (r1−r0)/(2T), which stays exact when r0 = 0 and does not cancel
// catastrophically when a is small. Fractional iterations carry across
// stages because the area is never rounded.
type Ramping struct {
	stages []rampStage
	d      time.Duration
	total  int64
}

type rampStage struct {
	start      float64 // offset of the stage start, ns
	length     float64 // ns
	r0, r1     float64 // iterations per ns
	areaBefore float64 // iterations due before the stage
	areaAfter  float64
}

// Stage is one linear piece of a ramping rate: from the previous stage's
// target (or the start rate) to Target, per unit, over Duration.
type Stage struct {
	Target   float64
	Duration time.Duration
}

// NewRamping returns a ramping-arrival-rate schedule starting at startRate
// per unit and following stages.
func NewRamping(startRate float64, unit time.Duration, stages []Stage) *Ramping {
	r := &Ramping{}
	prev, at, area := startRate/float64(unit), 0.0, 0.0
	for _, st := range stages {
		next := st.Target / float64(unit)
		length := float64(st.Duration)
		s := rampStage{start: at, length: length, r0: prev, r1: next, areaBefore: area}
		area += (prev + next) / 2 * length
		s.areaAfter = area
		r.stages = append(r.stages, s)
		at += length
		prev = next
	}
	r.d = time.Duration(at)
	r.total = ceilCount(area)
	return r
}

// At implements Schedule.
func (r *Ramping) At(i int64) (time.Duration, bool) {
	if i < 0 || i >= r.total {
		return 0, false
	}
	x := float64(i)
	k := sort.Search(len(r.stages), func(k int) bool { return r.stages[k].areaAfter > x })
	if k == len(r.stages) { // the tolerance in ceilCount let one through
		k = len(r.stages) - 1
	}
	s := r.stages[k]
	x -= s.areaBefore
	var dt float64
	a := (s.r1 - s.r0) / (2 * s.length)
	if x > 0 {
		disc := s.r0*s.r0 + 4*a*x
		dt = 2 * x / (s.r0 + math.Sqrt(math.Max(disc, 0)))
	}
	return time.Duration(math.Round(s.start + math.Min(dt, s.length))), true
}

// Total implements Schedule.
func (r *Ramping) Total() int64 { return r.total }

// Duration implements Schedule.
func (r *Ramping) Duration() time.Duration { return r.d }
