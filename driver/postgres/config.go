// Package postgres is poolload's PostgreSQL target: the pool Go services
// use (pgxpool, or database/sql over pgx's stdlib) with every new
// connection timed by a pgx connect tracer (dns, dial, handshake: TLS,
// startup and auth) and charged to the iteration that waited for it, a
// weighted workload of statements and transactions, and samplers of the
// client pool and of the server (pg_stat_activity, pg_stat_database) read
// through a monitoring connection that is not part of the pool under test.
//
// Lifecycle, for the runner (as for the mysql target):
//
//	t, _ := postgres.Start(ctx, cfg) // once: starts a managed postgres if asked for
//	t.Setup(ctx)                     // once: setup statements and seed table
//	for each variant run {
//	    d, _ := t.Open(ctx)   // a fresh, cold pool; fails fast if unreachable
//	    d.Settle(ctx)         // the previous pool's backends gone
//	    d.Prewarm(ctx, n)     // warm variants only
//	    ... Iterate / Sample ...
//	    d.Close()
//	}
//	t.Teardown(ctx)                  // once
//	t.Close()                        // once, also on failure and Ctrl-C
package postgres

import (
	"encoding/json"
	"maps"
	"strings"
	"time"

	pdriver "github.com/poolload/poolload/driver"
	"github.com/poolload/poolload/driver/pgserver"
	"github.com/poolload/poolload/units"
)

// Defaults applied by SetDefaults.
const (
	DefaultMaxOpen        = 10
	DefaultAcquireTimeout = 5 * time.Second
	DefaultQueryTimeout   = 30 * time.Second
	DefaultConnectTimeout = pdriver.DefaultConnectTimeout
	// DefaultApplicationName names the load's sessions on the server, so
	// that pg_stat_activity can tell them from everyone else's.
	DefaultApplicationName = "poolload"
)

// The pools a scenario can choose.
const (
	PoolPgx = "pgxpool"      // github.com/jackc/pgx/v5/pgxpool
	PoolSQL = "database/sql" // database/sql over github.com/jackc/pgx/v5/stdlib
)

// ServerManaged is the value of `server` that starts a private postgres.
const ServerManaged = "managed"

// Config is the `target.postgres` block of a scenario.
type Config struct {
	// DSN is a libpq connection string: a postgres:// URL or key=value
	// pairs.
	DSN string `yaml:"dsn" json:"dsn,omitempty"`
	// Server is "" (use DSN) or "managed" (start a private postgres).
	Server string `yaml:"server" json:"server,omitempty"`
	// ServerVars are postgres settings for a managed server, passed as
	// -c name=value (max_connections, idle_session_timeout, ...).
	ServerVars map[string]string `yaml:"server_vars" json:"server_vars,omitempty"`
	// Pool is pgxpool (default) or database/sql.
	Pool string `yaml:"pool" json:"pool,omitempty"`

	// MaxOpen is pgxpool's MaxConns or database/sql's SetMaxOpenConns.
	MaxOpen int `yaml:"max_open" json:"max_open,omitempty" range:"0..100000"`
	// MaxIdle is database/sql's SetMaxIdleConns (unset: max_open, never
	// the library's silent 2). pgxpool keeps every connection it opened.
	MaxIdle *int `yaml:"max_idle" json:"max_idle,omitempty" range:"0..max_open"`
	// MinConns is pgxpool's MinConns: connections its health check opens
	// and keeps, with no iteration waiting (conns_opened_by_pool).
	MinConns        int            `yaml:"min_conns" json:"min_conns,omitempty" range:"0..max_open"`
	ConnMaxLifetime units.Duration `yaml:"conn_max_lifetime" json:"conn_max_lifetime,omitempty"`
	ConnMaxIdleTime units.Duration `yaml:"conn_max_idle_time" json:"conn_max_idle_time,omitempty"`
	// AcquireTimeout bounds blocked, including any connection setup.
	AcquireTimeout units.Duration `yaml:"acquire_timeout" json:"acquire_timeout,omitempty"`
	// QueryTimeout bounds each statement.
	QueryTimeout units.Duration `yaml:"query_timeout" json:"query_timeout,omitempty"`
	// ConnectTimeout bounds one connection's whole setup.
	ConnectTimeout units.Duration `yaml:"connect_timeout" json:"connect_timeout,omitempty"`
	// ApplicationName names the load's sessions (default poolload).
	ApplicationName string `yaml:"application_name" json:"application_name,omitempty"`
	// Params are extra connection parameters: pgx's own
	// (default_query_exec_mode, statement_cache_capacity) or session
	// settings sent at startup (statement_timeout, idle_session_timeout).
	Params map[string]string `yaml:"params" json:"params,omitempty"`

	// Operations is the workload; empty means a point select on the seed
	// table, or SELECT 1 without one.
	Operations []Operation `yaml:"operations" json:"operations,omitempty"`
	// Setup and Teardown run once per run on a separate connection.
	SetupSQL    []string `yaml:"setup" json:"setup,omitempty"`
	TeardownSQL []string `yaml:"teardown" json:"teardown,omitempty"`
	// Seed creates and fills a table for point selects.
	Seed *Seed `yaml:"seed" json:"seed,omitempty"`
}

