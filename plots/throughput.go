package plots

import (
	"fmt"
	"image/color"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/poolload/poolload/collector"
	"github.com/poolload/poolload/record"
)

// dropShades are the drop causes from the bottom of a bar up, with how far
// each is tinted from its variant's colour towards white and its legend
// text. Pool starvation is the darkest: it is what this tool is about.
var dropShades = []struct {
	cause collector.DropCause
	tint  float64
	label string
}{
	{collector.DropPool, 0, "dropped: pool starvation"},
	{collector.DropTarget, 0.45, "dropped: slow target"},
	{collector.DropVUs, 0.75, "dropped: too few VUs"},
}

func dropColumn(c collector.DropCause) string { return "dropped_" + c.String() }

// bar is one window's drops in one interval: x0..x1 on the time axis and a
// stack of (height, colour) from the bottom.
type bar struct {
	x0, x1 float64
	segs   []barSeg
}

type barSeg struct {
	h float64
	c color.Color
}

// dropBars draws bars in data coordinates. gonum's BarChart sizes bars in
// points at integer positions; drops need bars exactly as wide as (a share
// of) their interval, which is not always one second.
type dropBars []bar

// Plot implements plot.Plotter.
func (b dropBars) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for _, br := range b {
		y := 0.0
		for _, s := range br.segs {
			r := vg.Rectangle{Min: vg.Point{X: trX(br.x0), Y: trY(y)}, Max: vg.Point{X: trX(br.x1), Y: trY(y + s.h)}}
			c.SetColor(s.c)
			c.Fill(r.Path())
			y += s.h
		}
	}
}

// DataRange implements plot.DataRanger.
func (b dropBars) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, xmax = 0, 1
	for i, br := range b {
		if i == 0 || br.x0 < xmin {
			xmin = br.x0
		}
		xmax = max(xmax, br.x1)
		top := 0.0
		for _, s := range br.segs {
			top += s.h
		}
		ymax = max(ymax, top)
	}
	return xmin, xmax, 0, ymax
}

// dropBarsOf builds the drop bars of every window: in each interval the
// windows stand side by side, grouped by variant and in repetition order,
// each stacked by cause and expressed per second.
func (r *run) dropBarsOf() (dropBars, []collector.DropCause) {
	var out dropBars
	var seen []collector.DropCause
	n := float64(len(r.windows))
	for k, w := range r.windows {
		for _, row := range w.rows {
			start, end := row.Values[record.TStart], row.Values[record.TEnd]
			if end <= start {
				continue
			}
			slot := (end - start) / n
			b := bar{x0: start + float64(k)*slot + slot*0.08, x1: start + float64(k+1)*slot - slot*0.08}
			for _, s := range dropShades {
				if d := row.Values[dropColumn(s.cause)]; d > 0 {
					b.segs = append(b.segs, barSeg{h: d / (end - start), c: tint(w.color, s.tint)})
					if !slices.Contains(seen, s.cause) {
						seen = append(seen, s.cause)
					}
				}
			}
			if len(b.segs) > 0 {
				out = append(out, b)
			}
		}
	}
	return out, seen
}

// throughputFigure shows the achieved rate against the offered one, and
// below it the iterations dropped for want of a free VU, by cause.
func throughputFigure(r *run) (*figure, error) {
	if !r.has(record.Rate) {
		return nil, nil
	}
	top := r.timePanel("achieved rate per interval", "iterations/s")
	series := r.each(func(w window) plotter.XYs { return column(w.rows, "rate") })
	if _, err := r.addLines(top, series); err != nil {
		return nil, err
	}
	legend := r.newLegend()
	if err := r.addOffered(top, &legend); err != nil {
		return nil, err
	}
	top.Y.Max *= 1.05

	bars, causes := r.dropBarsOf()
	title := "dropped iterations per second, by cause"
	if len(bars) == 0 {
		title = "dropped iterations per second: none"
	}
	bottom := r.timePanel(title, "dropped/s")
	bottom.Add(bars)
	bottom.Y.Max = max(bottom.Y.Max*1.05, 1)
	for _, s := range dropShades {
		if slices.Contains(causes, s.cause) {
			var sw swatch
			for _, v := range r.variants {
				sw = append(sw, tint(r.colors[v], s.tint))
			}
			legend.Add(s.label, sw)
		}
	}
	if len(bars) > 0 && len(r.windows) > 1 {
		legend.Add("bars in each interval:")
		legend.Add(windowOrder(r))
	}
	return &figure{name: "throughput", title: "Throughput and dropped iterations — " + r.name,
		panels: grid([]*plot.Plot{top, bottom}, 1), legend: legend}, nil
}

// addOffered draws the offered rate of the windows as a grey dashed line.
func (r *run) addOffered(p *plot.Plot, l *plot.Legend) error {
	var rates []float64
	for _, w := range r.rec.Info.Windows {
		if w.Offered > 0 && !slices.Contains(rates, w.Offered) {
			rates = append(rates, w.Offered)
		}
	}
	for i, rate := range rates {
		line, err := plotter.NewLine(plotter.XYs{{X: 0, Y: rate}, {X: max(r.tEnd, 1), Y: rate}})
		if err != nil {
			return fmt.Errorf("drawing the offered rate: %w", err)
		}
		line.LineStyle = draw.LineStyle{Color: grey, Width: vg.Points(1.2), Dashes: []vg.Length{vg.Points(3), vg.Points(3)}}
		p.Add(line)
		if i == 0 {
			l.Add("offered rate", legendLine(line.LineStyle))
		}
	}
	return nil
}

// windowOrder names the windows in the order their bars stand within an
// interval, compactly: "cold 1–2, warm 1–2".
func windowOrder(r *run) string {
	var parts []string
	for _, v := range r.variants {
		var reps []int
		for _, w := range r.windows {
			if w.variant == v {
				reps = append(reps, w.rep)
			}
		}
		if len(reps) > 0 {
			parts = append(parts, v+" "+repList(reps))
		}
	}
	return strings.Join(parts, ", ")
}

// repList writes ascending repetitions as "1", "1–3" or "1, 3".
func repList(reps []int) string {
	contiguous := reps[len(reps)-1]-reps[0] == len(reps)-1
	if len(reps) > 1 && contiguous {
		return strconv.Itoa(reps[0]) + "–" + strconv.Itoa(reps[len(reps)-1])
	}
	s := make([]string, len(reps))
	for i, rep := range reps {
		s[i] = strconv.Itoa(rep)
	}
	return strings.Join(s, ", ")
}
