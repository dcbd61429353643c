package record

import (
	"strings"

	"github.com/poolload/poolload/collector"
	"github.com/poolload/poolload/driver"
)

// The columns of timeseries.csv, each named once here. Everything that
// writes, samples, plots or analyses a column uses these names; a test
// fails on a literal use elsewhere. Columns lists each one's unit, kind
// and meaning.
const (
	Variant       = "variant"
	Rep           = "rep"
	TStart        = "t_start_s"
	TEnd          = "t_end_s"
	Iterations    = "iterations"
	Rate          = "rate"
	Dropped       = "dropped"
	DroppedVUs    = "dropped_vus"
	DroppedPool   = "dropped_pool"
	DroppedTarget = "dropped_target"
	// DroppedGrowing counts drops of any cause while VUs were still
	// being allocated.
	DroppedGrowing = "dropped_while_growing"
	Interrupted    = "interrupted"
	Errors         = "errors"
	VUsBusy        = "vus_busy"
	VUsAllocated   = "vus_allocated"

	// ErrorsPrefix starts one column per error class (ErrorsOf).
	ErrorsPrefix = "errors_"
)

// The percentiles of the main metrics, per interval, in milliseconds
// (PercentileOf names them all).
const (
	LatencyP50     = "latency_p50_ms"
	LatencyP99     = "latency_p99_ms"
	ServiceP50     = "service_p50_ms"
	ServiceP99     = "service_p99_ms"
	ScheduleLagP99 = "schedule_lag_p99_ms"
	BlockedP50     = "blocked_p50_ms"
	BlockedP99     = "blocked_p99_ms"
	ConnectingP99  = "connecting_p99_ms"
)

// The client pool's gauges (the MySQL driver's database/sql pool).
const (
	PoolOpen              = "pool_open"
	PoolInUse             = "pool_in_use"
	PoolIdle              = "pool_idle"
	PoolWaitCount         = "pool_wait_count"
	PoolWaitMs            = "pool_wait_ms"
	PoolMaxIdleClosed     = "pool_max_idle_closed"
	PoolMaxIdleTimeClosed = "pool_max_idle_time_closed"
	PoolMaxLifetimeClosed = "pool_max_lifetime_closed"
	ConnsOpened           = "conns_opened"
	ConnsOpenedByPool     = "conns_opened_by_pool"
	ConnsOpenedByPoolMs   = "conns_opened_by_pool_ms"
	ConnsClosed           = "conns_closed"
	BadConnChecks         = "bad_conn_checks"
)

// The server's gauges (SHOW GLOBAL STATUS), sampled by the MySQL target
// as they are and by an HTTP target's database block with DBPrefix.
const (
	ThreadsConnected   = "threads_connected"
	ThreadsRunning     = "threads_running"
	ThreadsCreated     = "threads_created"
	Connections        = "connections"
	AbortedConnects    = "aborted_connects"
	AbortedClients     = "aborted_clients"
	MaxUsedConnections = "max_used_connections"
	Questions          = "questions"

	DBPrefix           = "db_"
	DBThreadsConnected = DBPrefix + ThreadsConnected
	DBThreadsRunning   = DBPrefix + ThreadsRunning
	DBConnections      = DBPrefix + Connections
	DBUserThreads      = DBPrefix + "user_threads"
	DBUserConnsOpened  = DBPrefix + "user_conns_opened"
	// DBPgLoadIdleInTx is, for a database block on PostgreSQL, the
	// service user's backends idle in transaction.
	DBPgLoadIdleInTx = DBPrefix + PgLoadIdleInTx
)

// A pgxpool's gauges beside the pool's (pool_open is its total,
// pool_in_use its acquired, pool_wait_count its empty acquires).
const (
	PoolConstructing     = "pool_constructing"
	PoolCanceledAcquires = "pool_canceled_acquires"
	// ConnsFailed counts setups the server saw (the TCP connect
	// succeeded) that ended without a connection: the server's count of
	// new backends is conns_opened + conns_failed.
	ConnsFailed = "conns_failed"
)

