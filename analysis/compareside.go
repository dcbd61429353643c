package analysis

import (
	"fmt"
	"math"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/poolload/poolload/collector"
	"github.com/poolload/poolload/record"
)

// repData is one window of a side, ready to be resampled.
type repData struct {
	rep    int
	n      int          // intervals
	spec   [3]*spectrum // per compareMetrics
	counts [3][]float64 // per compareCounters, per interval
	known  bool         // conns_opened was sampled
}

type sideData struct {
	side Side
	reps []*repData
}

// loadSide gathers the measured windows of one variant of r. Connections
// opened come from the record's best source (connsOf), the same on both
// sides of a comparison within a record.
func loadSide(r *record.Record, variant string) (*sideData, error) {
	sd := &sideData{side: Side{Variant: variant}}
	src, _ := connsOf(r.Rows)
	conns := src.col
	sd.side.ConnsSource = src.what
	for _, w := range r.Info.Windows {
		rows := r.Series(w.Variant, w.Rep)
		if w.Variant != variant || w.Status == record.StatusSkipped || len(rows) == 0 {
			continue
		}
		units := unitsOf(rows, time.Duration(r.Info.Interval).Seconds())
		d := &repData{rep: w.Rep, n: len(units)}
		for m, metric := range compareMetrics {
			hs := padTo(r.Hists[record.Tag(variant, w.Rep, metric)], len(rows))
			d.spec[m] = newSpectrum(mergeUnits(hs, units))
		}
		for c, name := range compareCounters {
			if name == record.ConnsOpened {
				name = conns
			}
			d.counts[c] = sumColumn(rows, units, name)
		}
		for _, row := range rows {
			_, ok := row.Values[conns] // an empty cell (no sample) is absent
			d.known = d.known || ok
		}
		sd.reps = append(sd.reps, d)
		sd.side.Reps = append(sd.side.Reps, w.Rep)
		sd.side.Intervals += d.n
	}
	if len(sd.reps) == 0 {
		return nil, fmt.Errorf("variant %q has no measured window", variant)
	}
	return sd, nil
}

// sumColumn adds up a time-series column per unit; absent cells count 0.
func sumColumn(rows []record.Row, units [][]int, name string) []float64 {
	out := make([]float64, len(units))
	for u, idx := range units {
		for _, i := range idx {
			out[u] += rows[i].Values[name]
		}
	}
	return out
}

// unitsOf groups a window's intervals into the units the bootstrap
// resamples: an interval shorter than half the nominal one (the sliver
// between the last tick and the last VU finishing) joins the one before,
// so that every unit stands for about the same stretch of time. Drawing
// the sliver on its own as often as a full second would let a handful of
// iterations pass for a third of the window.
func unitsOf(rows []record.Row, nominal float64) [][]int {
	var units [][]int
	for i, row := range rows {
		dur := row.Values[record.TEnd] - row.Values[record.TStart]
		if len(units) > 0 && dur < nominal/2 {
			units[len(units)-1] = append(units[len(units)-1], i)
			continue
		}
		units = append(units, []int{i})
	}
	return units
}

// mergeUnits adds up the interval histograms of each unit.
func mergeUnits(hs []*hdr.Histogram, units [][]int) []*hdr.Histogram {
	out := make([]*hdr.Histogram, len(units))
	for u, idx := range units {
		if len(idx) == 1 {
			out[u] = hs[idx[0]]
			continue
		}
		h := collector.NewHistogram()
		for _, i := range idx {
			if hs[i] != nil {
				h.Merge(hs[i])
			}
		}
		out[u] = h
	}
	return out
}

// padTo lines the interval histograms up with the n time-series rows.
func padTo[T any](s []*T, n int) []*T {
	out := make([]*T, n)
	copy(out, s)
	return out
}

// stats computes every row's value for the drawn intervals of d.
func (d *repData) stats(draw []int, acc []int64, out []float64) {
	for m, s := range d.spec {
		total := s.merge(draw, acc)
		s.quantiles(acc[:len(s.values)], total, compareQs, out[m*len(compareQs):])
		for k := range compareQs {
			out[m*len(compareQs)+k] /= 1e6
		}
	}
	for c := range d.counts {
		sum := 0.0
		for _, i := range draw {
			sum += d.counts[c][i]
		}
		out[numTimingRows+c] = sum
	}
}

// accLen is the scratch length stats needs.
func (sd *sideData) accLen() int {
	n := 0
	for _, d := range sd.reps {
		for _, s := range d.spec {
			n = max(n, len(s.values))
		}
	}
	return n
}

// point returns every window's row values over all its intervals.
func (sd *sideData) point() [][]float64 {
	acc := make([]int64, sd.accLen())
	out := make([][]float64, len(sd.reps))
	for i, d := range sd.reps {
		out[i] = make([]float64, numRows)
		d.stats(allOf(d.n), acc, out[i])
		for row, v := range out[i] {
			if math.IsNaN(v) {
				out[i][row] = 0 // no samples, as in StatsOf
			}
		}
	}
	return out
}

func allOf(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// minUnits is the fewest resampling units in any of the side's windows.
func (sd *sideData) minUnits() int {
	n := math.MaxInt
	for _, d := range sd.reps {
		n = min(n, d.n)
	}
	return n
}
