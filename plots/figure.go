package plots

import (
	"bytes"
	"fmt"
	"image/color"
	"image/png"
	"io"
	"math"
	"path/filepath"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/poolload/poolload/record"
)

// defaultDPI is the resolution of the PNG files: 144 keeps lines and text
// crisp on high-density screens and in documents scaled down to half.
const defaultDPI = 144

// Figure sizes. Width is fixed so that every plot of a report lines up.
const (
	figWidth     = 10 * vg.Inch
	panelHeight  = 3 * vg.Inch
	singleHeight = 4.2 * vg.Inch // a figure of one panel
	titleHeight  = 0.45 * vg.Inch
	xAxisExtra   = 0.35 * vg.Inch // the x label under the bottom row
	minTitleSize = 10.5           // points: a long title shrinks no further
)

// figure is one output file: a title, a grid of panels sharing a time (or
// percentile) axis, and one legend to the right of the panels, outside the
// data, so that it never hides a line.
type figure struct {
	name     string // file name without extension
	title    string
	subtitle []string       // lines under the title (the network link), if any
	panels   [][]*plot.Plot // rows of columns; nil cells stay empty
	legend   plot.Legend
}

// headHeight is the height of the title and subtitle above the panels; a
// figure without a subtitle keeps the layout it always had.
func (f *figure) headHeight() vg.Length {
	return titleHeight + vg.Length(len(f.subtitle))*subtitleLineHeight
}

// size is the figure's width and height.
func (f *figure) size() (vg.Length, vg.Length) {
	if len(f.panels) == 1 {
		return figWidth, f.headHeight() + xAxisExtra + singleHeight
	}
	return figWidth, f.headHeight() + xAxisExtra + vg.Length(len(f.panels))*panelHeight
}

// draw lays the figure out on c.
func (f *figure) draw(c draw.Canvas) {
	c.SetColor(color.White)
	c.Fill(c.Rectangle.Path())

	c.FillText(titleStyle(f.title), vg.Point{X: c.Center().X, Y: c.Max.Y - vg.Points(8)}, f.title)
	// The subtitle starts where the title's own band ends, a little up
	// into its bottom padding so the two read as one heading.
	y := c.Max.Y - titleHeight + vg.Points(4)
	for _, line := range f.subtitle {
		c.FillText(subtitleStyle(), vg.Point{X: c.Center().X, Y: y}, line)
		y -= subtitleLineHeight
	}

	body := draw.Crop(c, 0, 0, 0, -f.headHeight())
	legendW := f.legend.Rectangle(body).Max.X - f.legend.Rectangle(body).Min.X
	if legendW > 0 {
		legendW += vg.Points(18)
		lc := draw.Crop(body, body.Max.X-body.Min.X-legendW+vg.Points(8), 0, 0, -vg.Points(22))
		f.legend.Draw(lc)
	}
	grid := draw.Crop(body, 0, -legendW, 0, 0)
	cols := 0
	for _, row := range f.panels {
		cols = max(cols, len(row))
	}
	tiles := draw.Tiles{Rows: len(f.panels), Cols: cols, PadX: vg.Points(24), PadY: vg.Points(14),
		PadLeft: vg.Points(6), PadRight: vg.Points(8), PadBottom: vg.Points(6)}
	canvases := plot.Align(f.panels, tiles, grid)
	for i, row := range f.panels {
		for j, p := range row {
			if p != nil {
				p.Draw(canvases[i][j])
			}
		}
	}
}

// titleStyle is the style of the figure's title: figTitleSize, or smaller
// when a long scenario name and run id would run off both edges.
func titleStyle(title string) text.Style {
	base := text.Style{Color: color.Black, XAlign: draw.XCenter, YAlign: draw.YTop, Handler: plot.DefaultTextHandler}
	size := float64(figTitleSize)
	for ; size > minTitleSize; size -= 0.5 {
		if sansStyle(size, base).Width(title) <= headWidth {
			break
		}
	}
	return sansStyle(size, base)
}

