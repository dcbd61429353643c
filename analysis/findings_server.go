package analysis

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/poolload/poolload/driver"
	"github.com/poolload/poolload/record"
)

// checkIdleDeaths finds connections that died while they sat idle in the
// pool: the pool keeps them longer than the server's wait_timeout, or
// than the network link's idle timeout (a NAT or firewall that forgets
// idle flows), and the driver then met dead connections. Only the
// configuration is not enough; a dead connection must have been seen.
func checkIdleDeaths(d *diag) *Finding {
	limit, what := d.idleLimit()
	if limit <= 0 {
		return nil
	}
	idle, _ := d.dur("conn_max_idle_time")
	life, _ := d.dur("conn_max_lifetime")
	outlives := func(v time.Duration) bool { return v <= 0 || v >= limit }
	// Either limit below the idle timeout retires a connection before it
	// is killed.
	if !outlives(idle) || !outlives(life) {
		return nil
	}
	for _, w := range d.windows {
		// Only a connection that can have sat idle that long can have died
		// of it: a dead connection in the first seconds of a run against
		// a server with an 8-hour wait_timeout died of something else (a
		// crash, a restart), which checkFailingTarget reports.
		var hit []record.Row
		for _, r := range w.rows {
			dead := val(r, record.BadConnChecks) > 0 || val(r, record.ErrorsOf(driver.ClassBadConnection)) > 0
			if dead && d.couldIdle(w, r) >= limit*9/10 {
				hit = append(hit, r)
			}
		}
		checks, errs := total(hit, record.BadConnChecks), total(hit, record.ErrorsOf(driver.ClassBadConnection))
		if checks+errs == 0 {
			continue
		}
		sev := SevWarning
		if errs > 0 {
			sev = SevCritical // iterations failed, not just retried
		}
		// Below the limit with a margin for clock and sampling skew.
		rec := limit * 3 / 4
		if rec >= 10*time.Second {
			rec = rec.Truncate(time.Second)
		}
		ev := fmt.Sprintf("%s: %s, conn_max_idle_time=%s, conn_max_lifetime=%s; %.0f dead connections found by the driver, %.0f bad_connection errors (%s)",
			w.where(), what, unsetDur(idle), unsetDur(life), checks, errs, span(hit))
		if resets := total(w.rows, record.LinkResets) + total(w.rows, record.LinkDrops) + d.preludeLinkResets(w); resets > 0 {
			ev += fmt.Sprintf("; the link reset or dropped %.0f connections", resets)
		}
		return &Finding{ID: "idle-connection-deaths", Severity: sev,
			Statement:      "The pool keeps idle connections longer than " + what + " allows, and some of them died",
			Evidence:       ev,
			Recommendation: fmt.Sprintf("set conn_max_idle_time to %s (below %s)", rec, what),
			explains:       []driver.ErrorClass{driver.ClassBadConnection}}
	}
	return nil
}

// couldIdle is the longest a connection of w's pool can have been idle by
// the end of row r: each window opens a fresh pool, so no longer than its
// prelude's pause and before step plus the window up to then.
func (d *diag) couldIdle(w *window, r record.Row) time.Duration {
	s := val(r, record.TEnd)
	if math.IsNaN(s) {
		s = val(r, record.TStart) + rowSeconds([]record.Row{r})
	}
	idle := time.Duration(s * float64(time.Second))
	for _, wi := range d.rec.Info.Windows {
		if wi.Variant == w.variant && wi.Rep == w.rep {
			idle += wi.Prelude.Idle.D() + wi.Prelude.Before.D()
		}
	}
	return idle
}

// idleLimit is the shortest idle time that kills a connection: the
// server's wait_timeout (MySQL) or idle_session_timeout (PostgreSQL), or
// the network link's reset_idle_after when it is shorter; what names it
// for the finding.
func (d *diag) idleLimit() (time.Duration, string) {
	limit := d.waitTimeout()
	what := fmt.Sprintf("the server's wait_timeout=%s", limit)
	if pg := d.idleSessionTimeout(); pg > 0 && (limit <= 0 || pg < limit) {
		limit, what = pg, fmt.Sprintf("the server's %s=%s", record.FactIdleSessionTimeout, pg)
	}
	if nat, ok := d.dur("network.reset_idle_after"); ok && nat > 0 && (limit <= 0 || nat < limit) {
		return nat, fmt.Sprintf("the network's idle timeout (reset_idle_after=%s)", nat)
	}
	return limit, what
}

