package plots

import (
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"

	"github.com/poolload/poolload/record"
)

const timeLabel = "time since the window's t0 (s)"

// minCountAxis is the least top of a y axis of whole numbers.
const minCountAxis = 5

// timePanel is a panel whose x axis is the window's clock, from t0 to the
// end of the longest window, so that stacked panels line up.
func (r *run) timePanel(title, yLabel string) *plot.Plot {
	p := newPanel(title, timeLabel, yLabel)
	p.X.Min, p.X.Max = 0, max(r.tEnd, 1)
	return p
}

// columnPanel draws column s.col (or the sum of s.sum) of every window in
// one panel, over s.ref's lines. It returns nil when no window has data.
func (r *run) columnPanel(s panelSpec) (*plot.Plot, error) {
	series := r.each(func(w window) plotter.XYs { return s.series(w.rows) })
	p := r.timePanel(s.title, s.yLabel)
	p.Y.Tick.Marker = niceTicks{target: 6, integer: s.count}
	lo, hi := yRange(series...)
	useLog := s.log && logWorthy(lo, hi)
	if useLog {
		for i := range series {
			series[i] = logY(series[i])
		}
		p.Y.Label.Text = s.yLabel + ", log scale"
	}
	// Reference lines go in first so that a series pinned on one (in-use
	// at the pool's max) is drawn over it, not hidden under its dashes.
	// They are limits in connections, on linear axes only.
	if !useLog {
		if err := r.addRefLines(p, s.ref); err != nil {
			return nil, err
		}
	}
	n, err := r.addLines(p, series)
	if err != nil || n == 0 {
		return nil, err
	}
	switch {
	case useLog:
		setLogY(p, lo, hi)
	case hi <= 0:
		p.Title.Text += ": all zero"
		p.Y.Max = 1 // a flat line at 0, not an axis from -1 to 1
	default:
		p.Y.Max = hi * 1.05
	}
	if s.count {
		// One connection closed should not fill the panel like a hundred.
		p.Y.Max = max(p.Y.Max, minCountAxis)
	}
	if !useLog {
		// Headroom above the limit, so the line does not sit on the frame.
		p.Y.Max = max(p.Y.Max, s.ref.top()*1.05)
	}
	return p, nil
}

// panelSpec names one column panel.
type panelSpec struct {
	col, title, yLabel string
	sum                []string // columns added up instead of col (e.g. link faults)
	log                bool     // a log y axis when the values span a wide range
	count              bool     // whole numbers: no ticks at 0.5 connections
	ref                *refLine // a limit to read the series against, or nil
}

// series is the spec's values in rows.
func (s panelSpec) series(rows []record.Row) plotter.XYs {
	if len(s.sum) > 0 {
		return sumColumns(rows, s.sum)
	}
	return column(rows, s.col)
}

// columnFigure stacks the panels of the specs whose column the record has,
// cols panels to a row; it returns nil when none has data. The legend gets
// an entry for each reference line drawn.
func (r *run) columnFigure(name, title string, cols int, specs []panelSpec) (*figure, error) {
	var panels []*plot.Plot
	legend := r.newLegend()
	for _, s := range specs {
		p, err := r.columnPanel(s)
		if err != nil {
			return nil, err
		}
		if p == nil {
			continue
		}
		panels = append(panels, p)
		if s.ref != nil {
			legend.Add(s.ref.label, legendLine(refStyle))
		}
	}
	if len(panels) == 0 {
		return nil, nil
	}
	return &figure{name: name, title: title + " — " + r.name, panels: grid(panels, cols), legend: legend}, nil
}

// grid arranges panels cols to a row and keeps the x label on the bottom
// panel of each column only: the axes are shared, the label need not
// repeat.
func grid(panels []*plot.Plot, cols int) [][]*plot.Plot {
	cols = min(cols, len(panels))
	var rows [][]*plot.Plot
	for i := 0; i < len(panels); i += cols {
		row := make([]*plot.Plot, cols)
		copy(row, panels[i:])
		rows = append(rows, row)
	}
	for i, p := range panels {
		if i+cols < len(panels) {
			p.X.Label.Text = ""
		}
	}
	return rows
}

func latencyFigure(r *run) (*figure, error) {
	return r.columnFigure("latency", "Latency over time (intended start → done)", 1, []panelSpec{
		{col: record.LatencyP99, title: "p99 latency per interval", yLabel: "latency (ms)", log: true},
		{col: record.LatencyP50, title: "p50 latency per interval", yLabel: "latency (ms)", log: true},
	})
}

// blockedFigure is skipped when nothing was ever blocked: drivers without a
// pool (noop) record zeros, and a page of flat lines says nothing.
func blockedFigure(r *run) (*figure, error) {
	if !r.nonZero(record.BlockedP99, record.ConnectingP99) {
		return nil, nil
	}
	return r.columnFigure("blocked", "Waiting for a pooled connection", 1, []panelSpec{
		{col: record.BlockedP99, title: "blocked p99 per interval (asked the pool → held a connection)", yLabel: "blocked (ms)"},
		{col: record.ConnectingP99, title: "connecting p99 per interval (new-connection setup inside blocked)", yLabel: "connecting (ms)"},
	})
}
