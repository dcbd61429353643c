package scenario

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/poolload/poolload/units"
)

// Limits a scenario must stay within. They catch typos (an extra zero, the
// wrong unit) rather than restrict real use, and they keep every figure
// derived from a scenario (planned iterations, offsets in nanoseconds, the
// run's length) far from what its type can hold. README's "Ranges" lists
// each field's range; keep the two in step.
const (
	MaxVUsLimit = 100_000
	MaxRepeat   = 1000
	MinInterval = 100 * time.Millisecond
	MaxInterval = time.Minute

	// MaxRate is the most iterations per second a load (or a warm-up) may
	// plan, whatever its time_unit: some 30 times what the harness sustains on
	// two cores (README, "The harness's own cost"). Above it the window
	// would only count drops, and 1e300 would overflow the plan.
	MaxRate = 10_000_000
	// MaxWindow bounds a measured window (load.duration, or the sum of the
	// stages) and a warm-up: a day. With MaxRate it caps a window at
	// 8.64e11 planned iterations, and its offsets at 8.64e13 ns: both far
	// below 2^53, where the schedule's float64 arithmetic would stop being
	// exact, and below int64's range.
	MaxWindow = 24 * time.Hour
	// MaxDuration bounds every other duration a scenario holds (time_unit,
	// graceful_stop, idle, timeouts, and the drivers' durations).
	MaxDuration = units.MaxDuration
	// MaxRunLength bounds the whole run as planned: repeat × every
	// variant's warm-up, idle gap and window. A month is far beyond a load
	// test; the bound keeps the plan's sum of durations from overflowing.
	MaxRunLength = 31 * 24 * time.Hour
	// MaxInstances bounds target.instances (replicas × pools).
	MaxInstances = 10_000
	// MaxPrewarm bounds a variant's prewarm, a count of connections.
	MaxPrewarm = 100_000
)

// minPlanned is the fewest iterations a window may plan: the engine counts
// a window's iterations by rounding up from a billionth (engine.ceilCount),
// so a load whose rate × duration is below it starts none.
const minPlanned = 1e-9

// planned is how many iterations rate per unit over d starts, as the engine
// counts them before rounding.
func planned(rate float64, unit, d time.Duration) float64 {
	return rate / float64(unit) * float64(d)
}

// rate checks a rate per unit: finite, above 0 (or 0 when zeroOK) and at
// most MaxRate per second. unitOK is false when time_unit itself is wrong,
// which says nothing about the rate's upper bound.
func (p *problems) rate(field string, rate float64, unit time.Duration, unitOK, zeroOK bool) bool {
	switch {
	case math.IsNaN(rate) || math.IsInf(rate, 0):
		p.add(field, "must be a finite number, got %v", rate)
	case zeroOK && rate < 0:
		p.add(field, "must be 0 or more")
	case !zeroOK && rate <= 0:
		p.add(field, "must be greater than 0")
	case unitOK && rate/unit.Seconds() > MaxRate:
		p.add(field, "must be at most %s, got %s", maxRateIn(unit), number(rate))
	default:
		return true
	}
	return false
}

// maxRateIn says MaxRate in a time_unit: "10000000 per second" for 1s,
// "600000000 per 1m (10000000 per second)" otherwise.
func maxRateIn(unit time.Duration) string {
	if unit == time.Second {
		return fmt.Sprintf("%d per second", MaxRate)
	}
	return fmt.Sprintf("%s per %s (%d per second)", number(MaxRate*unit.Seconds()), short(unit), MaxRate)
}

// number writes x as a user would: 500, 0.5, 1e+300.
func number(x float64) string {
	if math.Abs(x) >= 1e15 || x != 0 && math.Abs(x) < 1e-6 {
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	return strconv.FormatFloat(x, 'f', -1, 64)
}

// duration checks d against [0, max], or (0, max] when positive; a field
// whose 0 is allowed says what 0 means (none, or the default).
func (p *problems) duration(field string, d, max time.Duration, positive bool) bool {
	if msg := units.Duration(d).Check(max, positive); msg != "" {
		p.add(field, "%s", msg)
		return false
	}
	return true
}

// window checks a constant-rate window (the load's or a warm-up's): its
// rate, its duration, and that it starts at least one iteration.
func (p *problems) window(prefix string, rate float64, d, unit time.Duration, unitOK bool) {
	rateOK := p.rate(prefix+"rate", rate, unit, unitOK, false)
	durOK := p.duration(prefix+"duration", d, MaxWindow, true)
	if rateOK && durOK && unitOK && planned(rate, unit, d) <= minPlanned {
		p.add(prefix+"rate", "%s per %s over %s starts no iteration", number(rate), short(unit), short(d))
	}
}

// runLength is how long the run as planned lasts, in seconds (a float, so
// that the sum cannot overflow): repeat × each variant's warm-up, idle gap
// and window.
func (s *Scenario) runLength() float64 {
	window := s.Load.Duration.D().Seconds()
	if s.Load.Executor == RampingArrivalRate {
		window = 0
		for _, st := range s.Load.Stages {
			window += st.Duration.D().Seconds()
		}
	}
	total := 0.0
	for _, v := range s.Variants {
		total += window + v.Idle.D().Seconds()
		if v.Warmup != nil {
			total += v.Warmup.Duration.D().Seconds()
		}
	}
	return total * float64(s.Repeat)
}

// validateRunLength refuses a run planned to last longer than MaxRunLength.
// It blames repeat, the multiplier, unless there is one repetition.
func (s *Scenario) validateRunLength(p *problems) {
	secs := s.runLength()
	if secs <= MaxRunLength.Seconds() {
		return
	}
	field := "repeat"
	if s.Repeat <= 1 {
		field = "variants"
	}
	p.add(field, "%d repetitions of %d variants would take %s in all; a run may take at most %s",
		s.Repeat, len(s.Variants), hours(secs), hours(MaxRunLength.Seconds()))
}

// hours writes a length in seconds that may be beyond time.Duration's
// range: 90000s is "25h", 2e12s "555555556h".
func hours(secs float64) string {
	if secs < MaxDuration.Seconds() {
		return short(time.Duration(secs * float64(time.Second)))
	}
	return strconv.FormatFloat(math.Round(secs/3600), 'f', -1, 64) + "h"
}
