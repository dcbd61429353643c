package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	pdriver "github.com/poolload/poolload/driver"

	"github.com/poolload/poolload/driver/mysqlserver"
	"github.com/poolload/poolload/driver/vuctx"
)

// Driver is one variant run's view of the target: a fresh *sql.DB (the pool
// under test) behind the instrumented connector, plus a one-connection
// monitoring *sql.DB for server status that the pool never sees.
type Driver struct {
	cfg    Config  // defaults applied
	target *Target // the run it belongs to: managed server, baseline, DialAddr
	db     *sql.DB
	mon    *sql.DB
	st     *stats
	work   *workload

	acquireTimeout time.Duration
	queryTimeout   time.Duration
	slots          vuctx.Slots[struct{}] // the connector finds the trace through them

	baseline int64             // server Threads_connected with no pool connection
	facts    map[string]string // read once at Open, for Describe

	sampleMu sync.Mutex
	prev     sampleState // counters at the previous Sample, for deltas
}

// OpenError is a failure to open the target, with its class. Its message
// never holds the DSN's password.
type OpenError = mysqlserver.OpenError

// open opens a Driver for t's config: a fresh pool, and a monitoring
// connection pinged first.
func (t *Target) open(ctx context.Context) (*Driver, error) {
	c := t.cfg
	if errs := c.Validate(); len(errs) > 0 {
		return nil, fmt.Errorf("invalid target.mysql: %s", joinErrs(errs))
	}
	dsn, err := t.dsn()
	if err != nil {
		return nil, err
	}
	if _, _, err := net.SplitHostPort(t.DialAddr); t.DialAddr != "" && err != nil {
		return nil, fmt.Errorf("DialAddr %q is not host:port: %w", t.DialAddr, err)
	}
	pw := mysqlserver.Password(dsn)
	gc, err := c.goConfig(dsn, c.ConnectTimeout.D(), t.managedCA())
	if err != nil {
		return nil, err
	}
	d := &Driver{cfg: c, target: t, st: &stats{}, work: c.compile(map[string]string{}),
		acquireTimeout: c.AcquireTimeout.D(), queryTimeout: c.QueryTimeout.D()}
	if err := d.openMonitor(ctx, gc, pw); err != nil {
		return nil, err
	}
	if err := d.readFacts(ctx); err != nil {
		d.mon.Close()
		return nil, &mysqlserver.OpenError{Class: mysqlserver.Classify(err), Err: mysqlserver.Scrub(err, pw)}
	}
	if err := d.openPool(gc); err != nil {
		d.mon.Close()
		return nil, err
	}
	return d, nil
}

// openMonitor opens the monitoring connection (see openMonitorDB).
func (d *Driver) openMonitor(ctx context.Context, gc *gomysql.Config, pw string) error {
	db, err := mysqlserver.OpenConn(ctx, gc, pw, d.cfg.ConnectTimeout.D(), d.cfg.withRefusalHint)
	if err != nil {
		return err
	}
	d.mon = db
	return nil
}

// openPool builds the pool under test. The pool's settings are applied
// max_open first: database/sql lowers max idle to max open, not the reverse.
func (d *Driver) openPool(gc *gomysql.Config) error {
	pc := gc.Clone()
	pc.DialFunc = dialVia(d.target.DialAddr)
	pc.Logger = &countingLogger{st: d.st, out: d.target.Log}
	inner, err := gomysql.NewConnector(pc)
	if err != nil {
		return fmt.Errorf("configuring the pool's connector: %w", mysqlserver.Scrub(err, gc.Passwd))
	}
	d.db = sql.OpenDB(&connector{inner: inner, connectTimeout: d.cfg.ConnectTimeout.D(), st: d.st})
	d.db.SetMaxOpenConns(d.cfg.MaxOpen)
	d.db.SetMaxIdleConns(d.cfg.maxIdle())
	d.db.SetConnMaxLifetime(d.cfg.ConnMaxLifetime.D())
	d.db.SetConnMaxIdleTime(d.cfg.ConnMaxIdleTime.D())
	d.facts["check_conn_liveness"] = strconv.FormatBool(pc.CheckConnLiveness)
	d.facts["interpolate_params"] = strconv.FormatBool(pc.InterpolateParams)
	if d.target.DialAddr != "" {
		d.facts["dial_addr"] = d.target.DialAddr
	}
	return nil
}

// readFacts reads what Describe reports, the Threads_connected baseline and
// the first values of the server counters (so the first Sample's deltas
// start at Open, not at server start).
func (d *Driver) readFacts(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, d.queryTimeout)
	defer cancel()
	var version, maxConns, waitTimeout, threadCache string
	err := d.mon.QueryRowContext(ctx, "SELECT VERSION(), @@max_connections, @@GLOBAL.wait_timeout, @@thread_cache_size").
		Scan(&version, &maxConns, &waitTimeout, &threadCache)
	if err != nil {
		return fmt.Errorf("reading server variables: %w", err)
	}
	d.facts = map[string]string{"server_version": version, "max_connections": maxConns,
		"wait_timeout": waitTimeout, "thread_cache_size": threadCache}
	// TLS facts only describe the run: failing to read them must not
	// fail Open.
	if err := d.readTLSFacts(ctx); err != nil {
		d.facts["tls_status"] = "unreadable: " + err.Error()
	}
	status, err := d.serverStatus(ctx)
	if err != nil {
		return err
	}
	d.baseline = d.target.noteBaseline(int64(status[mysqlserver.ThreadsConnected]))
	d.prev.server, d.prev.serverOK = status, true
	return nil
}

// Close closes the pool and the monitoring connection.
func (d *Driver) Close() error {
	return joinErr(d.db.Close(), d.mon.Close())
}

// DB is the pool under test, for tests and diagnostics.
func (d *Driver) DB() *sql.DB { return d.db }

// Opened returns how many connections the pool has opened and closed.
func (d *Driver) Opened() (opened, closed int64) { return d.st.opened.Load(), d.st.closed.Load() }

// PoolCharged returns the connections set up with no iteration waiting in
// the same call (database/sql's opener goroutine, Prewarm) and their total
// setup time: the part of `connecting` no iteration carries.
func (d *Driver) PoolCharged() (n int64, total time.Duration) {
	return d.st.poolConnects.Load(), time.Duration(d.st.poolConnectNS.Load())
}

// joinErrs renders a Validate map as one sorted line.
func joinErrs(errs map[string]string) string {
	parts := make([]string, 0, len(errs))
	for _, k := range slices.Sorted(maps.Keys(errs)) {
		parts = append(parts, k+": "+errs[k])
	}
	return strings.Join(parts, "; ")
}

// joinErr returns the first non-nil error.
func joinErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// The optional interfaces the engine looks for.
var (
	_ pdriver.Driver    = (*Driver)(nil)
	_ pdriver.Prewarmer = (*Driver)(nil)
	_ pdriver.Settler   = (*Driver)(nil)
	_ pdriver.Sampler   = (*Driver)(nil)
	_ pdriver.Describer = (*Driver)(nil)
	_ pdriver.Opener    = (*Target)(nil)
)