// waitTimeout is the server's wait_timeout. A value the scenario sets on a
// managed server wins over the reported one: the target reports the
// session value of a connection opened before the variable was set.
func (d *diag) waitTimeout() time.Duration {
	if v, err := strconv.ParseFloat(d.rec.Plan.Target.MySQL.ServerVars["wait_timeout"], 64); err == nil && v > 0 {
		return time.Duration(v * float64(time.Second))
	}
	if v, ok := d.num("wait_timeout"); ok && v > 0 {
		return time.Duration(v * float64(time.Second))
	}
	return 0
}

func unsetDur(v time.Duration) string {
	if v <= 0 {
		return "unset"
	}
	return v.String()
}

// checkHeadroom compares the pools (one per instance) with the server's
// max_connections, and looks for the server refusing connections outright.
func checkHeadroom(d *diag) *Finding {
	maxConn, ok := d.num(record.FactMaxConnections)
	maxOpen, poolName, ok2 := d.serverPool()
	var refused, aborted float64
	for _, w := range d.windows {
		refused += total(w.rows, "errors_too_many_connections")
		aborted += total(w.rows, record.AbortedConnects)
	}
	known := ok && ok2 && maxConn > 0 && maxOpen > 0
	if !known && refused == 0 {
		return nil
	}
	n := float64(d.instances)
	want := maxOpen * n // what all the pools may open at once
	avail, reserved, base := d.serverSlots(maxConn)
	sev := ""
	switch {
	case refused > 0 || (known && want >= avail):
		sev = SevCritical
	case aborted > 0 || (known && want >= 0.8*avail):
		sev = SevWarning
	default:
		return nil
	}
	pools := fmt.Sprintf("%s=%.0f", poolName, maxOpen)
	if n > 1 {
		pools = fmt.Sprintf("%s=%.0f × %.0f instances = %.0f", poolName, maxOpen, n, want)
	}
	f := &Finding{ID: "server-connection-headroom", Severity: sev,
		explains:  []driver.ErrorClass{driver.ClassTooManyConnections},
		Statement: "The pools can ask for about as many connections as the server allows",
		Evidence: fmt.Sprintf("%s, max_connections=%.0f%s with %.0f already connected at start%s; %.0f too_many_connections errors",
			pools, maxConn, reservedNote(reserved), base, d.monitorNote(), refused)}
	if d.hasCol(record.AbortedConnects) {
		f.Evidence += fmt.Sprintf(", %.0f aborted connects", aborted)
	}
	if burst := d.openingBurst(); burst != "" {
		f.Evidence += "; " + burst
	}
	if !known {
		f.Recommendation = "lower max_open × instances below the server's max_connections, or raise max_connections"
		return f
	}
	per := math.Floor(0.8 * avail / n)
	f.Recommendation = fmt.Sprintf("keep max_open × instances at or below %.0f (80%% of the free connections", math.Floor(0.8*avail))
	if n > 1 {
		f.Recommendation += fmt.Sprintf(": max_open %.0f per instance", per)
	}
	f.Recommendation += fmt.Sprintf("), or raise max_connections to at least %.0f", math.Ceil(want/0.8+base+reserved))
	return f
}

// reservedNote says which of max_connections the load's role cannot use.
func reservedNote(reserved float64) string {
	if reserved <= 0 {
		return ""
	}
	return fmt.Sprintf(" less %.0f %s", reserved, record.FactSuperuserReserved)
}

