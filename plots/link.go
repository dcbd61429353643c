package plots

import (
	"fmt"
	"strings"

	"github.com/poolload/poolload/record"
)

// linkFaults are the link emulator's per-interval counts of connections it
// broke, with the word each gets in the panel title. They share one panel:
// which fault struck matters less than when, and the title names the kinds
// that occurred.
var linkFaults = []struct{ col, name string }{
	{record.LinkResets, "reset"},
	{record.LinkDrops, "dropped"},
	{record.LinkRefused, "refused"},
}

// linkFigure shows the emulated network link between poolload (or the
// service) and its database: new connections through it, connections it
// broke, and connections open. Records of runs without a link have no
// link_* columns and get no figure.
func linkFigure(r *run) (*figure, error) {
	cols := make([]string, len(linkFaults))
	for i, f := range linkFaults {
		cols[i] = f.col
	}
	return r.columnFigure("link", "Emulated network link", 1, []panelSpec{
		{col: record.LinkConns, title: "connections through the link per interval", yLabel: "connections", count: true},
		{sum: cols, title: "connections reset, dropped or refused by the link per interval" + r.faultTotals(),
			yLabel: "connections", count: true},
		{col: record.LinkActive, title: "connections open through the link", yLabel: "connections", count: true},
	})
}

// faultTotals says how many connections of each kind the link broke over
// the whole record, as a title suffix such as " (in all: 14 reset)", or ""
// when it broke none: the summed line alone cannot tell a reset from a
// refusal.
func (r *run) faultTotals() string {
	var parts []string
	for _, f := range linkFaults {
		total := 0.0
		for _, row := range r.rec.Rows {
			if v := row.Values[f.col]; finite(v) {
				total += v
			}
		}
		if total > 0 {
			parts = append(parts, fmt.Sprintf("%.0f %s", total, f.name))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " (in all: " + strings.Join(parts, ", ") + ")"
}
