package plots

import (
	"fmt"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/poolload/poolload/record"
)

// The pool lives in one of two places. A MySQL target's pool is poolload's
// own (pool_* gauges, Threads_* of the server it talks to); an HTTP
// target's pool is inside the service, whose gauges poolload scrapes
// (svc_pool_*), with the service's database seen from the server (db_*).
// A record has one kind or the other, never both.

// serviceCols are the gauges that mark a record of an HTTP target.
var serviceCols = []string{record.SvcPoolOpen, record.SvcPoolInUse, record.SvcPoolIdle, record.SvcPoolWaiting, record.SvcPoolMax, record.SvcPoolOpened}

// servicePool reports whether the record's pool is the service's.
func (r *run) servicePool() bool {
	return slices.ContainsFunc(serviceCols, r.has)
}

// connsFigure counts connections opened: by poolload's pool for a MySQL
// target, by the service's pool and as accepted by the server for an HTTP
// one. A cold start shows as a burst here.
func connsFigure(r *run) (*figure, error) {
	if r.servicePool() {
		return r.columnFigure("conns", "Connections opened (service pool) and accepted (server)", 1, []panelSpec{
			{col: record.SvcPoolOpened, title: "connections the service's pool opened per interval", yLabel: "connections", count: true},
			{col: record.DBConnections, title: "connections the server accepted per interval", yLabel: "connections", count: true},
		})
	}
	if !r.has(record.ConnsOpened) {
		return nil, nil
	}
	return r.columnFigure("conns", "Connections opened and closed by the client", 1, []panelSpec{
		{col: record.ConnsOpened, title: "connections opened per interval", yLabel: "connections", count: true},
		{col: record.ConnsClosed, title: "connections closed per interval", yLabel: "connections", count: true},
	})
}

// poolFigure shows the pool's gauges and the server's threads. The in-use
// panel carries the pool's max as a dashed line: a leak or starvation reads
// as in-use pinned on it.
func poolFigure(r *run) (*figure, error) {
	return r.columnFigure("pool", r.poolTitle(), 2, r.poolSpecs())
}

func (r *run) poolTitle() string {
	if r.servicePool() {
		return "Connection pool (service) and server threads"
	}
	return "Connection pool (client) and server threads"
}

// serviceWaitSpec plots the service's waits per interval when its
// "waiting" gauge is a counter (database/sql's WaitCount, pooldemo's
// wait_count), and the queue itself when it is a level.
func (r *run) serviceWaitSpec() panelSpec {
	if r.has(record.SvcPoolWaitCount) {
		return panelSpec{col: record.SvcPoolWaitCount, title: "service pool: waits for a connection per interval", yLabel: "waits", count: true}
	}
	return panelSpec{col: record.SvcPoolWaiting, title: "service pool: requests waiting for a connection", yLabel: "requests", count: true}
}

// poolSpecs are the pool figure's panels for the record's kind.
func (r *run) poolSpecs() []panelSpec {
	if r.servicePool() {
		return []panelSpec{
			{col: record.SvcPoolOpen, title: "service pool: open connections", yLabel: "connections", count: true},
			{col: record.SvcPoolInUse, title: "service pool: connections in use", yLabel: "connections", count: true,
				ref: r.poolMax()},
			{col: record.SvcPoolIdle, title: "service pool: idle connections", yLabel: "connections", count: true},
			r.serviceWaitSpec(),
			{col: record.DBThreadsConnected, title: "server: Threads_connected", yLabel: "threads", count: true},
			{col: record.DBThreadsRunning, title: "server: Threads_running", yLabel: "threads", count: true},
		}
	}
	return []panelSpec{
		{col: record.PoolOpen, title: "client pool: open connections", yLabel: "connections", count: true},
		{col: record.PoolInUse, title: "client pool: connections in use", yLabel: "connections", count: true,
			ref: r.poolMax()},
		{col: record.PoolIdle, title: "client pool: idle connections", yLabel: "connections", count: true},
		{col: record.PoolWaitCount, title: "client pool: waits for a connection per interval", yLabel: "waits", count: true},
		{col: record.ThreadsConnected, title: "server: Threads_connected", yLabel: "threads", count: true},
		{col: record.ThreadsRunning, title: "server: Threads_running", yLabel: "threads", count: true},
	}
}

// refLine is a horizontal limit across a panel, such as the pool's max.
// It has several values when the record's windows ran with different
// limits (a service restarted with another max, say).
type refLine struct {
	label  string // legend text
	values []float64
}

// refStyle is how every reference line is drawn: grey and dashed, apart
// from the variants' colours, and thicker than the grid.
var refStyle = draw.LineStyle{Color: grey, Width: vg.Points(1.2), Dashes: []vg.Length{vg.Points(5), vg.Points(3)}}

// top is the highest value of l, or 0 for no line.
func (l *refLine) top() float64 {
	if l == nil || len(l.values) == 0 {
		return 0
	}
	return slices.Max(l.values)
}

// poolMax is the pool's max as a reference line, or nil when unknown: the
// max_open fact of a MySQL target (0 is unlimited: no line), or the
// distinct values of an HTTP target's svc_pool_max gauge.
func (r *run) poolMax() *refLine {
	if r.servicePool() {
		var vals []float64
		for _, row := range r.rec.Rows {
			if v, ok := row.Values[record.SvcPoolMax]; ok && finite(v) && v > 0 && !slices.Contains(vals, v) {
				vals = append(vals, v)
			}
		}
		return newRefLine("service pool max (svc_pool_max)", vals)
	}
	v, err := strconv.ParseFloat(r.rec.Info.Target["max_open"], 64)
	if err != nil || !finite(v) || v <= 0 {
		return nil
	}
	// A fleet's gauges are its pools' sums: so is its max.
	if n := r.rec.Plan.InstancesOrOne(); n > 1 {
		return newRefLine(fmt.Sprintf("pools max (max_open × %d instances)", n), []float64{v * float64(n)})
	}
	return newRefLine("pool max (max_open)", []float64{v})
}

// newRefLine names the line's value in its label when there is one, so the
// limit can be read without counting grid lines.
func newRefLine(label string, vals []float64) *refLine {
	switch len(vals) {
	case 0:
		return nil
	case 1:
		label += " = " + strconv.FormatFloat(vals[0], 'f', -1, 64)
	}
	slices.Sort(vals)
	return &refLine{label: label, values: vals}
}

// addRefLines draws l across the whole time axis of p.
func (r *run) addRefLines(p *plot.Plot, l *refLine) error {
	if l == nil {
		return nil
	}
	for _, v := range l.values {
		line, err := plotter.NewLine(plotter.XYs{{X: 0, Y: v}, {X: max(r.tEnd, 1), Y: v}})
		if err != nil {
			return fmt.Errorf("drawing %s: %w", l.label, err)
		}
		line.LineStyle = refStyle
		p.Add(line)
	}
	return nil
}
