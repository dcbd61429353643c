package plots

import (
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
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

// columnPanel draws column s.col of every window in one panel. It returns
// nil when no window has the column.
func (r *run) columnPanel(s panelSpec) (*plot.Plot, error) {
	series := r.each(func(w window) plotter.XYs { return column(w.rows, s.col) })
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
	return p, nil
}

// panelSpec names one column panel.
type panelSpec struct {
	col, title, yLabel string
	log                bool // a log y axis when the values span a wide range
	count              bool // whole numbers: no ticks at 0.5 connections
}

// columnFigure stacks the panels of the specs whose column the record has,
// cols panels to a row; it returns nil when none has data.
func (r *run) columnFigure(name, title string, cols int, specs []panelSpec) (*figure, error) {
	var panels []*plot.Plot
	for _, s := range specs {
		p, err := r.columnPanel(s)
		if err != nil {
			return nil, err
		}
		if p != nil {
			panels = append(panels, p)
		}
	}
	if len(panels) == 0 {
		return nil, nil
	}
	return &figure{name: name, title: title + " — " + r.name, panels: grid(panels, cols), legend: r.newLegend()}, nil
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
		{col: "latency_p99_ms", title: "p99 latency per interval", yLabel: "latency (ms)", log: true},
		{col: "latency_p50_ms", title: "p50 latency per interval", yLabel: "latency (ms)", log: true},
	})
}

// blockedFigure is skipped when nothing was ever blocked: drivers without a
// pool (noop) record zeros, and a page of flat lines says nothing.
func blockedFigure(r *run) (*figure, error) {
	if !r.nonZero("blocked_p99_ms", "connecting_p99_ms") {
		return nil, nil
	}
	return r.columnFigure("blocked", "Waiting for a pooled connection", 1, []panelSpec{
		{col: "blocked_p99_ms", title: "blocked p99 per interval (asked the pool → held a connection)", yLabel: "blocked (ms)"},
		{col: "connecting_p99_ms", title: "connecting p99 per interval (new-connection setup inside blocked)", yLabel: "connecting (ms)"},
	})
}

func connsFigure(r *run) (*figure, error) {
	if !r.has("conns_opened") {
		return nil, nil
	}
	return r.columnFigure("conns", "Connections opened and closed by the client", 1, []panelSpec{
		{col: "conns_opened", title: "connections opened per interval", yLabel: "connections", count: true},
		{col: "conns_closed", title: "connections closed per interval", yLabel: "connections", count: true},
	})
}

func poolFigure(r *run) (*figure, error) {
	return r.columnFigure("pool", "Connection pool (client) and server threads", 2, []panelSpec{
		{col: "pool_open", title: "client pool: open connections", yLabel: "connections", count: true},
		{col: "pool_in_use", title: "client pool: connections in use", yLabel: "connections", count: true},
		{col: "pool_idle", title: "client pool: idle connections", yLabel: "connections", count: true},
		{col: "pool_wait_count", title: "client pool: waits for a connection per interval", yLabel: "waits", count: true},
		{col: "threads_connected", title: "server: Threads_connected", yLabel: "threads", count: true},
		{col: "threads_running", title: "server: Threads_running", yLabel: "threads", count: true},
	})
}
