package mysql

import (
	"context"
	"fmt"
	"maps"
	"math"
	"strconv"
	"time"
)

// Server status variables read on every sample, in gauge order.
const (
	srvThreadsConnected = iota
	srvThreadsRunning
	srvThreadsCreated
	srvConnections
	srvAbortedConnects
	srvAbortedClients
	srvMaxUsedConnections
	srvQuestions
	numServerVars
)

var serverVarNames = [numServerVars]string{
	"Threads_connected", "Threads_running", "Threads_created", "Connections",
	"Aborted_connects", "Aborted_clients", "Max_used_connections", "Questions",
}

// serverCounter says which server variables are counters (reported as
// per-interval deltas) rather than levels.
var serverCounter = [numServerVars]bool{
	srvThreadsCreated: true, srvConnections: true, srvAbortedConnects: true,
	srvAbortedClients: true, srvQuestions: true,
}

// One query for all of them: the monitor makes one round trip per sample.
const statusQuery = "SHOW GLOBAL STATUS WHERE Variable_name IN ('Threads_connected', " +
	"'Threads_running', 'Threads_created', 'Connections', 'Aborted_connects', " +
	"'Aborted_clients', 'Max_used_connections', 'Questions')"

// gaugeNames are the Sampler's gauges; "(delta)" ones are per interval.
var gaugeNames = []string{
	"pool_open", "pool_in_use", "pool_idle",
	"pool_wait_count", "pool_wait_ms", // deltas
	"pool_max_idle_closed", "pool_max_idle_time_closed", "pool_max_lifetime_closed", // deltas
	"conns_opened", "conns_closed", "bad_conn_checks", // deltas
	"threads_connected", "threads_running", "threads_created", "connections",
	"aborted_connects", "aborted_clients", "max_used_connections", "questions",
}

// numPoolGauges is the index of the first server gauge.
const numPoolGauges = 11

// serverValues holds one reading of the server variables.
type serverValues [numServerVars]float64

// sampleState is what the previous Sample saw, for the deltas.
type sampleState struct {
	waitCount, waitNS, maxIdle, maxIdleTime, maxLife int64
	opened, closed, badIdle                          int64
	server                                           serverValues
	serverOK                                         bool
}

// GaugeNames implements driver.Sampler.
func (d *Driver) GaugeNames() []string { return append([]string(nil), gaugeNames...) }

// GaugeNames lets the runner name the record's gauge columns before the
// first pool is opened.
func (c Config) GaugeNames() []string { return append([]string(nil), gaugeNames...) }

// Sample implements driver.Sampler: pool gauges from DBStats and the
// driver's counters, server gauges from one SHOW GLOBAL STATUS on the
// monitoring connection (NaN if it fails, e.g. while the server is down).
func (d *Driver) Sample(ctx context.Context, dst []float64) {
	d.sampleMu.Lock()
	defer d.sampleMu.Unlock()
	s := d.db.Stats()
	cur := sampleState{
		waitCount: s.WaitCount, waitNS: int64(s.WaitDuration),
		maxIdle: s.MaxIdleClosed, maxIdleTime: s.MaxIdleTimeClosed, maxLife: s.MaxLifetimeClosed,
		opened: d.st.opened.Load(), closed: d.st.closed.Load(), badIdle: d.st.badIdle.Load(),
	}
	p := &d.prev
	pool := [numPoolGauges]float64{
		float64(s.OpenConnections), float64(s.InUse), float64(s.Idle),
		float64(cur.waitCount - p.waitCount), float64(cur.waitNS-p.waitNS) / float64(time.Millisecond),
		float64(cur.maxIdle - p.maxIdle), float64(cur.maxIdleTime - p.maxIdleTime), float64(cur.maxLife - p.maxLife),
		float64(cur.opened - p.opened), float64(cur.closed - p.closed), float64(cur.badIdle - p.badIdle),
	}
	copy(dst, pool[:])
	qctx, cancel := context.WithTimeout(ctx, min(d.queryTimeout, 2*time.Second))
	defer cancel()
	srv, err := d.serverStatus(qctx)
	cur.server, cur.serverOK = srv, err == nil
	for i := range numServerVars {
		v := math.NaN()
		switch {
		case err != nil:
		case !serverCounter[i]:
			v = srv[i]
		case p.serverOK:
			v = srv[i] - p.server[i]
		}
		if numPoolGauges+i < len(dst) {
			dst[numPoolGauges+i] = v
		}
	}
	if err != nil { // keep the last good server reading for the next delta
		cur.server, cur.serverOK = p.server, p.serverOK
	}
	*p = cur
}

// serverStatus reads the server variables through the monitoring connection.
func (d *Driver) serverStatus(ctx context.Context) (serverValues, error) {
	var out serverValues
	rows, err := d.mon.QueryContext(ctx, statusQuery)
	if err != nil {
		return out, fmt.Errorf("reading server status: %w", err)
	}
	defer rows.Close()
	seen := 0
	for rows.Next() {
		var name, value string
		if err := rows.Scan(&name, &value); err != nil {
			return out, fmt.Errorf("reading server status: %w", err)
		}
		for i, n := range serverVarNames {
			if n == name {
				out[i], _ = strconv.ParseFloat(value, 64)
				seen++
			}
		}
	}
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("reading server status: %w", err)
	}
	if seen != int(numServerVars) {
		return out, fmt.Errorf("reading server status: got %d of %d variables", seen, numServerVars)
	}
	return out, nil
}

// Describe implements driver.Describer: server facts read at Open, the
// redacted DSN and the pool settings in effect.
func (d *Driver) Describe(context.Context) map[string]string {
	c := &d.cfg
	out := maps.Clone(d.facts)
	out["dsn"] = redactDSN(c.DSN)
	if c.Server == ServerManaged {
		out["server"] = ServerManaged
		if s := c.Managed(); s != nil {
			out["dsn"] = s.DSN()
			for k, v := range s.Adjusted {
				out["adjusted."+k] = v
			}
		}
	}
	out["max_open"] = strconv.Itoa(c.MaxOpen)
	out["max_idle"] = strconv.Itoa(c.maxIdle())
	out["conn_max_lifetime"] = c.ConnMaxLifetime.String()
	out["conn_max_idle_time"] = c.ConnMaxIdleTime.String()
	out["acquire_timeout"] = c.AcquireTimeout.String()
	out["query_timeout"] = c.QueryTimeout.String()
	out["connect_timeout"] = c.ConnectTimeout.String()
	out["baseline_threads_connected"] = strconv.FormatInt(d.baseline, 10)
	for k, v := range c.Params {
		out["param."+k] = v
	}
	return out
}
