package analysis

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/poolload/poolload/record"
)

// idleInTxCols count the load's PostgreSQL connections idle in
// transaction: the postgres target's own (its user and application_name),
// or an HTTP target's database block on PostgreSQL (the service's user).
var idleInTxCols = []string{record.PgLoadIdleInTx, record.DBPgLoadIdleInTx}

// idleInTx is what a window shows of connections idle in transaction:
// the column read, the count in its last sample, and the row from which
// at least one was idle in transaction in every sample to the end.
type idleInTx struct {
	col  string
	last float64
	from int
}

// idleInTxOf reads w's connections idle in transaction; ok is false when
// the record has no such column or none was left in the last sample. A
// backend that finishes its transaction leaves the count, so a count that
// never falls to 0 again from some sample on is connections not given
// back (with, on a busy pool, transactions in flight on top).
func idleInTxOf(w *window) (idleInTx, bool) {
	for _, col := range idleInTxCols {
		v := idleInTx{col: col, from: -1, last: math.NaN()}
		for i := len(w.rows) - 1; i >= 0; i-- {
			x := val(w.rows[i], col)
			if math.IsNaN(x) {
				continue // a failed sample says nothing either way
			}
			if math.IsNaN(v.last) {
				v.last = x
			}
			if x < 1 {
				break
			}
			v.from = i
		}
		if v.from >= 0 {
			return v, true
		}
	}
	return idleInTx{}, false
}

// evidence says what the server showed, e.g. "on the server 10 of the
// load's connections were idle in transaction (pg_load_idle_in_tx) at the
// end of the window, rising from 5 at 0 s and never back to 0".
func (v idleInTx) evidence(w *window) string {
	who := "the load's"
	if v.col == record.DBPgLoadIdleInTx {
		who = "the service user's"
	}
	first, at := val(w.rows[v.from], v.col), secs(val(w.rows[v.from], record.TStart))
	s := fmt.Sprintf("on the server %.0f of %s connections were idle in transaction (%s) at the end of the window", v.last, who, v.col)
	if first != v.last {
		s += fmt.Sprintf(", rising from %.0f at %s s and never back to 0", first, at)
	} else {
		s += fmt.Sprintf(", from %s s on", at)
	}
	return s + ": transactions begun and never committed or rolled back"
}

// idleInTxLeak finds transactions left open in a window whose pool never
// filled: after the window's last iteration had finished (no VU busy in
// its last row), connections were still idle in transaction, and had been
// for at least two samples, while the pool still counted connections in
// use. No iteration can be inside them then, so they were never given
// back. The pool's count matters: on a shared server other clients of the
// same user and application_name may be idle in transaction too, and the
// pool, unlike the server, counts only the load's own. Without a pool
// gauge (a service whose pool poolload cannot see), the server's view of
// the service's user stands alone.
func idleInTxLeak(d *diag) *Finding {
	for _, w := range d.windows {
		v, ok := idleInTxOf(w)
		last := w.rows[len(w.rows)-1]
		if !ok || len(w.rows)-v.from < 2 || val(last, record.VUsBusy) != 0 {
			continue
		}
		ev := fmt.Sprintf("%s: %s", w.where(), v.evidence(w))
		inUse, col := poolInUse(last)
		if col != "" {
			if inUse < 1 {
				continue // the pool has them all back: someone else's
			}
			ev += fmt.Sprintf("; after the last iteration had finished the pool still counted %.0f connections in use (%s)", inUse, col)
			if col == record.PoolInUse {
				ev += " of " + d.poolName()
			}
		}
		return &Finding{ID: "connection-leak", Severity: SevWarning,
			Statement: "Transactions are left open and their connections never returned (suspected leak)",
			Evidence:  ev,
			Recommendation: "find the code path that begins a transaction and returns without COMMIT or ROLLBACK " +
				"and without releasing its connection; each such connection is lost to the pool and holds its locks" +
				d.idleInTxSafetyNet()}
	}
	return nil
}

// poolInUse is the pool's in-use count in row r and its column: poolload's
// own pool, else the service's gauges; col is "" when neither is known.
func poolInUse(r record.Row) (float64, string) {
	for _, col := range []string{record.PoolInUse, record.SvcPoolInUse} {
		if v := val(r, col); !math.IsNaN(v) {
			return v, col
		}
	}
	return 0, ""
}

// idleInTxSafetyNet suggests PostgreSQL's own limit on abandoned
// transactions when the server has none.
func (d *diag) idleInTxSafetyNet() string {
	if v, ok := pgDuration(d.target[record.FactIdleInTxTimeout]); ok && v == 0 {
		return "; idle_in_transaction_session_timeout, off (0) on this server, would make the server end such sessions"
	}
	return ""
}

// poolName names the pool size for evidence: max_open, or max_open ×
// instances for a fleet.
func (d *diag) poolName() string {
	m, ok := d.fleetMax()
	if !ok {
		return "an unknown pool size"
	}
	if d.instances > 1 {
		return fmt.Sprintf("max_open × %d instances = %.0f", d.instances, m)
	}
	return fmt.Sprintf("max_open=%.0f", m)
}

// pgDuration parses a time setting as PostgreSQL's current_setting
// prints it ("0", "500ms", "2s", "10min", "1h", "1d"; a bare number is in
// milliseconds, the unit of the idle timeouts).
func pgDuration(s string) (time.Duration, bool) {
	s = strings.TrimSpace(s)
	num := strings.TrimRightFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	v, err := strconv.ParseFloat(num, 64)
	if s == "" || err != nil {
		return 0, false
	}
	unit := map[string]time.Duration{"": time.Millisecond, "us": time.Microsecond, "ms": time.Millisecond,
		"s": time.Second, "min": time.Minute, "h": time.Hour, "d": 24 * time.Hour}
	u, ok := unit[strings.TrimSpace(s[len(num):])]
	if !ok {
		return 0, false
	}
	return time.Duration(v * float64(u)), true
}

// idleSessionTimeout is PostgreSQL's idle_session_timeout as the load's
// sessions had it, or 0 when it is off or the target is not PostgreSQL.
func (d *diag) idleSessionTimeout() time.Duration {
	v, _ := pgDuration(d.target[record.FactIdleSessionTimeout])
	return v
}

// serverSlots is what the server leaves the load's pools: max_connections,
// less PostgreSQL's slots reserved for superusers (the load's role is not
// one), less the connections other clients held at the start
// (baseline_threads_connected on MySQL, baseline_backends on PostgreSQL,
// where poolload's monitoring connection, one per instance, is not in the
// baseline but takes a slot). reserved and base are for the evidence.
func (d *diag) serverSlots(maxConn float64) (avail, reserved, base float64) {
	reserved, _ = d.num(record.FactSuperuserReserved) // absent on MySQL
	if b, ok := d.num(record.FactBaselineBackends); ok {
		base = b + float64(d.instances)
	} else {
		base, _ = d.num(record.FactBaselineThreadsConnected)
	}
	return maxConn - reserved - base, reserved, base
}

// monitorNote says that the baseline counts poolload's monitoring
// connections on PostgreSQL, whose backend counts leave them out.
func (d *diag) monitorNote() string {
	if _, ok := d.num(record.FactBaselineBackends); !ok {
		return ""
	}
	if d.instances > 1 {
		return fmt.Sprintf(" (%d of them poolload's monitoring connections)", d.instances)
	}
	return " (poolload's monitoring connection among them)"
}

// hasCol says whether any row of the record has col.
func (d *diag) hasCol(col string) bool {
	for _, r := range d.rec.Rows {
		if _, ok := r.Values[col]; ok {
			return true
		}
	}
	return false
}