// Operation is one kind of iteration: a statement, or a transaction of
// statements on one connection, then an optional hold of the connection.
type Operation struct {
	Name string `yaml:"name" json:"name,omitempty"`
	// Weight is the operation's share of the iterations (default 1); a
	// written 0, which would never be picked, is refused.
	Weight *int        `yaml:"weight" json:"weight,omitempty" range:"1..1000000"`
	SQL    string      `yaml:"sql" json:"sql,omitempty"`
	Args   []string    `yaml:"args" json:"args,omitempty"`
	Tx     []Statement `yaml:"tx" json:"tx,omitempty"`
	// Hold is time spent holding the connection after the statements, as
	// application code does between queries.
	Hold units.Duration `yaml:"hold" json:"hold,omitempty"`
	// LeakEvery makes every Nth run of a tx operation (1: every run)
	// leave its transaction open and never give the connection back, as
	// an application that forgets to commit and to release does: the
	// server shows the connection idle in transaction until the pool is
	// closed.
	LeakEvery int `yaml:"leak_every" json:"leak_every,omitempty" range:"0..1000000"`
}

// Statement is one statement of a transaction.
type Statement struct {
	SQL  string   `yaml:"sql" json:"sql"`
	Args []string `yaml:"args" json:"args,omitempty"`
}

// Seed asks for a table `Table (id INT PRIMARY KEY, k INT, pad CHAR(60))`
// filled with ids 1..Rows. It is created by Setup only if absent, and then
// dropped by Teardown.
type Seed struct {
	Table string `yaml:"table" json:"table"`
	Rows  int    `yaml:"rows" json:"rows" range:"1..10000000"`
}

// SetDefaults fills unset fields with their defaults, so that the resolved
// scenario written to run.json shows what was used.
func (c *Config) SetDefaults() {
	if c.Pool == "" {
		c.Pool = PoolPgx
	}
	if c.MaxOpen == 0 {
		c.MaxOpen = DefaultMaxOpen
	}
	if c.MaxIdle == nil && c.Pool == PoolSQL && c.MaxOpen > 0 && c.MaxOpen <= maxPoolSize {
		n := c.MaxOpen
		c.MaxIdle = &n
	}
	if c.AcquireTimeout == 0 {
		c.AcquireTimeout = units.Duration(DefaultAcquireTimeout)
	}
	if c.QueryTimeout == 0 {
		c.QueryTimeout = units.Duration(DefaultQueryTimeout)
	}
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = units.Duration(DefaultConnectTimeout)
	}
	if c.ApplicationName == "" {
		c.ApplicationName = DefaultApplicationName
	}
}

// withDefaults returns a copy with defaults applied.
func (c Config) withDefaults() Config {
	c.SetDefaults()
	return c
}

// maxIdle is MaxIdle after defaults (database/sql only).
func (c *Config) maxIdle() int {
	if c.MaxIdle == nil {
		return c.MaxOpen
	}
	return *c.MaxIdle
}

// Redacted returns a copy whose DSN has its password replaced by *****.
func (c *Config) Redacted() Config {
	r := *c
	r.DSN = pgserver.RedactDSN(c.DSN)
	for k := range c.Params {
		if strings.EqualFold(k, "password") {
			r.Params = maps.Clone(c.Params)
			r.Params[k] = "*****"
		}
	}
	return r
}

// MarshalJSON writes the redacted config: run.json never holds a password,
// even if a caller forgets to call Redacted.
func (c Config) MarshalJSON() ([]byte, error) {
	type plain Config // no methods: no recursion
	return json.Marshal(plain(c.Redacted()))
}

// String describes the config without its password, so that %v in a log
// line cannot leak it.
func (c Config) String() string {
	b, err := c.MarshalJSON()
	if err != nil {
		return "postgres.Config{dsn: " + pgserver.RedactDSN(c.DSN) + "}"
	}
	return "postgres.Config" + string(b)
}

// GoString is String: %#v must not leak the password either.
func (c Config) GoString() string { return c.String() }