// PostgreSQL's view of its sessions (pg_stat_activity, client backends)
// and of the database (pg_stat_database), sampled by the postgres target
// on a connection of its own. The pg_load_ ones count the load's user and
// application_name only.
const (
	PgBackends            = "pg_backends"
	PgActive              = "pg_active"
	PgIdle                = "pg_idle"
	PgIdleInTx            = "pg_idle_in_tx"
	PgIdleInTxAborted     = "pg_idle_in_tx_aborted"
	PgLoadBackends        = "pg_load_backends"
	PgLoadActive          = "pg_load_active"
	PgLoadIdle            = "pg_load_idle"
	PgLoadIdleInTx        = "pg_load_idle_in_tx"
	PgLoadIdleInTxAborted = "pg_load_idle_in_tx_aborted"
	PgNumBackends         = "pg_numbackends"
	PgXactCommit          = "pg_xact_commit"
	PgXactRollback        = "pg_xact_rollback"
	PgSessions            = "pg_sessions"
)

// The service's own pool gauges, as an HTTP target's pool_metrics block
// reads them.
const (
	SvcPoolInUse     = "svc_pool_in_use"
	SvcPoolIdle      = "svc_pool_idle"
	SvcPoolWaiting   = "svc_pool_waiting"
	SvcPoolMax       = "svc_pool_max"
	SvcPoolOpen      = "svc_pool_open"
	SvcPoolOpened    = "svc_pool_opened"
	SvcPoolWaitCount = "svc_pool_wait_count"
)

// The load's own connections to an HTTP service (the HTTP target's
// client, not the service's pool).
const (
	HTTPConnsOpened         = "http_conns_opened"
	HTTPConnsOpenedByPool   = "http_conns_opened_by_pool"
	HTTPConnsOpenedByPoolMs = "http_conns_opened_by_pool_ms"
)

// The emulated network link's gauges.
const (
	LinkConns   = "link_conns"
	LinkRefused = "link_refused"
	LinkResets  = "link_resets"
	LinkDrops   = "link_drops"
	LinkActive  = "link_active"
)

// The host's CPU and poolload's own, sampled by the runner on every run,
// so that a finding can tell a slow target from a starved machine.
const (
	HostStealPct    = "host_steal_pct"
	HostBusyPct     = "host_busy_pct"
	HarnessCPUCores = "harness_cpu_cores"
)

// Kind says how a column's values add up over time.
type Kind uint8

const (
	// Label names the row (variant, rep).
	Label Kind = iota
	// Level is a reading at the interval's end: connections open now.
	Level
	// Delta counts what happened during the interval: connections opened.
	// Summing a window's deltas gives its total.
	Delta
	// Stat is a statistic of the interval's iterations: a percentile, a
	// rate. It neither sums nor carries over.
	Stat
)

// Column describes one column.
type Column struct {
	Name string
	Unit string
	Kind Kind
	Help string
}