// save writes the figure as PNG (at dpi) and SVG into dir, each through a
// temporary file, and returns their paths.
func (f *figure) save(dir string, dpi int) ([]string, error) {
	w, h := f.size()
	img := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(dpi))
	f.draw(draw.New(img))
	svg := vgsvg.New(w, h)
	f.draw(draw.New(svg))

	var paths []string
	outs := []struct {
		ext    string
		encode func(io.Writer) error
	}{
		// BestSpeed: a third less time than the default level for files
		// a few percent larger; PNG encoding is most of Render's time.
		{".png", func(w io.Writer) error {
			return (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(w, img.Image())
		}},
		{".svg", func(w io.Writer) error { _, err := svg.WriteTo(w); return err }},
	}
	for _, out := range outs {
		var buf bytes.Buffer
		if err := out.encode(&buf); err != nil {
			return paths, fmt.Errorf("encoding %s%s: %w", f.name, out.ext, err)
		}
		path := filepath.Join(dir, f.name+out.ext)
		if err := record.WriteFileAtomic(path, buf.Bytes()); err != nil {
			return paths, fmt.Errorf("saving plot %s: %w", f.name, err)
		}
		paths = append(paths, path)
	}
	return paths, nil
}

// newLegend is the figure legend: one entry per variant that has data, then
// the line style of each repetition when there are several.
func (r *run) newLegend() plot.Legend {
	l := emptyLegend()
	seen := map[string]bool{}
	for _, w := range r.windows {
		if !seen[w.variant] {
			seen[w.variant] = true
			l.Add(w.variant, legendLine(lineStyle(w.color, 1)))
		}
	}
	if r.maxRep > 1 {
		// Dash patterns repeat every three repetitions after the first.
		for first := 1; first <= min(r.maxRep, 4); first++ {
			label := "rep " + strconv.Itoa(first)
			for rep := first + 3; first > 1 && rep <= r.maxRep; rep += 3 {
				label += ", " + strconv.Itoa(rep)
			}
			l.Add(label, legendLine(lineStyle(grey, first)))
		}
	}
	return l
}

// each computes one series per window, in r.windows order.
func (r *run) each(f func(window) plotter.XYs) []plotter.XYs {
	out := make([]plotter.XYs, len(r.windows))
	for i, w := range r.windows {
		out[i] = f(w)
	}
	return out
}

// maxMarkers is the longest series still drawn with a dot per interval:
// dots show where the intervals are in a short run and clutter a long one.
const maxMarkers = 60

// addLines draws series[i] as the line of window i; it returns how many
// points were drawn. Windows are drawn last first, so that where lines
// coincide the first variant's rep 1 (usually cold, the one under study)
// stays on top.
func (r *run) addLines(p *plot.Plot, series []plotter.XYs) (int, error) {
	n := 0
	for i := len(series) - 1; i >= 0; i-- {
		xys := series[i]
		if len(xys) == 0 {
			continue
		}
		w := r.windows[i]
		line, err := plotter.NewLine(xys)
		if err != nil {
			return n, fmt.Errorf("drawing %s rep %d: %w", w.variant, w.rep, err)
		}
		line.LineStyle = lineStyle(w.color, w.rep)
		p.Add(line)
		if len(xys) <= maxMarkers {
			dots, err := plotter.NewScatter(xys)
			if err != nil {
				return n, fmt.Errorf("drawing %s rep %d: %w", w.variant, w.rep, err)
			}
			dots.GlyphStyle = draw.GlyphStyle{Color: w.color, Radius: vg.Points(1.8), Shape: draw.CircleGlyph{}}
			p.Add(dots)
		}
		n += len(xys)
	}
	return n, nil
}

// setLogY makes p's y axis, whose values went through logY, read as a log
// axis over lo..hi.
func setLogY(p *plot.Plot, lo, hi float64) {
	p.Y.Tick.Marker = log10Ticks{logTicks{}}
	p.Y.Min, p.Y.Max = math.Log10(lo/1.15), math.Log10(hi*1.15)
}
