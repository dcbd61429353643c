package analysis

import (
	"fmt"
	"math"
	"strconv"
	"time"

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
		checks, errs := total(w.rows, record.BadConnChecks), total(w.rows, "errors_bad_connection")
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
		var hit []record.Row
		for _, r := range w.rows {
			if val(r, record.BadConnChecks) > 0 || val(r, "errors_bad_connection") > 0 {
				hit = append(hit, r)
			}
		}
		ev := fmt.Sprintf("%s: %s, conn_max_idle_time=%s, conn_max_lifetime=%s; %.0f dead connections found by the driver, %.0f bad_connection errors (%s)",
			w.where(), what, unsetDur(idle), unsetDur(life), checks, errs, span(hit))
		if resets := total(w.rows, record.LinkResets) + total(w.rows, record.LinkDrops) + d.preludeLinkResets(w); resets > 0 {
			ev += fmt.Sprintf("; the link reset or dropped %.0f connections", resets)
		}
		return &Finding{ID: "idle-connection-deaths", Severity: sev,
			Statement:      "The pool keeps idle connections longer than " + what + " allows, and some of them died",
			Evidence:       ev,
			Recommendation: fmt.Sprintf("set conn_max_idle_time to %s (below %s)", rec, what)}
	}
	return nil
}

// idleLimit is the shortest idle time that kills a connection: the
// server's wait_timeout, or the network link's reset_idle_after when it is
// shorter; what names it for the finding.
func (d *diag) idleLimit() (time.Duration, string) {
	limit := d.waitTimeout()
	what := fmt.Sprintf("the server's wait_timeout=%s", limit)
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
	maxConn, ok := d.num("max_connections")
	maxOpen, ok2 := d.num("max_open")
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
	base, _ := d.num("baseline_threads_connected")
	avail := maxConn - base // connections other clients already hold
	sev := ""
	switch {
	case refused > 0 || (known && want >= avail):
		sev = SevCritical
	case aborted > 0 || (known && want >= 0.8*avail):
		sev = SevWarning
	default:
		return nil
	}
	pools := fmt.Sprintf("max_open=%.0f", maxOpen)
	if n > 1 {
		pools = fmt.Sprintf("max_open=%.0f × %.0f instances = %.0f", maxOpen, n, want)
	}
	f := &Finding{ID: "server-connection-headroom", Severity: sev,
		Statement: "The pools can ask for about as many connections as the server allows",
		Evidence: fmt.Sprintf("%s, max_connections=%.0f with %.0f already connected at start; %.0f too_many_connections errors, %.0f aborted connects",
			pools, maxConn, base, refused, aborted)}
	if !known {
		f.Recommendation = "lower max_open × instances below the server's max_connections, or raise max_connections"
		return f
	}
	per := math.Floor(0.8 * avail / n)
	f.Recommendation = fmt.Sprintf("keep max_open × instances at or below %.0f (80%% of the free connections", math.Floor(0.8*avail))
	if n > 1 {
		f.Recommendation += fmt.Sprintf(": max_open %.0f per instance", per)
	}
	f.Recommendation += fmt.Sprintf("), or raise max_connections to at least %.0f", math.Ceil(want/0.8+base))
	return f
}

// checkThreadCache finds the server creating a thread for most new
// connections: its thread cache is too small for the pool's churn.
func checkThreadCache(d *diag) *Finding {
	for _, w := range d.windows {
		conns, created := total(w.rows, "connections"), total(w.rows, record.ThreadsCreated)
		// Below ten connections a fresh server's empty cache explains it.
		if conns < 10 || created < 0.5*conns {
			continue
		}
		peak := 0.0
		for _, r := range w.rows {
			peak = math.Max(peak, val(r, record.ThreadsConnected))
		}
		// A cache that can hold every connected thread is only cold (a
		// fresh server starts empty); it misses for good only when smaller.
		cache, ok := d.num("thread_cache_size")
		if !ok || cache >= peak {
			continue
		}
		return &Finding{ID: "thread-cache-misses", Severity: SevInfo,
			Statement: "The server created a new thread for most new connections",
			Evidence: fmt.Sprintf("%s: %.0f threads created for %.0f connections (%s), thread_cache_size=%.0f",
				w.where(), created, conns, span(w.rows), cache),
			Recommendation: fmt.Sprintf("set thread_cache_size to at least %.0f (peak Threads_connected), or keep connections open longer", peak)}
	}
	return nil
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