// Columns describes every fixed column, and the prefixed families by
// their first member's prefix (see Describe).
var Columns = []Column{
	{Variant, "", Label, "the variant of the window"},
	{Rep, "", Label, "the repetition of the window, from 1"},
	{TStart, "s", Level, "the interval's start, seconds from the window's t0"},
	{TEnd, "s", Level, "the interval's end, seconds from the window's t0"},
	{Iterations, "iterations", Delta, "iterations that finished in the interval"},
	{Rate, "1/s", Stat, "iterations finished per second of the interval"},
	{Dropped, "iterations", Delta, "ticks that found no free VU, all causes"},
	{DroppedVUs, "iterations", Delta, "drops with no VU in an iteration: every VU still starting"},
	{DroppedPool, "iterations", Delta, "drops while most busy VUs were blocked on the pool"},
	{DroppedTarget, "iterations", Delta, "drops while most busy VUs were waiting on the target"},
	{DroppedGrowing, "iterations", Delta, "drops (of any cause above) that came while VUs were still being allocated: allocation contributed"},
	{Interrupted, "iterations", Delta, "iterations cut off by the end of the run"},
	{Errors, "iterations", Delta, "iterations that failed, all classes"},
	{ErrorsPrefix, "iterations", Delta, "iterations that failed with one class (errors_<class>)"},
	{VUsBusy, "VUs", Level, "VUs in an iteration at the interval's end"},
	{VUsAllocated, "VUs", Level, "VUs allocated at the interval's end"},
	{PoolOpen, "connections", Level, "the client pool's open connections"},
	{PoolInUse, "connections", Level, "the client pool's connections in use"},
	{PoolIdle, "connections", Level, "the client pool's idle connections"},
	{PoolWaitCount, "waits", Delta, "acquires that waited for a connection"},
	{PoolWaitMs, "ms", Delta, "time acquires spent waiting for a connection"},
	{PoolMaxIdleClosed, "connections", Delta, "connections closed because max_idle was reached"},
	{PoolMaxIdleTimeClosed, "connections", Delta, "connections closed for conn_max_idle_time"},
	{PoolMaxLifetimeClosed, "connections", Delta, "connections closed for conn_max_lifetime"},
	{ConnsOpened, "connections", Delta, "connections the client pool opened"},
	{ConnsOpenedByPool, "connections", Delta, "of conns_opened, those the pool opened with no iteration waiting in the call " +
		"(database/sql's opener goroutine, prewarm): in no iteration's connecting"},
	{ConnsOpenedByPoolMs, "ms", Delta, "the setup time of conns_opened_by_pool"},
	{ConnsClosed, "connections", Delta, "connections the client pool closed"},
	{BadConnChecks, "connections", Delta, "pooled connections found dead when taken (liveness check)"},
	{PoolConstructing, "connections", Level, "pgxpool: connections being set up at the interval's end"},
	{PoolCanceledAcquires, "acquires", Delta, "pgxpool: acquires whose context ended before they got a connection"},
	{ConnsFailed, "connections", Delta, "connection setups that reached the server but ended without a connection " +
		"(an acquire timeout canceled them, authentication failed)"},
	{PgBackends, "backends", Level, "PostgreSQL's client backends (pg_stat_activity), all users, the monitor left out"},
	{PgActive, "backends", Level, "client backends running a statement (state active)"},
	{PgIdle, "backends", Level, "client backends waiting for a statement outside a transaction (state idle)"},
	{PgIdleInTx, "backends", Level, "client backends inside a transaction, waiting for the client (idle in transaction)"},
	{PgIdleInTxAborted, "backends", Level, "client backends inside a failed transaction, waiting for the client's rollback"},
	{PgLoadBackends, "backends", Level, "the load's backends: its user and application_name"},
	{PgLoadActive, "backends", Level, "the load's backends running a statement"},
	{PgLoadIdle, "backends", Level, "the load's idle backends"},
	{PgLoadIdleInTx, "backends", Level, "the load's backends idle in transaction: connections holding a transaction open"},
	{PgLoadIdleInTxAborted, "backends", Level, "the load's backends idle in a failed transaction"},
	{PgNumBackends, "backends", Level, "pg_stat_database.numbackends of the database connected to (all backends on it)"},
	{PgXactCommit, "transactions", Delta, "transactions committed in the database (pg_stat_database.xact_commit; flushed by backends up to a few seconds late)"},
	{PgXactRollback, "transactions", Delta, "transactions rolled back in the database (pg_stat_database.xact_rollback)"},
	{PgSessions, "sessions", Delta, "sessions established to the database (pg_stat_database.sessions, PostgreSQL 14 on; flushed late like the counters)"},
	{ThreadsConnected, "threads", Level, "the server's Threads_connected"},
	{ThreadsRunning, "threads", Level, "the server's Threads_running"},
	{ThreadsCreated, "threads", Delta, "threads the server created (Threads_created)"},
	{Connections, "connections", Delta, "connection attempts the server saw (Connections)"},
	{AbortedConnects, "connections", Delta, "failed connection attempts (Aborted_connects)"},
	{AbortedClients, "connections", Delta, "connections the server dropped uncleanly (Aborted_clients)"},
	{MaxUsedConnections, "connections", Level, "the server's Max_used_connections"},
	{Questions, "statements", Delta, "statements the server ran (Questions)"},
	{DBPrefix, "", Level, "the service's database server, as the server's gauges (db_<gauge>)"},
	{DBUserThreads, "threads", Level, "the server's connections for the service's user"},
	{DBUserConnsOpened, "connections", Delta, "connections of the service's user that are new since the last sample (by their ids; one opened and closed between two samples is not seen)"},
	{SvcPoolInUse, "connections", Level, "the service's pool: connections in use"},
	{SvcPoolIdle, "connections", Level, "the service's pool: idle connections"},
	{SvcPoolWaiting, "requests", Level, "the service's pool: requests waiting for a connection"},
	{SvcPoolMax, "connections", Level, "the service's pool: its maximum size"},
	{SvcPoolOpen, "connections", Level, "the service's pool: open connections"},
	{SvcPoolOpened, "connections", Delta, "the service's pool: the rise in open connections"},
	{SvcPoolWaitCount, "waits", Delta, "the service's pool: acquires that waited"},
	{HTTPConnsOpened, "connections", Delta, "connections the load's HTTP client opened to the service"},
	{HTTPConnsOpenedByPool, "connections", Delta, "of http_conns_opened, those no request was waiting for when " +
		"their setup ended (a dial whose request got another connection): in no iteration's connecting"},
	{HTTPConnsOpenedByPoolMs, "ms", Delta, "the setup time of http_conns_opened_by_pool"},
	{LinkConns, "connections", Delta, "connections accepted by the emulated link"},
	{LinkRefused, "connections", Delta, "connections the link refused (refuse_new)"},
	{LinkResets, "connections", Delta, "connections the link reset"},
	{LinkDrops, "connections", Delta, "connections the link blackholed"},
	{LinkActive, "connections", Level, "connections open through the link"},
	{HostStealPct, "%", Stat, "the host's CPU time taken by the hypervisor for other guests (steal in /proc/stat), " +
		"as a share of all the host's CPU time in the interval"},
	{HostBusyPct, "%", Stat, "the host's CPU time spent running anything, this machine's processes and kernel " +
		"(user, nice, system, irq, softirq in /proc/stat), as a share of all its CPU time; idle is 100 − busy − steal"},
	{HarnessCPUCores, "cores", Stat, "CPU time poolload itself used (user + system, all its threads) per second of the interval"},
}

