package analysis

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/poolload/poolload/driver"
	"github.com/poolload/poolload/record"
)

// leakStall is the share of the window's best second below which
// successful iterations count as stalled.
const leakStall = 0.05

// leakStart returns the index of the row from which a window looks like a
// connection leak, or -1: in-use reached max_open and never came down,
// and successful iterations fell to (nearly) zero for at least two
// seconds after it. A pool that is merely too small keeps completing
// iterations at its capacity; a leaking one stops.
func leakStart(w *window, inUse string, maxOpen float64) int {
	start := -1
	for i, r := range w.rows {
		if val(r, inUse) >= maxOpen {
			if start < 0 {
				start = i
			}
		} else if i < len(w.rows)-1 { // the last second may be after the stop
			start = -1
		}
	}
	if start < 0 {
		return -1
	}
	best, stalled := 0.0, 0
	for _, r := range w.rows {
		best = math.Max(best, succeeded(r))
	}
	for _, r := range w.rows[start:] {
		if succeeded(r) <= leakStall*best {
			stalled++
		}
	}
	if stalled < 2 {
		return -1
	}
	return start
}

// poolGauge is a pool seen in the record: its in-use column and its size.
type poolGauge struct {
	inUse, maxName string
	max            float64
}

// pool is the pool whose leak or starvation a window shows: poolload's own
// (pool_in_use against the max_open fact) or, for an HTTP target, the
// service's own gauges (svc_pool_in_use against svc_pool_max), or else its
// database user's connections seen from the server (db_user_threads).
func (d *diag) pool(w *window) (poolGauge, bool) {
	if m, ok := d.fleetMax(); ok {
		name := "max_open"
		if d.instances > 1 {
			name = fmt.Sprintf("max_open × %d instances", d.instances)
		}
		return poolGauge{record.PoolInUse, name, m}, true
	}
	if m := colMedian(w.rows, record.SvcPoolMax); m > 0 {
		return poolGauge{record.SvcPoolInUse, "the service's max_open", m}, true
	}
	// Without the service's gauges, its user's connections on the server
	// show the same plateau; the pool size is unknown, so the plateau's
	// own height stands for it.
	peak := math.Inf(-1)
	for _, r := range w.rows {
		peak = math.Max(peak, val(r, record.DBUserThreads))
	}
	if peak > 0 {
		return poolGauge{record.DBUserThreads, "its peak", peak}, true
	}
	return poolGauge{}, false
}

// checkLeak reports a suspected connection leak, with how many iterations
// had completed when the pool filled: with a leak every k-th request and
// max_open n, that is about k×n (the "11th request" signature).
func checkLeak(d *diag) *Finding {
	for _, w := range d.windows {
		p, ok := d.pool(w)
		if !ok {
			continue
		}
		k := leakStart(w, p.inUse, p.max)
		if k < 0 {
			continue
		}
		before := total(w.rows[:k], "iterations")
		tail := w.rows[k:]
		n := before + succeeded(w.rows[k])
		fix := "find the code path that does not release its connection (rows, statement or transaction not closed, " +
			"a connection taken for a request and not given back)"
		ev := fmt.Sprintf("%s: %s reached %s=%.0f at %.1f s, after about %.0f iterations, and stayed there (%s); "+
			"successful iterations then fell to %.0f/s while %.0f were dropped and %.0f failed (%s)",
			w.where(), p.inUse, p.maxName, p.max, val(w.rows[k], record.TStart), n, span(tail),
			medianSucceeded(tail)/rowSeconds(tail), total(tail, "dropped"), total(tail, "errors"), errorClasses(tail))
		safety := ""
		// On PostgreSQL the server shows what holds them: transactions
		// left open.
		if v, ok := idleInTxOf(w); ok {
			ev += "; " + v.evidence(w)
			fix = "find the code path that begins a transaction and returns without COMMIT or ROLLBACK and without releasing its connection"
			safety = d.idleInTxSafetyNet()
		}
		f := &Finding{ID: "connection-leak", Severity: SevCritical,
			Statement: "Connections are taken from the pool and never returned (suspected leak)",
			Evidence:  ev,
			Recommendation: fmt.Sprintf("%s; it began within the first %.0f requests, about %.0f per connection — a larger pool only delays it%s",
				fix, n, n/p.max, safety),
			// Once the pool is held for good, every failure after is the leak's.
			explains: classesIn(tail)}
		return f
	}
	return idleInTxLeak(d)
}

// rowSeconds is the length of one row in seconds (rows are one interval).
func rowSeconds(rows []record.Row) float64 {
	if len(rows) == 0 {
		return 1
	}
	if d := val(rows[0], record.TEnd) - val(rows[0], record.TStart); d > 0 {
		return d
	}
	return 1
}

// errorClasses names the error classes counted in rows, most frequent
// first, e.g. "timeout 40, http_5xx 2".
func errorClasses(rows []record.Row) string {
	by := map[string]float64{}
	for _, r := range rows {
		for k, v := range r.Values {
			if c, ok := strings.CutPrefix(k, "errors_"); ok && v > 0 {
				by[c] += v
			}
		}
	}
	classes := slices.Collect(maps.Keys(by))
	slices.SortFunc(classes, func(a, b string) int { return cmp.Or(cmp.Compare(by[b], by[a]), cmp.Compare(a, b)) })
	parts := make([]string, len(classes))
	for i, c := range classes {
		parts[i] = fmt.Sprintf("%s %.0f", c, by[c])
	}
	if len(parts) == 0 {
		return "no errors"
	}
	return strings.Join(parts, ", ")
}

// succeeded is a row's iterations without errors; absent cells count 0.
func succeeded(r record.Row) float64 {
	return total([]record.Row{r}, "iterations") - total([]record.Row{r}, "errors")
}

func medianSucceeded(rows []record.Row) float64 {
	out := make([]record.Row, len(rows))
	for i, r := range rows {
		out[i] = record.Row{Values: map[string]float64{"ok": succeeded(r)}}
	}
	return colMedian(out, "ok")
}

// classesIn lists the error classes counted in rows.
func classesIn(rows []record.Row) []driver.ErrorClass {
	var out []driver.ErrorClass
	for c := driver.ClassNone + 1; c < driver.NumClasses; c++ {
		if total(rows, record.ErrorsOf(c)) > 0 {
			out = append(out, c)
		}
	}
	return out
}
