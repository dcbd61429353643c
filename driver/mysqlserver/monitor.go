package mysqlserver

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"math"
	"strconv"
	"sync"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	pdriver "github.com/poolload/poolload/driver"
	"github.com/poolload/poolload/record"
)

// Server status variables read on every sample, in gauge order: a
// Status is indexed by these.
const (
	ThreadsConnected = iota
	srvThreadsRunning
	srvThreadsCreated
	srvConnections
	srvAbortedConnects
	srvAbortedClients
	srvMaxUsedConnections
	srvQuestions
	numServerVars
)

// A Status holds Uptime after the gauges: read in the same query, it is no
// gauge, but it shows a restart the counters miss when the server counted
// past their old values before the next good reading.
const (
	srvUptime = numServerVars + iota
	numStatusVars
)

var serverVarNames = [numStatusVars]string{
	"Threads_connected", "Threads_running", "Threads_created", "Connections",
	"Aborted_connects", "Aborted_clients", "Max_used_connections", "Questions", "Uptime",
}

// serverGaugeNames are the server gauges, in order: the variables in
// lower case. Counters among them carry per-interval deltas.
var serverGaugeNames = [numServerVars]string{
	record.ThreadsConnected, record.ThreadsRunning, record.ThreadsCreated, record.Connections,
	record.AbortedConnects, record.AbortedClients, record.MaxUsedConnections, record.Questions,
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
	"'Aborted_clients', 'Max_used_connections', 'Questions', 'Uptime')"

// factsQuery reads what Describe reports. wait_timeout is the GLOBAL one:
// the monitoring session sets its own, long one.
const factsQuery = "SELECT VERSION(), @@max_connections, @@GLOBAL.wait_timeout, @@thread_cache_size"

// QueryTimeout bounds one sample's query, so that a hung server
// costs a NaN, not a stalled interval.
const QueryTimeout = 2 * time.Second

// Status holds one reading of the server variables.
type Status [numStatusVars]float64

// Monitor watches a MySQL/MariaDB server from the server side, through one
// connection of its own that no pool under test ever sees. It is what the
// MySQL target samples besides its pool, and what the HTTP target uses to
// watch the database behind a service. Safe for concurrent use.
type Monitor struct {
	db    *sql.DB
	dsn   string // redacted
	facts map[string]string

	mu     sync.Mutex
	prev   Status // last good reading, for the counters' deltas
	prevOK bool
}

// ServerGaugeNames lists the gauges a Monitor fills, in order, so that a
// caller can name its columns before any server is reached.
func ServerGaugeNames() []string { return append([]string(nil), serverGaugeNames[:]...) }

// OpenMonitor connects to the server at dsn (within the driver's default
// connect timeout), reads the facts Describe reports and a first status
// reading, so that the first Sample's deltas count from now. Its errors are
// *OpenError with a class and never hold the DSN's password.
func OpenMonitor(ctx context.Context, dsn string) (*Monitor, error) {
	pw := Password(dsn)
	gc, err := gomysql.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("parsing the dsn: %w", Scrub(err, pw))
	}
	if gc.Timeout == 0 || gc.Timeout > pdriver.DefaultConnectTimeout {
		gc.Timeout = pdriver.DefaultConnectTimeout
	}
	db, err := OpenConn(ctx, gc, pw, pdriver.DefaultConnectTimeout, nil)
	if err != nil {
		return nil, err
	}
	m := &Monitor{db: db, dsn: RedactDSN(dsn)}
	if err := m.start(ctx); err != nil {
		db.Close()
		return nil, &OpenError{Class: Classify(err), Err: Scrub(err, pw)}
	}
	return m, nil
}

// OpenConn opens and pings a one-connection *sql.DB within timeout.
// It keeps a long session wait_timeout so that a server configured to kill
// idle connections quickly does not kill the monitor between samples.
// hint may add advice to a failed ping's error (nil: none).
func OpenConn(ctx context.Context, gc *gomysql.Config, pw string, timeout time.Duration, hint func(error) error) (*sql.DB, error) {
	mc := gc.Clone()
	mc.Logger = &gomysql.NopLogger{}
	mc.Params = maps.Clone(mc.Params) // Clone shares an empty map
	if mc.Params == nil {
		mc.Params = map[string]string{}
	}
	mc.Params["wait_timeout"] = "28800"
	conn, err := gomysql.NewConnector(mc)
	if err != nil {
		return nil, fmt.Errorf("configuring the monitoring connection: %w", Scrub(err, pw))
	}
	db := sql.OpenDB(conn)
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		cls := ClassifyAt(err, Case{Stage: StageConnect, RunDone: ctx.Err() != nil, Expired: pctx.Err() != nil})
		if hint != nil {
			err = hint(err)
		}
		return nil, &OpenError{Class: cls, Err: fmt.Errorf("connecting to %s (connect_timeout %s): %w",
			gc.Addr, timeout, Scrub(err, pw))}
	}
	return db, nil
}

