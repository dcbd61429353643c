package plots

import (
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// palette gives each variant its colour by its position in the record, so a
// variant keeps one colour across every plot of a run. The first two are
// blue and orange, which reads naturally for the usual "cold, warm" order;
// the rest are the other Tableau 10 colours, distinct in print and to most
// colour-blind readers.
var palette = []color.RGBA{
	{31, 119, 180, 255},  // blue
	{255, 127, 14, 255},  // orange
	{44, 160, 44, 255},   // green
	{214, 39, 40, 255},   // red
	{148, 103, 189, 255}, // purple
	{140, 86, 75, 255},   // brown
	{227, 119, 194, 255}, // pink
	{188, 189, 34, 255},  // olive
	{23, 190, 207, 255},  // cyan
	{127, 127, 127, 255}, // grey
}

// Neutral colours for things that are not a variant (offered rate, legend
// keys for the repetition line styles).
var (
	grey      = color.RGBA{110, 110, 110, 255}
	lightGrey = color.RGBA{200, 200, 200, 255}
	gridGrey  = color.RGBA{225, 225, 225, 255}
)

// variantColor is the colour of the i-th variant of a record.
func variantColor(i int) color.RGBA { return palette[i%len(palette)] }

// tint mixes c with white; f = 0 keeps c, f = 1 is white. Used to shade one
// variant's colour by drop cause without leaving its hue.
func tint(c color.RGBA, f float64) color.RGBA {
	mix := func(v uint8) uint8 { return uint8(float64(v) + (255-float64(v))*f) }
	return color.RGBA{mix(c.R), mix(c.G), mix(c.B), 255}
}

// repDashes is the dash pattern of repetition rep: rep 1 solid, the later
// ones dashed in patterns of their own so that three or four repetitions of
// one variant can still be told apart.
func repDashes(rep int) []vg.Length {
	switch {
	case rep <= 1:
		return nil
	case rep%3 == 2:
		return []vg.Length{vg.Points(6), vg.Points(3)}
	case rep%3 == 0:
		return []vg.Length{vg.Points(2), vg.Points(2)}
	default:
		return []vg.Length{vg.Points(8), vg.Points(2), vg.Points(2), vg.Points(2)}
	}
}

// lineStyle is the style of one window's line.
func lineStyle(c color.Color, rep int) draw.LineStyle {
	w := vg.Points(1.6)
	if rep > 1 {
		w = vg.Points(1.3)
	}
	return draw.LineStyle{Color: c, Width: w, Dashes: repDashes(rep)}
}

// sans is the typeface of every text; set per plot rather than through
// plot.DefaultFont so that Render touches no package globals of gonum.
var sans = font.Font{Typeface: "Liberation", Variant: "Sans"}

// Text sizes, in points, for a figure about 10 inches wide.
const (
	figTitleSize   = 15
	panelTitleSize = 12.5
	labelSize      = 11.5
	tickSize       = 10.5
	legendSize     = 11
)

func sansStyle(size float64, base text.Style) text.Style {
	base.Font = font.From(sans, vg.Points(size))
	return base
}

// newPanel returns a plot with the house style: sans text, light grid,
// linear ticks dense enough to read a value off, and a zero-based y axis.
func newPanel(title, xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle = sansStyle(panelTitleSize, p.Title.TextStyle)
	p.Title.Padding = vg.Points(6)
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle = sansStyle(labelSize, a.Label.TextStyle)
		a.Tick.Label = sansStyle(tickSize, a.Tick.Label)
	}
	p.X.Tick.Marker = niceTicks{target: 10}
	p.Y.Tick.Marker = niceTicks{target: 6}
	p.X.Label.Text, p.Y.Label.Text = xLabel, yLabel
	p.Legend.TextStyle = sansStyle(legendSize, p.Legend.TextStyle)
	grid := plotter.NewGrid()
	grid.Vertical.Color, grid.Horizontal.Color = gridGrey, gridGrey
	grid.Vertical.Width, grid.Horizontal.Width = vg.Points(0.6), vg.Points(0.6)
	p.Add(grid)
	p.Y.Min = 0
	return p
}

// emptyLegend is a legend in the house style, drawn from its top left
// corner into the column right of the panels.
func emptyLegend() plot.Legend {
	l := plot.NewLegend()
	l.TextStyle = sansStyle(legendSize, l.TextStyle)
	l.Top, l.Left = true, true
	l.Padding = vg.Points(4)
	l.ThumbnailWidth = vg.Points(30)
	return l
}

// swatch is a legend thumbnail of filled boxes side by side, one per
// colour: a drop cause shown in the shade of every variant.
type swatch []color.Color

// Thumbnail implements plot.Thumbnailer.
func (s swatch) Thumbnail(c *draw.Canvas) {
	w := (c.Max.X - c.Min.X) / vg.Length(len(s))
	for i, col := range s {
		x := c.Min.X + vg.Length(i)*w
		r := vg.Rectangle{Min: vg.Point{X: x, Y: c.Min.Y + 1}, Max: vg.Point{X: x + w, Y: c.Max.Y - 1}}
		c.SetColor(col)
		c.Fill(r.Path())
	}
}

// legendLine is a legend thumbnail of a line in the given style.
type legendLine draw.LineStyle

// Thumbnail implements plot.Thumbnailer.
func (l legendLine) Thumbnail(c *draw.Canvas) {
	y := c.Center().Y
	c.StrokeLine2(draw.LineStyle(l), c.Min.X, y, c.Max.X, y)
}
