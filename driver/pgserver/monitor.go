package pgserver

import (
	"context"
	"fmt"
	"maps"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/poolload/poolload/record"
)

// Server readings taken on every sample, in gauge order: a Status is
// indexed by these. "Load" readings count the backends of the load's
// user and application_name only.
const (
	Backends = iota // client backends, all users (less the monitor)
	active
	idle
	idleInTx
	idleInTxAborted
	LoadBackends
	loadActive
	loadIdle
	LoadIdleInTx
	loadIdleInTxAborted
	numBackendsDB
	xactCommit
	xactRollback
	sessions
	numStatus
)

// gaugeNames are the columns of the readings, in order.
var gaugeNames = [numStatus]string{
	record.PgBackends, record.PgActive, record.PgIdle, record.PgIdleInTx, record.PgIdleInTxAborted,
	record.PgLoadBackends, record.PgLoadActive, record.PgLoadIdle, record.PgLoadIdleInTx, record.PgLoadIdleInTxAborted,
	record.PgNumBackends, record.PgXactCommit, record.PgXactRollback, record.PgSessions,
}

// counter says which readings are cumulative counters, reported as
// per-interval deltas.
var counter = [numStatus]bool{xactCommit: true, xactRollback: true, sessions: true}

// statusQuery reads every gauge in one round trip. Backends are client
// backends (no autovacuum or WAL writer); the monitor's own is left out.
// pg_stat_database's counters are those of the database connected to;
// sessions exists from PostgreSQL 14 on (the query for older servers
// reads NULL).
const statusQuery = `SELECT
  count(*),
  count(*) FILTER (WHERE state = 'active'),
  count(*) FILTER (WHERE state = 'idle'),
  count(*) FILTER (WHERE state = 'idle in transaction'),
  count(*) FILTER (WHERE state = 'idle in transaction (aborted)'),
  count(*) FILTER (WHERE load),
  count(*) FILTER (WHERE load AND state = 'active'),
  count(*) FILTER (WHERE load AND state = 'idle'),
  count(*) FILTER (WHERE load AND state = 'idle in transaction'),
  count(*) FILTER (WHERE load AND state = 'idle in transaction (aborted)'),
  (SELECT numbackends FROM pg_stat_database WHERE datname = current_database()),
  (SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()),
  (SELECT xact_rollback FROM pg_stat_database WHERE datname = current_database()),
  (SELECT %s FROM pg_stat_database WHERE datname = current_database())
FROM (SELECT state, usename = $1 AND ($2 = '' OR application_name = $2) AS load
      FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()) a`

// factsQuery reads what Describe reports: the settings that bound a
// pool's connections (count, idle life) as the load's sessions get them.
const factsQuery = `SELECT current_setting('server_version'), current_setting('server_version_num'),
  current_setting('max_connections'), current_setting('superuser_reserved_connections'),
  current_setting('idle_session_timeout'), current_setting('idle_in_transaction_session_timeout'),
  current_setting('tcp_keepalives_idle'), current_setting('statement_timeout'),
  current_user, current_database()`

// QueryTimeout bounds one sample's query, so that a hung server costs a
// NaN, not a stalled interval.
const QueryTimeout = 2 * time.Second

// Status holds one reading.
type Status [numStatus]float64

// GaugeNames lists the gauges a Monitor fills, in order.
func GaugeNames() []string { return append([]string(nil), gaugeNames[:]...) }

// Monitor watches a PostgreSQL server from the server side, through one
// connection of its own that no pool under test ever sees. Safe for
// concurrent use.
type Monitor struct {
	mu    sync.Mutex // a pgx.Conn serves one caller at a time
	conn  *pgx.Conn
	query string
	user  string // the load's user and application_name
	app   string
	facts map[string]string

	prev   Status
	prevOK bool
}

// MonitorApp is the monitoring connection's application_name, so that it
// is never counted as the load's.
const MonitorApp = "poolload-monitor"

// OpenMonitor connects with cfg (a copy is changed: the monitor names
// itself and lifts the idle timeouts of its own session), reads the facts
// and a first reading, so that the first Sample's deltas count from now.
// The load is user's connections named app (any name when app is "", as
// for a service whose sessions poolload does not name; the connecting
// user when user is ""). Errors are *OpenError with a class and never
// hold the password.
func OpenMonitor(ctx context.Context, cfg *pgx.ConnConfig, user, app string) (*Monitor, error) {
	mc := cfg.Copy()
	mc.RuntimeParams = maps.Clone(mc.RuntimeParams)
	if mc.RuntimeParams == nil {
		mc.RuntimeParams = map[string]string{}
	}
	mc.RuntimeParams["application_name"] = MonitorApp
	mc.Tracer = nil
	conn, err := pgx.ConnectConfig(ctx, mc)
	if err != nil {
		return nil, &OpenError{Class: ClassifyAt(err, Case{Stage: StageConnect, RunDone: ctx.Err() != nil}),
			Err: fmt.Errorf("connecting to %s:%d (connect_timeout %s): %w", cfg.Host, cfg.Port, cfg.ConnectTimeout, Scrub(err, cfg.Password))}
	}
	m := &Monitor{conn: conn, user: user, app: app}
	if err := m.start(ctx); err != nil {
		conn.Close(context.Background())
		return nil, &OpenError{Class: Classify(err), Err: Scrub(err, cfg.Password)}
	}
	return m, nil
}