// openingBurst says how many connections the pools opened how fast at the
// worst start of a window, e.g. "4 instances opened 40 connections in
// 0.5 s (cold)": a fleet restarting together asks the server for all of
// them at once.
func (d *diag) openingBurst() string {
	src, ok := connsOf(d.rec.Rows)
	if !ok {
		return ""
	}
	best, secsEnd, where := 0.0, 0.0, ""
	for _, w := range d.windows {
		n, end := 0.0, 0.0
		for _, r := range w.rows {
			v := src.opened(r)
			if !(v > 0) {
				break // the burst is the run of intervals that open from t0
			}
			n += v
			end = val(r, record.TEnd)
		}
		if n > best {
			best, secsEnd, where = n, end, w.where()
		}
	}
	if best == 0 {
		return ""
	}
	who := "the pool"
	if d.instances > 1 {
		who = fmt.Sprintf("%d instances", d.instances)
	}
	return fmt.Sprintf("%s opened %.0f connections in the first %s s of %s", who, best, secs(secsEnd), where)
}

// checkThreadCache finds the server creating a thread for most new
// connections when a cache could have served them. A thread cache only
// holds the threads of connections that closed, so creations are misses
// only beyond what no cache could have saved: a fresh server, or a pool
// opening more connections than were ever closed before, must create
// them whatever the cache size.
func checkThreadCache(d *diag) *Finding {
	cache, ok := d.num("thread_cache_size")
	if !ok {
		return nil
	}
	// Threads the server freed before the run: none on the server
	// poolload started; on a server that has been up, any number.
	freed := math.Inf(1)
	if d.target["server"] == "managed" {
		freed = 0
	}
	for _, w := range d.windows {
		conns, created := total(w.rows, record.Connections), total(w.rows, record.ThreadsCreated)
		peak := 0.0
		for _, r := range w.rows {
			peak = math.Max(peak, val(r, record.ThreadsConnected))
		}
		// Connections closed inside the window free threads too (a
		// conn_max_lifetime churning the pool).
		// The level before the window is the first sample's less the
		// connections opened in its interval.
		before := firstVal(w.rows, record.ThreadsConnected) - firstVal(w.rows, record.Connections)
		closedWithin := math.Max(0, conns-(lastVal(w.rows, record.ThreadsConnected)-before))
		unavoidable := math.Max(0, conns-freed-closedWithin)
		freed += d.poolSize(w) + closedWithin // the pool closes at the window's end
		// Below ten connections a cold cache explains it; a cache that can
		// hold every connected thread only misses while it fills.
		if conns < 10 || created-unavoidable < 0.5*conns || cache >= peak {
			continue
		}
		return &Finding{ID: "thread-cache-misses", Severity: SevInfo,
			Statement: "The server created a new thread for most new connections",
			Evidence: fmt.Sprintf("%s: %.0f threads created for %.0f connections (%s), thread_cache_size=%.0f, after earlier connections had closed",
				w.where(), created, conns, span(w.rows), cache),
			Recommendation: fmt.Sprintf("set thread_cache_size to at least %.0f (peak Threads_connected), or keep connections open longer", peak)}
	}
	return nil
}

// poolSize is how many connections w's pool held at most: the pool's own
// gauge, else the server's connected threads above the run's baseline.
func (d *diag) poolSize(w *window) float64 {
	peak := 0.0
	for _, r := range w.rows {
		peak = math.Max(peak, val(r, record.PoolOpen))
	}
	if peak > 0 {
		return peak
	}
	base, _ := d.num(record.FactBaselineThreadsConnected)
	for _, r := range w.rows {
		peak = math.Max(peak, val(r, record.ThreadsConnected)-base)
	}
	return peak
}

// firstVal and lastVal are a column's first and last known values in rows
// (0 when none is known).
func firstVal(rows []record.Row, col string) float64 {
	for _, r := range rows {
		if v := val(r, col); !math.IsNaN(v) {
			return v
		}
	}
	return 0
}

func lastVal(rows []record.Row, col string) float64 {
	for i := len(rows) - 1; i >= 0; i-- {
		if v := val(rows[i], col); !math.IsNaN(v) {
			return v
		}
	}
	return 0
}

// preludeLinkResets is how many connections the link killed in w's
// prelude (an idle pause), before its rows start.
func (d *diag) preludeLinkResets(w *window) float64 {
	for _, wi := range d.rec.Info.Windows {
		if wi.Variant == w.variant && wi.Rep == w.rep {
			return wi.Prelude.Link[record.LinkResets] + wi.Prelude.Link[record.LinkDrops]
		}
	}
	return 0
}
