package testrecord

import (
	"encoding/json"
	"maps"

	"github.com/poolload/poolload/record"
)

// InMemory is a record built directly in memory, without files, for tests
// of analyses that read only run.json facts and the time series (the
// diagnostics): much faster than Write, and any gauge can be set.
type InMemory struct {
	Target   map[string]string // run.json's "target"
	Scenario map[string]any    // resolved scenario (default: constant rate 100/s)
	Offered  float64           // each window's offered rate (default 100)
	Rows     []record.Row
	// Prewarmed is the prewarm of each variant's windows (default none).
	Prewarmed map[string]int
}

// Rows returns n one-second rows of variant (rep 1) starting at second
// from, each with the column values in vals plus t_start_s and t_end_s.
func Rows(variant string, from, n int, vals map[string]float64) []record.Row {
	out := make([]record.Row, n)
	for i := range out {
		v := maps.Clone(vals)
		if v == nil {
			v = map[string]float64{}
		}
		v[record.TStart], v[record.TEnd] = float64(from+i), float64(from+i+1)
		out[i] = record.Row{Variant: variant, Rep: 1, Values: v}
	}
	return out
}

// Record builds the record.Record, with one complete window per
// variant seen in the rows.
func (m InMemory) Record() *record.Record {
	if m.Offered == 0 {
		m.Offered = 100
	}
	if m.Scenario == nil {
		m.Scenario = map[string]any{"name": "synthetic",
			"load": map[string]any{"executor": "constant-arrival-rate", "rate": m.Offered}}
	}
	r := &record.Record{Info: record.RunInfo{ID: "synthetic", Status: record.StatusComplete,
		Target: m.Target}, Rows: m.Rows}
	seen := map[string]bool{}
	var variants []map[string]any
	for _, row := range m.Rows {
		if !seen[row.Variant] {
			seen[row.Variant] = true
			r.Info.Windows = append(r.Info.Windows, record.WindowInfo{Variant: row.Variant, Rep: row.Rep,
				Status: record.StatusComplete, Offered: m.Offered,
				Prelude: record.Prelude{Prewarmed: m.Prewarmed[row.Variant]}})
			variants = append(variants, map[string]any{"name": row.Variant, "prewarm": m.Prewarmed[row.Variant]})
		}
	}
	if _, ok := m.Scenario["variants"]; !ok {
		m.Scenario["variants"] = variants
	}
	r.Info.Scenario, _ = json.Marshal(m.Scenario)
	r.Plan, _ = record.DecodePlan(r.Info.Scenario)
	return r
}