// start reads the facts and the first status reading.
func (m *Monitor) start(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, QueryTimeout)
	defer cancel()
	var version, maxConns, waitTimeout, threadCache string
	if err := m.db.QueryRowContext(ctx, factsQuery).Scan(&version, &maxConns, &waitTimeout, &threadCache); err != nil {
		return fmt.Errorf("reading server variables: %w", err)
	}
	m.facts = map[string]string{"server_version": version, "max_connections": maxConns,
		"wait_timeout": waitTimeout, "thread_cache_size": threadCache}
	status, err := ReadStatus(ctx, m.db)
	if err != nil {
		return err
	}
	m.prev, m.prevOK = status, true
	return nil
}

// GaugeNames lists the gauges Sample fills (see ServerGaugeNames).
func (m *Monitor) GaugeNames() []string { return ServerGaugeNames() }

// Sample fills dst (in GaugeNames order) from one SHOW GLOBAL STATUS:
// levels as read, counters as deltas since the previous Sample. If the
// server cannot be read every gauge is NaN, and the next good reading's
// deltas count from the last good one.
func (m *Monitor) Sample(ctx context.Context, dst []float64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, QueryTimeout)
	defer cancel()
	cur, err := ReadStatus(ctx, m.db)
	FillGauges(dst, cur, err, &m.prev, &m.prevOK)
}

// Read takes one reading of the server's status (levels and cumulative
// counters as the server has them).
func (m *Monitor) Read(ctx context.Context) (Status, error) {
	ctx, cancel := context.WithTimeout(ctx, QueryTimeout)
	defer cancel()
	return ReadStatus(ctx, m.db)
}

// UserConns reads user's connections on the server (not the monitor's
// own): how many there are, how many have an id above since (opened since
// the reading that returned since as its last id: the server numbers
// connections in order), and the highest id, to pass as since next time.
// A connection opened and closed between two readings is not seen.
func (m *Monitor) UserConns(ctx context.Context, user string, since int64) (threads, opened, last int64, err error) {
	ctx, cancel := context.WithTimeout(ctx, QueryTimeout)
	defer cancel()
	err = m.db.QueryRowContext(ctx, "SELECT COUNT(*), COALESCE(SUM(ID > ?), 0), COALESCE(MAX(ID), ?) "+
		"FROM information_schema.PROCESSLIST WHERE USER = ? AND ID <> CONNECTION_ID()", since, since, user).Scan(&threads, &opened, &last)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("reading the connections of user %q: %w", user, err)
	}
	return threads, opened, max(last, since), nil
}

// Describe returns the server facts read at OpenMonitor (server_version,
// max_connections, the global wait_timeout, thread_cache_size) and the
// redacted DSN.
func (m *Monitor) Describe(context.Context) map[string]string {
	out := maps.Clone(m.facts)
	out["dsn"] = m.dsn
	return out
}

// Close closes the monitoring connection.
func (m *Monitor) Close() error { return m.db.Close() }

// ReadStatus reads the server variables in one round trip.
func ReadStatus(ctx context.Context, db *sql.DB) (Status, error) {
	var out Status
	rows, err := db.QueryContext(ctx, statusQuery)
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
	if seen != int(numStatusVars) {
		return out, fmt.Errorf("reading server status: got %d of %d variables", seen, numStatusVars)
	}
	return out, nil
}

// FillGauges turns a reading into gauges in dst: levels as read,
// counters as the delta from *prev (NaN without a previous reading), all
// NaN if err is set. A good reading becomes *prev; a failed one leaves it,
// so the next delta spans the gap rather than being lost. An Uptime or a
// counter that fell means the server restarted and its counters began
// again: what happened across the restart is unknown, so every counter of
// that interval is NaN (an empty cell), never a delta across it.
func FillGauges(dst []float64, cur Status, err error, prev *Status, prevOK *bool) {
	reset := err == nil && *prevOK && cur[srvUptime] < prev[srvUptime]
	for i := range numServerVars {
		reset = reset || (err == nil && *prevOK && serverCounter[i] && cur[i] < prev[i])
	}
	for i := range min(len(dst), int(numServerVars)) {
		v := math.NaN()
		switch {
		case err != nil:
		case !serverCounter[i]:
			v = cur[i]
		case *prevOK && !reset:
			v = cur[i] - prev[i]
		}
		dst[i] = v
	}
	if err == nil {
		*prev, *prevOK = cur, true
	}
}
