package plots

import (
	"bytes"
	"fmt"

	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/poolload/poolload/record"
)

// SVG is one plot drawn as an SVG document, for a page that carries its
// figures inside itself (the HTML report) rather than beside it.
type SVG struct {
	Name  string // the file name Render gives it, without extension
	Title string
	Data  []byte
}

// RenderSVG draws the plots of rec as SVG in memory, the same figures and
// in the same order as Render, and writes no file: a report made from a
// record rendered with --no-plots, or from an older record, still has
// every figure.
func RenderSVG(rec *record.Record) ([]SVG, error) {
	r := newRun(rec)
	subtitle := subtitleLines(networkFacts(&rec.Info))
	var out []SVG
	for _, b := range builders {
		f, err := b.build(r)
		if err != nil {
			return out, fmt.Errorf("plotting %s: %w", b.name, err)
		}
		if f == nil {
			continue
		}
		f.subtitle = subtitle
		w, h := f.size()
		c := vgsvg.New(w, h)
		f.draw(draw.New(c))
		var buf bytes.Buffer
		if _, err := c.WriteTo(&buf); err != nil {
			return out, fmt.Errorf("encoding %s.svg: %w", f.name, err)
		}
		out = append(out, SVG{Name: f.name, Title: f.title, Data: buf.Bytes()})
	}
	return out, nil
}