// start reads the facts as the load's sessions see them, then keeps the
// monitor's own session from being killed as idle between samples.
func (m *Monitor) start(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, QueryTimeout)
	defer cancel()
	var f [10]string
	if err := m.conn.QueryRow(ctx, factsQuery).Scan(&f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6], &f[7], &f[8], &f[9]); err != nil {
		return fmt.Errorf("reading server settings: %w", err)
	}
	m.facts = map[string]string{"server_version": f[0], record.FactMaxConnections: f[2],
		record.FactSuperuserReserved: f[3], record.FactIdleSessionTimeout: f[4],
		record.FactIdleInTxTimeout: f[5], record.FactTCPKeepalivesIdle: f[6],
		"statement_timeout": f[7], "server_user": f[8], "database": f[9]}
	if m.user == "" {
		m.user = f[8]
	}
	sessionsCol := "NULL::bigint"
	if v, err := strconv.Atoi(f[1]); err == nil && v >= 140000 {
		sessionsCol = "sessions"
	}
	m.query = fmt.Sprintf(statusQuery, sessionsCol)
	if _, err := m.conn.Exec(ctx, "SET idle_session_timeout = 0; SET idle_in_transaction_session_timeout = 0"); err != nil {
		return fmt.Errorf("lifting the monitor's own idle timeouts: %w", err)
	}
	st, err := m.read(ctx)
	if err != nil {
		return err
	}
	m.prev, m.prevOK = st, true
	return nil
}

// Facts returns the settings read at open (a copy).
func (m *Monitor) Facts() map[string]string { return maps.Clone(m.facts) }

// Read takes one reading, bounded by QueryTimeout.
func (m *Monitor) Read(ctx context.Context) (Status, error) {
	ctx, cancel := context.WithTimeout(ctx, QueryTimeout)
	defer cancel()
	return m.read(ctx)
}

func (m *Monitor) read(ctx context.Context) (Status, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var st Status
	var v [numStatus]*int64
	dst := make([]any, numStatus)
	for i := range v {
		dst[i] = &v[i]
	}
	if err := m.conn.QueryRow(ctx, m.query, m.user, m.app).Scan(dst...); err != nil {
		return st, fmt.Errorf("reading pg_stat_activity: %w", err)
	}
	for i, p := range v {
		if p == nil {
			st[i] = math.NaN()
		} else {
			st[i] = float64(*p)
		}
	}
	return st, nil
}

// Sample fills dst (in GaugeNames order): levels as read, counters as
// deltas since the previous Sample. A reading that fails leaves every
// gauge NaN; a counter that fell (a restart, a stats reset) leaves its
// interval's counters NaN, never negative.
func (m *Monitor) Sample(ctx context.Context, dst []float64) {
	st, err := m.Read(ctx)
	m.mu.Lock()
	defer m.mu.Unlock()
	fill(dst, st, err, &m.prev, &m.prevOK)
}

// fill writes one reading into dst and advances prev.
func fill(dst []float64, st Status, err error, prev *Status, prevOK *bool) {
	if err != nil {
		for i := range dst {
			dst[i] = math.NaN()
		}
		return
	}
	reset := false
	for i := range st {
		if counter[i] && *prevOK && st[i] < prev[i] {
			reset = true
		}
	}
	for i := 0; i < len(dst) && i < numStatus; i++ {
		switch {
		case !counter[i]:
			dst[i] = st[i]
		case !*prevOK || reset:
			dst[i] = math.NaN()
		default:
			dst[i] = st[i] - prev[i]
		}
	}
	*prev, *prevOK = st, true
}

// userConnsQuery counts a user's client backends, those that started
// after $2, and the latest start among them.
const userConnsQuery = `SELECT count(*), count(*) FILTER (WHERE backend_start > $2), max(backend_start)
FROM pg_stat_activity WHERE backend_type = 'client backend' AND usename = $1 AND pid <> pg_backend_pid()`

// UserConns reads user's backends on the server (not the monitor's own):
// how many there are, how many started after since (the last returned by
// the previous reading), and the latest start, to pass as since next
// time. The server's own clock stamps both, so the client's does not
// matter. A connection opened and closed between two readings is not
// seen.
func (m *Monitor) UserConns(ctx context.Context, user string, since time.Time) (backends, opened int64, last time.Time, err error) {
	ctx, cancel := context.WithTimeout(ctx, QueryTimeout)
	defer cancel()
	m.mu.Lock()
	defer m.mu.Unlock()
	var latest *time.Time
	if err := m.conn.QueryRow(ctx, userConnsQuery, user, since).Scan(&backends, &opened, &latest); err != nil {
		return 0, 0, since, fmt.Errorf("reading the backends of user %q: %w", user, err)
	}
	if latest == nil || latest.Before(since) {
		return backends, opened, since, nil
	}
	return backends, opened, *latest, nil
}

// Close closes the monitoring connection.
func (m *Monitor) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), QueryTimeout)
	defer cancel()
	return m.conn.Close(ctx)
}
