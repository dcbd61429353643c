// Package plots draws a run record as pictures for a post-mortem: latency
// over time, the latency distribution on the HdrHistogram percentile axis,
// time blocked on the pool, connections opened, pool and server gauges
// (poolload's own pool, or for an HTTP target the service's), the emulated
// network link when the run had one, and throughput with dropped
// iterations. Each plot is written as PNG and SVG; a run over an emulated
// link names its conditions under every title.
//
// Every plot overlays the variants of the record, each in its own colour
// (the same one in every plot), with repetition 1 drawn solid and later
// repetitions dashed. Time runs on the x axis in seconds since each
// window's t0, taken from the end of each time-series interval.
//
// Plots whose data the record lacks (pool gauges of a driver without a
// pool, say) are skipped without error. Render keeps no state between
// calls and sets no package variables of gonum, so records can be plotted
// concurrently.
package plots

import (
	"fmt"
	"os"

	"github.com/poolload/poolload/record"
)

// builders are the plots in the order they are written; a builder returns
// a nil figure when the record has nothing for it.
var builders = []struct {
	name  string
	build func(*run) (*figure, error)
}{
	{"latency", latencyFigure},
	{"percentiles", percentileFigure},
	{"blocked", blockedFigure},
	{"conns", connsFigure},
	{"pool", poolFigure},
	{"link", linkFigure},
	{"throughput", throughputFigure},
}

// Render writes the plots of rec into dir, creating it, and returns the
// paths of the files written (name.png and name.svg for each plot drawn).
// On error it returns the paths written so far.
func Render(rec *record.Record, dir string) ([]string, error) {
	return render(rec, dir, defaultDPI)
}

// render is Render at a given PNG resolution; tests under the race
// detector, which slows rasterising tenfold, draw fewer pixels.
func render(rec *record.Record, dir string, dpi int) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating the plots directory: %w", err)
	}
	r := newRun(rec)
	subtitle := subtitleLines(networkFacts(&rec.Info))
	var paths []string
	for _, b := range builders {
		f, err := b.build(r)
		if err != nil {
			return paths, fmt.Errorf("plotting %s: %w", b.name, err)
		}
		if f == nil {
			continue
		}
		f.subtitle = subtitle // on every figure, so none leaves it behind
		written, err := f.save(dir, dpi)
		paths = append(paths, written...)
		if err != nil {
			return paths, err
		}
	}
	return paths, nil
}
