// Package mysql is poolload's MySQL/MariaDB target: a database/sql pool over
// github.com/go-sql-driver/mysql whose connector times every new connection
// (dns, dial, handshake) and charges it to the iteration that waited for it,
// a weighted workload of statements and transactions, and samplers of the
// client pool (DBStats) and of the server (SHOW GLOBAL STATUS) read through
// a monitoring connection that is not part of the pool under test.
//
// A Config is the scenario's target.mysql block and nothing else; a run of
// it is a Target, which owns the managed server and the state the run's
// pools share. Lifecycle, for the runner:
//
//	t, _ := mysql.Start(ctx, cfg) // once: starts a managed mariadbd if asked for
//	t.Setup(ctx)                  // once: setup statements and seed table
//	for each variant run {
//	    d, _ := t.Open(ctx)   // fresh, cold *sql.DB; fails fast if unreachable
//	    d.Settle(ctx)         // server back at its baseline
//	    d.Prewarm(ctx, n)     // warm variants only
//	    ... Iterate / Sample ...
//	    d.Close()
//	}
//	t.Teardown(ctx)               // once
//	t.Close()                     // once, also on failure and Ctrl-C
package mysql

import (
	"encoding/json"
	"time"

	pdriver "github.com/poolload/poolload/driver"
	"github.com/poolload/poolload/units"

	"github.com/poolload/poolload/driver/mysqlserver"
)

// Defaults applied by SetDefaults (and by Start on its own copy).
const (
	DefaultMaxOpen        = 10
	DefaultAcquireTimeout = 5 * time.Second
	DefaultQueryTimeout   = 30 * time.Second
	DefaultConnectTimeout = pdriver.DefaultConnectTimeout
)

// ServerManaged is the value of `server` that starts a private mariadbd.
const ServerManaged = "managed"

// Config is the `target.mysql` block of a scenario.
type Config struct {
	// DSN is a go-sql-driver DSN such as root@tcp(127.0.0.1:3306)/test.
	DSN string `yaml:"dsn" json:"dsn,omitempty"`
	// Server is "" (use DSN) or "managed" (start a private mariadbd).
	Server string `yaml:"server" json:"server,omitempty"`
	// ServerVars are mariadbd options for a managed server
	// (wait_timeout, max_connections, thread_cache_size, ...).
	ServerVars map[string]string `yaml:"server_vars" json:"server_vars,omitempty"`
	// ServerTLS gives a managed server a throw-away CA and certificate,
	// generated at each Start, so that TLS costs can be measured without
	// a PKI; tls: {mode: verify} then trusts that CA by itself.
	ServerTLS bool `yaml:"server_tls" json:"server_tls,omitempty"`
	// RequireSecureTransport starts a managed server that refuses plain
	// connections (needs server_tls).
	RequireSecureTransport bool `yaml:"require_secure_transport" json:"require_secure_transport,omitempty"`
	// TLS is how every connection talks TLS; nil means plain, or what the
	// DSN's tls= parameter says.
	TLS *TLSConfig `yaml:"tls" json:"tls,omitempty"`

	// MaxOpen is SetMaxOpenConns (default 10).
	MaxOpen int `yaml:"max_open" json:"max_open,omitempty" range:"0..100000"`
	// MaxIdle is SetMaxIdleConns; unset means MaxOpen, never the library's
	// silent default of 2, which would quietly cool a warm pool. 0 keeps
	// no idle connection at all.
	MaxIdle         *int           `yaml:"max_idle" json:"max_idle,omitempty" range:"0..max_open"`
	ConnMaxLifetime units.Duration `yaml:"conn_max_lifetime" json:"conn_max_lifetime,omitempty"`
	ConnMaxIdleTime units.Duration `yaml:"conn_max_idle_time" json:"conn_max_idle_time,omitempty"`
	// AcquireTimeout bounds blocked, including any connection setup.
	AcquireTimeout units.Duration `yaml:"acquire_timeout" json:"acquire_timeout,omitempty"`
	// QueryTimeout bounds each statement.
	QueryTimeout units.Duration `yaml:"query_timeout" json:"query_timeout,omitempty"`
	// ConnectTimeout bounds one connection's whole setup (dial, greeting,
	// auth, init); the driver's own `timeout` bounds only the dial.
	ConnectTimeout units.Duration `yaml:"connect_timeout" json:"connect_timeout,omitempty"`
	// Params are extra DSN parameters (readTimeout, checkConnLiveness,
	// interpolateParams, or session variables).
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
	// Weight is the operation's share of the iterations (default 1). A
	// pointer, so that a written 0, which would never be picked, is refused
	// rather than read as unset.
	Weight *int        `yaml:"weight" json:"weight,omitempty" range:"1..1000000"`
	SQL    string      `yaml:"sql" json:"sql,omitempty"`
	Args   []string    `yaml:"args" json:"args,omitempty"`
	Tx     []Statement `yaml:"tx" json:"tx,omitempty"`
	// Hold is time spent holding the connection after the statements, as
	// application code does between queries.
	Hold units.Duration `yaml:"hold" json:"hold,omitempty"`
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
	if c.MaxOpen == 0 {
		c.MaxOpen = DefaultMaxOpen
	}
	// Only a max_open in range is copied: the copy of a wrong one would
	// draw a second message, about a max_idle nobody wrote.
	if c.MaxIdle == nil && c.MaxOpen > 0 && c.MaxOpen <= maxPoolSize {
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
	if c.TLS != nil && c.TLS.Mode == "" {
		// A fresh block: a copy of the Config shares the pointer.
		t := *c.TLS
		t.Mode = TLSOff
		c.TLS = &t
	}
}

// withDefaults returns a copy with defaults applied.
func (c Config) withDefaults() Config {
	c.SetDefaults()
	return c
}

// maxIdle is MaxIdle after defaults.
func (c *Config) maxIdle() int {
	if c.MaxIdle == nil {
		return c.MaxOpen
	}
	return *c.MaxIdle
}

// Redacted returns a copy whose DSN has its password replaced by *****.
func (c *Config) Redacted() Config {
	r := *c
	r.DSN = mysqlserver.RedactDSN(c.DSN)
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
		return "mysql.Config{dsn: " + mysqlserver.RedactDSN(c.DSN) + "}"
	}
	return "mysql.Config" + string(b)
}

// GoString is String: %#v must not leak the password either.
func (c Config) GoString() string { return c.String() }
