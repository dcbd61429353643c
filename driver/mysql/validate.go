package mysql

import (
	"fmt"
	"regexp"
	"strings"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/poolload/poolload/driver/mysqlserver"
	"github.com/poolload/poolload/units"
)

// Limits that catch typos rather than restrict real use. The range tags
// in config.go quote them; a test keeps the two in step.
const (
	maxSeedRows = 10_000_000
	maxPoolSize = 100_000
	// maxWeight bounds an operation's weight: a million to one is finer
	// than any mix needs, and the weights' sum stays far from overflowing.
	maxWeight = 1_000_000
)

var (
	identRE     = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$`)
	serverVarRE = regexp.MustCompile(`^[a-z][a-z0-9_-]*$`)
)

// reservedServerVars are set by the managed server itself.
var reservedServerVars = map[string]bool{
	"datadir": true, "socket": true, "port": true, "bind_address": true, "bind-address": true,
	"user": true, "pid_file": true, "pid-file": true, "log_error": true, "log-error": true,
	"skip_networking": true, "skip-networking": true, "defaults_file": true, "defaults-file": true,
}

// tlsServerVars are set from server_tls and require_secure_transport
// (compared with - read as _).
var tlsServerVars = map[string]bool{
	"ssl": true, "ssl_ca": true, "ssl_capath": true, "ssl_cert": true, "ssl_key": true,
	"require_secure_transport": true,
}

// dsnOwnedParams are set from our own fields; letting params set them too
// would leave two sources of truth.
var dsnOwnedParams = map[string]string{
	"timeout": "connect_timeout",
}

// Validate reports every problem in c as field path (relative to the block)
// → message. It never mentions the DSN's password.
func (c *Config) Validate() map[string]string {
	errs := map[string]string{}
	c.validateTarget(errs)
	c.validateTLS(errs)
	c.validatePool(errs)
	c.validateWork(errs)
	return errs
}

func (c *Config) validateTarget(errs map[string]string) {
	switch c.Server {
	case "":
		if strings.TrimSpace(c.DSN) == "" {
			errs["dsn"] = "is required (or set server: managed to start a private mariadbd)"
		} else if _, err := gomysql.ParseDSN(c.DSN); err != nil {
			errs["dsn"] = "is not a valid go-sql-driver DSN (user:password@tcp(host:port)/db): " +
				mysqlserver.Scrub(err, mysqlserver.Password(c.DSN)).Error()
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
				errs["server_vars."+k] = "is not a server variable name (lower case, digits, _ or -)"
			case reservedServerVars[k]:
				errs["server_vars."+k] = "is set by poolload for the managed server"
			case tlsServerVars[strings.ReplaceAll(k, "-", "_")]:
				errs["server_vars."+k] = "is set from server_tls and require_secure_transport; set those instead"
			case v == "" || strings.ContainsAny(v, " \t\r\n"):
				errs["server_vars."+k] = "needs a value without blanks"
			}
		}
	default:
		errs["server"] = fmt.Sprintf("%q is not a server kind: use \"\" (the dsn) or \"managed\"", c.Server)
	}
	for k := range c.Params {
		if owner, ok := dsnOwnedParams[k]; ok {
			errs["params."+k] = "is set from " + owner + "; set that instead"
		}
	}
	if len(c.Params) > 0 && errs["dsn"] == "" {
		base := c.DSN
		if c.Server == ServerManaged || base == "" {
			base = "root@tcp(127.0.0.1:3306)/test" // any valid DSN: we check the params
		}
		if _, err := gomysql.ParseDSN(withParams(base, c.Params)); err != nil {
			errs["params"] = mysqlserver.Scrub(err, mysqlserver.Password(c.DSN)).Error()
		}
	}
}

func (c *Config) validatePool(errs map[string]string) {
	openOK := c.MaxOpen >= 0 && c.MaxOpen <= maxPoolSize
	if !openOK {
		errs["max_open"] = fmt.Sprintf("must be between 1 and %d (0 means %d), got %d", maxPoolSize, DefaultMaxOpen, c.MaxOpen)
	}
	maxOpen := c.MaxOpen
	if maxOpen == 0 {
		maxOpen = DefaultMaxOpen
	}
	// max_idle is compared with max_open only when max_open is right.
	switch {
	case c.MaxIdle == nil:
	case *c.MaxIdle < 0:
		errs["max_idle"] = fmt.Sprintf("must be 0 or more, got %d; leave it unset to keep every connection", *c.MaxIdle)
	case openOK && *c.MaxIdle > maxOpen:
		errs["max_idle"] = fmt.Sprintf("must be between 0 and max_open (%d); leave it unset to keep every connection", maxOpen)
	}
	// A lifetime or idle time beyond a day is beyond any window (which
	// lasts at most a day): write 0 for unlimited.
	for name, d := range map[string]units.Duration{
		"conn_max_lifetime": c.ConnMaxLifetime, "conn_max_idle_time": c.ConnMaxIdleTime,
		"acquire_timeout": c.AcquireTimeout, "query_timeout": c.QueryTimeout,
		"connect_timeout": c.ConnectTimeout,
	} {
		if msg := d.Check(units.MaxDuration, false); msg != "" {
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
			errs["seed.table"] = "must be a table name (letters, digits, _; optionally db.table)"
		}
		if c.Seed.Rows < 1 || c.Seed.Rows > maxSeedRows {
			errs["seed.rows"] = fmt.Sprintf("must be between 1 and %d", maxSeedRows)
		}
	}
}
