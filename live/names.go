package live

import (
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/poolload/poolload/record"
)

// prefix starts every metric name.
const prefix = "poolload_"

// The labels of every per-window series.
const (
	labelVariant = "variant"
	labelRep     = "rep"
)

// column is how one sampled gauge of the record is exported.
type column struct {
	name    string  // the Prometheus name
	help    string  // from record.Columns, with the unit it had there
	scale   float64 // record value × scale = exported value (ms → s, % → ratio)
	counter bool    // a Delta column: summed over the window into a counter
	desc    *prometheus.Desc
}

// columnOf names gauge column name in Prometheus's conventions: a Delta
// (what happened during the interval) becomes a counter summed over the
// window, a Level or a Stat a gauge; milliseconds become seconds and
// percentages ratios.
func columnOf(name string) column {
	c, ok := record.Describe(name)
	if !ok {
		n := prefix + name
		return column{name: n, help: "poolload gauge " + name, scale: 1,
			desc: prometheus.NewDesc(n, "poolload gauge "+name, windowLabels, nil)}
	}
	col := column{help: c.Help, scale: 1, counter: c.Kind == record.Delta}
	if c.Unit != "" {
		col.help += " (" + c.Unit + " in the record)"
	}
	base := name
	switch c.Unit {
	case "ms":
		base = strings.TrimSuffix(base, "_ms") + "_seconds"
		col.scale = 1e-3
	case "%":
		base = strings.TrimSuffix(base, "_pct") + "_ratio"
		col.scale = 1e-2
	}
	if col.counter {
		base += "_total"
	}
	col.name = prefix + base
	col.desc = prometheus.NewDesc(col.name, col.help, windowLabels, nil)
	return col
}
