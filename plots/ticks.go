package plots

import (
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
)

// niceTicks labels a linear axis every 1, 2 or 5 × 10^k, aiming at about
// target labels, with an unlabelled minor tick between labels. gonum's
// default aims at three labels, too few to read a value off a time axis.
// An integer axis (connections, threads) never steps below 1.
type niceTicks struct {
	target  int
	integer bool
}

// Ticks implements plot.Ticker.
func (t niceTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) || math.IsInf(hi-lo, 0) {
		return []plot.Tick{{Value: lo, Label: formatTick(lo, 1)}}
	}
	step := niceStep((hi - lo) / float64(max(t.target, 2)))
	if t.integer {
		step = max(step, 1)
	}
	var ticks []plot.Tick
	first := math.Ceil(lo/step-1e-9) * step
	for i := 0; ; i++ {
		v := first + float64(i)*step
		if v > hi+step*1e-9 {
			break
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: formatTick(v, step)})
		if m := v + step/2; m <= hi && !(t.integer && step == 1) {
			ticks = append(ticks, plot.Tick{Value: m})
		}
	}
	if m := first - step/2; m >= lo && !(t.integer && step == 1) {
		ticks = append(ticks, plot.Tick{Value: m})
	}
	return ticks
}

// niceStep rounds raw up to the next 1, 2 or 5 × 10^k.
func niceStep(raw float64) float64 {
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if raw <= m*mag*(1+1e-9) {
			return m * mag
		}
	}
	return 10 * mag
}

// formatTick prints v with as many decimals as the step needs, so that
// labels read 0, 0.5, 1 rather than 0.000, 0.500, 1.000.
func formatTick(v, step float64) string {
	dec := 0
	if step < 1 {
		dec = int(math.Ceil(-math.Log10(step) - 1e-9))
	}
	if math.Abs(v) < step*1e-6 {
		v = 0 // -0 and float dust print as 0
	}
	return strconv.FormatFloat(v, 'f', dec, 64)
}

// logTicks labels a log axis at 1, 2 and 5 × 10^k when it spans few
// decades and at powers of ten only when it spans many, with unlabelled
// minor ticks at the other integers of each decade. gonum's LogTicks labels
// powers of ten only, which leaves a one-decade latency axis unlabelled.
type logTicks struct{}

// Ticks implements plot.Ticker.
func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	if lo <= 0 || hi <= lo {
		return nil
	}
	decades := math.Log10(hi / lo)
	var ticks []plot.Tick
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		base := math.Pow(10, e)
		for m := 1.0; m < 10; m++ {
			v := m * base
			if v < lo*(1-1e-9) || v > hi*(1+1e-9) {
				continue
			}
			label := ""
			if m == 1 || (decades <= 3 && (m == 2 || m == 5)) {
				label = formatTick(v, base)
			}
			ticks = append(ticks, plot.Tick{Value: v, Label: label})
		}
	}
	return ticks
}

// percentileTicks labels the HdrHistogram percentile axis, x = 1/(1−p):
// 1 is 0%, 2 is 50%, 10 is 90%, 100 is 99%, 1000 is 99.9% and so on, with
// unlabelled minor ticks in between.
type percentileTicks struct{}

// Ticks implements plot.Ticker.
func (percentileTicks) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	for k := 0; math.Pow(10, float64(k)) <= hi*(1+1e-9); k++ {
		base := math.Pow(10, float64(k))
		ticks = append(ticks, plot.Tick{Value: base, Label: percentileLabel(k)})
		for m := 2.0; m < 10 && m*base <= hi; m++ {
			label := ""
			if k == 0 && m == 2 {
				label = "50%" // the median, where readers look first
			}
			ticks = append(ticks, plot.Tick{Value: m * base, Label: label})
		}
	}
	return ticks
}

// percentileLabel is the percentile at x = 10^k: 0%, 90%, 99%, 99.9%, …
func percentileLabel(k int) string {
	switch k {
	case 0:
		return "0%"
	case 1:
		return "90%"
	case 2:
		return "99%"
	}
	return "99." + strings.Repeat("9", k-2) + "%"
}

// log10Ticks places the ticks of inner, a ticker for a log axis, on an axis
// of log10 values (see logY).
type log10Ticks struct{ inner plot.Ticker }

// Ticks implements plot.Ticker.
func (t log10Ticks) Ticks(lo, hi float64) []plot.Tick {
	ticks := t.inner.Ticks(math.Pow(10, lo), math.Pow(10, hi))
	for i := range ticks {
		ticks[i].Value = math.Log10(ticks[i].Value)
	}
	return ticks
}
