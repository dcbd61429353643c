package analysis

import (
	"maps"
	"math"
	"strings"

	"github.com/poolload/poolload/record"
)

// dbFactPrefix marks the facts an HTTP target's database block read from
// the service's server (db.max_connections, db.wait_timeout, ...).
const dbFactPrefix = "db."

// diagFacts is what the findings know about the target. A service loaded
// through HTTP has its server's facts under db.; the findings read them
// under the names a database target uses, so a service on MySQL or
// PostgreSQL gets the same headroom and idle-timeout findings as the
// database loaded directly. A fact the target reported itself wins.
func diagFacts(target map[string]string) map[string]string {
	out := maps.Clone(target)
	if out == nil {
		out = map[string]string{}
	}
	for k, v := range target {
		if name, ok := strings.CutPrefix(k, dbFactPrefix); ok {
			if _, own := out[name]; !own {
				out[name] = v
			}
		}
	}
	return out
}

// serverPool is the pool size one instance may open on the server, and
// what to call it: poolload's max_open, or for a service loaded through
// HTTP the size its pool gauges report (svc_pool_max).
func (d *diag) serverPool() (float64, string, bool) {
	if m, ok := d.num("max_open"); ok {
		return m, "max_open", true
	}
	if m := colMax(d.rec.Rows, record.SvcPoolMax); m > 0 {
		return m, "the service's pool max_open", true
	}
	return 0, "", false
}

// colMax is the largest value of a column over rows (NaN when none has it).
func colMax(rows []record.Row, col string) float64 {
	m := math.NaN()
	for _, r := range rows {
		if v, ok := r.Values[col]; ok && !math.IsNaN(v) && (math.IsNaN(m) || v > m) {
			m = v
		}
	}
	return m
}