// percentiles are the statistics of each main metric per interval.
var percentiles = []string{"p50", "p90", "p99", "max"}

// csvMetrics are the metrics whose percentiles go into timeseries.csv.
var csvMetrics = []collector.Metric{collector.Latency, collector.Service, collector.ScheduleLag, collector.Blocked,
	collector.Connecting, collector.Wait, collector.Receiving}

// PercentileOf names the column of statistic q (p50, p90, p99, max) of
// metric m, in milliseconds.
func PercentileOf(m collector.Metric, q string) string { return m.String() + "_" + q + "_ms" }

// ErrorsOf names the column counting the errors of class c.
func ErrorsOf(c driver.ErrorClass) string { return ErrorsPrefix + c.String() }

// Describe returns the description of column name, including the
// prefixed families (errors_<class>, db_<gauge>) and the percentiles.
func Describe(name string) (Column, bool) {
	for _, c := range Columns {
		if c.Name == name {
			return c, true
		}
	}
	for _, m := range csvMetrics {
		for _, q := range percentiles {
			if name == PercentileOf(m, q) {
				return Column{name, "ms", Stat, q + " of " + m.String() + " in the interval"}, true
			}
		}
	}
	if base, k, ok := strings.Cut(name, "@"); ok {
		if c, ok := Describe(base); ok {
			return Column{name, c.Unit, c.Kind, "instance " + k + "'s own: " + c.Help}, true
		}
	}
	if strings.HasPrefix(name, ErrorsPrefix) {
		c, _ := Describe(ErrorsPrefix)
		return Column{name, c.Unit, c.Kind, c.Help}, true
	}
	if g, ok := strings.CutPrefix(name, DBPrefix); ok {
		if c, ok := Describe(g); ok {
			return Column{name, c.Unit, c.Kind, "the service's database server: " + c.Help}, true
		}
	}
	return Column{}, false
}
