package plots

import (
	"image/color"
	"math"
	"slices"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"gonum.org/v1/plot/plotter"

	"github.com/poolload/poolload/record"
)

// window is one variant × repetition of a record with its time-series rows.
type window struct {
	variant string
	rep     int
	color   color.RGBA
	rows    []record.Row
}

// run is what every plot of one record draws from.
type run struct {
	rec      *record.Record
	variants []string // in record order: the order fixes each one's colour
	colors   map[string]color.RGBA
	windows  []window // grouped by variant, repetitions ascending
	maxRep   int
	tEnd     float64 // the latest t_end_s of any window
	name     string  // scenario name and run id, for figure titles
}

func newRun(rec *record.Record) *run {
	r := &run{rec: rec, colors: map[string]color.RGBA{}}
	addVariant := func(v string) {
		if _, ok := r.colors[v]; !ok {
			r.colors[v] = variantColor(len(r.variants))
			r.variants = append(r.variants, v)
		}
	}
	// run.json lists windows in the order they ran, which is the scenario's
	// variant order; rows cover the windows a truncated run.json may lack.
	for _, w := range rec.Info.Windows {
		addVariant(w.Variant)
	}
	reps := map[string][]int{}
	for _, row := range rec.Rows {
		addVariant(row.Variant)
		if !slices.Contains(reps[row.Variant], row.Rep) {
			reps[row.Variant] = append(reps[row.Variant], row.Rep)
		}
		r.tEnd = max(r.tEnd, row.Values[record.TEnd])
	}
	for _, v := range r.variants {
		slices.Sort(reps[v])
		for _, rep := range reps[v] {
			r.windows = append(r.windows, window{variant: v, rep: rep, color: r.colors[v], rows: rec.Series(v, rep)})
			r.maxRep = max(r.maxRep, rep)
		}
	}
	r.name = rec.Plan.Name
	if id := rec.Info.ID; id != "" {
		if r.name != "" {
			r.name += " · "
		}
		r.name += "run " + id
	}
	return r
}

// has reports whether any row of the record has column col.
func (r *run) has(col string) bool {
	for _, row := range r.rec.Rows {
		if _, ok := row.Values[col]; ok {
			return true
		}
	}
	return false
}

// nonZero reports whether any row has a non-zero value in one of cols.
func (r *run) nonZero(cols ...string) bool {
	for _, row := range r.rec.Rows {
		for _, c := range cols {
			if v := row.Values[c]; v != 0 && finite(v) {
				return true
			}
		}
	}
	return false
}

// column is the series (t_end_s, col) of rows, leaving out rows where col
// is empty (not measured, e.g. a server gauge while the server was down)
// rather than drawing them as zero.
func column(rows []record.Row, col string) plotter.XYs {
	var xys plotter.XYs
	for _, row := range rows {
		x, okx := row.Values[record.TEnd]
		y, oky := row.Values[col]
		if okx && oky && finite(x) && finite(y) {
			xys = append(xys, plotter.XY{X: x, Y: y})
		}
	}
	return xys
}

// sumColumns is the series (t_end_s, sum of cols) of rows: a row counts
// when it has at least one of cols, and an absent column adds nothing (a
// link emulator that reports resets but not drops, say).
func sumColumns(rows []record.Row, cols []string) plotter.XYs {
	var xys plotter.XYs
	for _, row := range rows {
		x, okx := row.Values[record.TEnd]
		sum, seen := 0.0, false
		for _, c := range cols {
			if y, ok := row.Values[c]; ok && finite(y) {
				sum, seen = sum+y, true
			}
		}
		if okx && seen && finite(x) {
			xys = append(xys, plotter.XY{X: x, Y: sum})
		}
	}
	return xys
}

// logY is xys with y replaced by log10(y), dropping the points a log axis
// cannot draw (y ≤ 0). Log axes are drawn as linear axes of log10 values
// with log10Ticks because gonum sizes an axis label as if it sat at the
// arithmetic middle of the range, which on a LogScale axis is near one end:
// the label's box then pushes the whole panel off centre.
func logY(xys plotter.XYs) plotter.XYs {
	var out plotter.XYs
	for _, p := range xys {
		if p.Y > 0 {
			out = append(out, plotter.XY{X: p.X, Y: math.Log10(p.Y)})
		}
	}
	return out
}

// logX is xys with x replaced by log10(x); x is at least 1 here.
func logX(xys plotter.XYs) plotter.XYs {
	out := make(plotter.XYs, len(xys))
	for i, p := range xys {
		out[i] = plotter.XY{X: math.Log10(p.X), Y: p.Y}
	}
	return out
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// percentilesPerDecade is how finely the percentile spectrum is sampled.
const percentilesPerDecade = 20

// percentileXY is the percentile spectrum of h in the HdrHistogram layout:
// x = 1/(1−q), y = the value at quantile q in milliseconds, sampled evenly
// on the log axis from q = 0. It stops where fewer than one sample remains
// beyond q (x = count): past that point the histogram only repeats its
// maximum, and an open-ended series would stretch the axis to 1e16.
func percentileXY(h *hdr.Histogram, perDecade int) plotter.XYs {
	n := h.TotalCount()
	if n <= 0 || perDecade <= 0 {
		return nil
	}
	last := float64(n)
	var xys plotter.XYs
	for i := 0; ; i++ {
		x := math.Min(math.Pow(10, float64(i)/float64(perDecade)), last)
		q := 1 - 1/x
		xys = append(xys, plotter.XY{X: x, Y: float64(h.ValueAtQuantile(q*100)) / 1e6})
		if x >= last {
			return xys
		}
	}
}

// logWorthy reports whether values spanning lo..hi (both > 0) are better
// read on a log axis: when the largest is over 50 times the smallest, a
// linear axis flattens the small ones (the warm run next to the cold one)
// into the x axis.
func logWorthy(lo, hi float64) bool { return lo > 0 && hi/lo > 50 }

// yRange is the smallest positive and the largest y of some series.
func yRange(series ...plotter.XYs) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, s := range series {
		for _, p := range s {
			if p.Y > 0 {
				lo = math.Min(lo, p.Y)
			}
			hi = math.Max(hi, p.Y)
		}
	}
	return lo, hi
}
