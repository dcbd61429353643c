package postgres

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/poolload/poolload/driver/pgserver"
	"github.com/poolload/poolload/units"
)

// Limits that catch typos rather than restrict real use; the range tags
// in config.go quote them.
const (
	maxSeedRows = 10_000_000
	maxPoolSize = 100_000
	maxWeight   = 1_000_000
	// maxDuration bounds every duration of the block: a window lasts at
	// most a day, so a longer timeout, lifetime or hold is a typo.
	maxDuration = 24 * time.Hour
)

var (
	identRE     = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$`)
	serverVarRE = regexp.MustCompile(`^[a-z][a-z0-9_.]*$`)
)

// reservedServerVars are set by the managed server itself.
var reservedServerVars = map[string]bool{
	"port": true, "listen_addresses": true, "unix_socket_directories": true,
	"data_directory": true, "config_file": true, "hba_file": true, "ident_file": true,
	"external_pid_file": true, "logging_collector": true,
}

// ownedParams are set from our own fields; letting params set them too
// would leave two sources of truth.
var ownedParams = map[string]string{
	"connect_timeout":  "connect_timeout",
	"application_name": "application_name",
	"pool_max_conns":   "max_open", "pool_min_conns": "min_conns",
	"pool_max_conn_lifetime": "conn_max_lifetime", "pool_max_conn_idle_time": "conn_max_idle_time",
}

// Validate reports every problem in c as field path (relative to the block)
// → message. It never mentions the DSN's password.
func (c *Config) Validate() map[string]string {
	errs := map[string]string{}
	c.validateTarget(errs)
	c.validatePool(errs)
	c.validateWork(errs)
	return errs
}

func (c *Config) validateTarget(errs map[string]string) {
	switch c.Server {
	case "":
		if strings.TrimSpace(c.DSN) == "" {
			errs["dsn"] = "is required (or set server: managed to start a private postgres)"
		} else if _, err := pgx.ParseConfig(c.DSN); err != nil {
			errs["dsn"] = "is not a valid connection string (postgres://user:password@host:port/db or host=... dbname=...): " +
				pgserver.Scrub(err, pgserver.Password(c.DSN)).Error()
		}
		if len(c.ServerVars) > 0 {
			errs["server_vars"] = "only apply to server: managed"
		}
	case ServerManaged:
		if c.DSN != "" {
			errs["dsn"] = "must be empty with server: managed (the managed server has its own)"
		}
		for k, v := range c.ServerVars {
			switch {
			case !serverVarRE.MatchString(k):
				errs["server_vars."+k] = "is not a setting name (lower case, digits, _ or .)"
			case reservedServerVars[k]:
				errs["server_vars."+k] = "is set by poolload for the managed server"
			case v == "" || strings.ContainsAny(v, "\r\n\x00"):
				errs["server_vars."+k] = "needs a value on one line"
			}
		}
	default:
		errs["server"] = fmt.Sprintf("%q is not a server kind: use \"\" (the dsn) or \"managed\"", c.Server)
	}
	for k := range c.Params {
		if owner, ok := ownedParams[k]; ok {
			errs["params."+k] = "is set from " + owner + "; set that instead"
		}
	}
	if len(c.Params) > 0 && errs["dsn"] == "" {
		base := c.DSN
		if c.Server == ServerManaged || base == "" {
			base = "postgres://u@127.0.0.1:5432/db" // any valid DSN: we check the params
		}
		if _, err := pgx.ParseConfig(withParams(base, c.Params)); err != nil {
			errs["params"] = pgserver.Scrub(err, pgserver.Password(c.DSN)).Error()
		}
	}
	if strings.ContainsAny(c.ApplicationName, "\x00\r\n") {
		errs["application_name"] = "must be one line"
	}
}

func (c *Config) validatePool(errs map[string]string) {
	switch c.Pool {
	case "", PoolPgx, PoolSQL:
	default:
		errs["pool"] = fmt.Sprintf("%q is not a pool: use %s (default) or %s", c.Pool, PoolPgx, PoolSQL)
	}
	openOK := c.MaxOpen >= 0 && c.MaxOpen <= maxPoolSize
	if !openOK {
		errs["max_open"] = fmt.Sprintf("must be between 1 and %d (0 means %d), got %d", maxPoolSize, DefaultMaxOpen, c.MaxOpen)
	}
	maxOpen := c.MaxOpen
	if maxOpen == 0 {
		maxOpen = DefaultMaxOpen
	}
	switch {
	case c.MaxIdle == nil:
	case c.Pool != PoolSQL:
		errs["max_idle"] = "applies to pool: database/sql only (pgxpool keeps every connection it opened; see conn_max_idle_time)"
	case *c.MaxIdle < 0:
		errs["max_idle"] = fmt.Sprintf("must be 0 or more, got %d; leave it unset to keep every connection", *c.MaxIdle)
	case openOK && *c.MaxIdle > maxOpen:
		errs["max_idle"] = fmt.Sprintf("must be between 0 and max_open (%d); leave it unset to keep every connection", maxOpen)
	}
	switch {
	case c.MinConns == 0:
	case c.Pool == PoolSQL:
		errs["min_conns"] = "applies to pool: pgxpool only"
	case c.MinConns < 0 || openOK && c.MinConns > maxOpen:
		errs["min_conns"] = fmt.Sprintf("must be between 0 and max_open (%d), got %d", maxOpen, c.MinConns)
	}
	for name, d := range map[string]units.Duration{
		"conn_max_lifetime": c.ConnMaxLifetime, "conn_max_idle_time": c.ConnMaxIdleTime,
		"acquire_timeout": c.AcquireTimeout, "query_timeout": c.QueryTimeout,
		"connect_timeout": c.ConnectTimeout,
	} {
		if msg := checkDuration(d); msg != "" {
			errs[name] = msg
		}
	}
}

func (c *Config) validateWork(errs map[string]string) {
	c.compile(errs)
	for i, s := range c.SetupSQL {
		if strings.TrimSpace(s) == "" {
			errs[fmt.Sprintf("setup[%d]", i)] = "is empty"
		}
	}
	for i, s := range c.TeardownSQL {
		if strings.TrimSpace(s) == "" {
			errs[fmt.Sprintf("teardown[%d]", i)] = "is empty"
		}
	}
	if c.Seed != nil {
		if !identRE.MatchString(c.Seed.Table) {
			errs["seed.table"] = "must be a table name (letters, digits, _; optionally schema.table)"
		}
		if c.Seed.Rows < 1 || c.Seed.Rows > maxSeedRows {
			errs["seed.rows"] = fmt.Sprintf("must be between 1 and %d", maxSeedRows)
		}
	}
}

// checkDuration says what is wrong with d as a duration of the block (0
// to a day), or "".
func checkDuration(d units.Duration) string {
	switch {
	case d < 0:
		return "must be 0 or more, got " + d.D().String()
	case d.D() > maxDuration:
		return "must be at most 24h, got " + d.D().String()
	}
	return ""
}
