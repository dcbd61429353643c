package analysis

import (
	"fmt"
	"math"

	"github.com/poolload/poolload/collector"
)

// leakStall is the share of the window's best second below which
// successful iterations count as stalled.
const leakStall = 0.05

// leakStart returns the index of the row from which a window looks like a
// connection leak, or -1: in-use reached max_open and never came down,
// and successful iterations fell to (nearly) zero for at least two
// seconds after it. A pool that is merely too small keeps completing
// iterations at its capacity; a leaking one stops.
func leakStart(w *window, maxOpen float64) int {
	start := -1
	for i, r := range w.rows {
		if val(r, "pool_in_use") >= maxOpen {
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

// checkLeak reports a suspected connection leak, with how many iterations
// had completed when the pool filled: with a leak every k-th request and
// max_open n, that is about k×n (the "11th request" signature).
func checkLeak(d *diag) *Finding {
	maxOpen, ok := d.num("max_open")
	if !ok || maxOpen <= 0 {
		return nil
	}
	for _, w := range d.windows {
		k := leakStart(w, maxOpen)
		if k < 0 {
			continue
		}
		before := total(w.rows[:k+1], "iterations")
		tail := w.rows[k:]
		return &Finding{ID: "connection-leak", Severity: SevCritical,
			Statement: "Connections are taken from the pool and never returned (suspected leak)",
			Evidence: fmt.Sprintf("%s: pool_in_use reached max_open=%.0f at %.0f s after %.0f iterations and stayed there (%s); "+
				"successful iterations then fell to %.0f/s while %.0f were dropped for the pool and %.0f errors occurred",
				w.where(), maxOpen, val(w.rows[k], "t_start_s"), before, span(tail),
				medianSucceeded(tail), total(tail, "dropped_pool"), total(tail, "errors")),
			Recommendation: fmt.Sprintf("find the code path that does not release its connection (rows or transaction not closed); "+
				"it began within the first %.0f requests, about %.0f per connection — a larger pool only delays it",
				before, before/maxOpen)}
	}
	return nil
}

// succeeded is a row's iterations without errors; absent cells count 0.
func succeeded(r collector.Row) float64 {
	return total([]collector.Row{r}, "iterations") - total([]collector.Row{r}, "errors")
}

func medianSucceeded(rows []collector.Row) float64 {
	out := make([]collector.Row, len(rows))
	for i, r := range rows {
		out[i] = collector.Row{Values: map[string]float64{"ok": succeeded(r)}}
	}
	return colMedian(out, "ok")
}
