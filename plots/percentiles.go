package plots

import (
	"fmt"
	"math"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/poolload/poolload/collector"
)

// spectrum is one variant's latency percentiles, merged over repetitions.
type spectrum struct {
	variant string
	xys     plotter.XYs // x = 1/(1−q), y = ms
	label   string
}

// spectra are the latency spectra of the variants that recorded latency.
func (r *run) spectra() []spectrum {
	var out []spectrum
	for _, v := range r.variants {
		h := r.rec.Merged(v, 0, collector.Latency)
		if xys := percentileXY(h, percentilesPerDecade); len(xys) > 0 {
			out = append(out, spectrum{variant: v, xys: xys,
				label: fmt.Sprintf("%s (%s, n = %d)", v, r.repsOf(v), h.TotalCount())})
		}
	}
	return out
}

// percentileFigure draws each variant's latency distribution, merged over
// its repetitions, the way HdrHistogram and wrk2 plot it: the x axis
// stretches the tail (1/(1−p) on a log scale) so that p99.9 gets as much
// room as p90.
func percentileFigure(r *run) (*figure, error) {
	spectra := r.spectra()
	if len(spectra) == 0 {
		return nil, nil
	}
	p := newPanel("latency by percentile, merged over repetitions", "percentile (log scale of 1/(1−p))", "latency (ms)")
	p.X.Tick.Marker = log10Ticks{percentileTicks{}}
	legend := emptyLegend()
	xMax := 10.0 // at least up to 90%, for a single sample
	var all []plotter.XYs
	for _, s := range spectra {
		all = append(all, s.xys)
		xMax = max(xMax, s.xys[len(s.xys)-1].X)
	}
	lo, hi := yRange(all...)
	useLog := logWorthy(lo, hi)
	for _, s := range spectra {
		xys := logX(s.xys)
		if useLog {
			xys = logY(xys)
		}
		line, err := plotter.NewLine(xys)
		if err != nil {
			return nil, fmt.Errorf("drawing the percentiles of %s: %w", s.variant, err)
		}
		line.LineStyle = lineStyle(r.colors[s.variant], 1)
		line.LineStyle.Width = vg.Points(1.8)
		p.Add(line)
		legend.Add(s.label, legendLine(line.LineStyle))
	}
	p.X.Min, p.X.Max = 0, math.Log10(xMax)
	if useLog {
		setLogY(p, lo, hi)
		p.Y.Label.Text = "latency (ms, log scale)"
	} else {
		p.Y.Max = hi * 1.05
	}
	return &figure{name: "percentiles", title: "Latency distribution (intended start → done) — " + r.name,
		panels: [][]*plot.Plot{{p}}, legend: legend}, nil
}

// repsOf says how many repetitions of variant v the histogram log holds,
// which is what Merged added up.
func (r *run) repsOf(v string) string {
	n := 0
	for tag := range r.rec.Hists {
		if strings.HasPrefix(tag, v+".") && strings.HasSuffix(tag, "."+collector.Latency.String()) {
			n++
		}
	}
	if n == 1 {
		return "1 rep"
	}
	return fmt.Sprintf("%d reps", n)
}
