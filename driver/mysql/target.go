package mysql

import (
	"context"
	"crypto/x509"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"

	gomysql "github.com/go-sql-driver/mysql"

	pdriver "github.com/poolload/poolload/driver"
	"github.com/poolload/poolload/driver/mysql/managed"
	"github.com/poolload/poolload/driver/mysqlserver"
)

// seedBatch is how many rows one INSERT of the seed carries.
const seedBatch = 1000

// Target is one run of a MySQL target: the Config it was started with,
// the managed server if the config asks for one, whether Setup created the
// seed table, and the lowest Threads_connected seen before a pool
// connected (the baseline Settle waits for). Every Driver of the run is
// opened from it, so they all share that state; the Config stays plain
// data that can be copied at any time.
type Target struct {
	given Config // as passed to Start
	cfg   Config // defaults applied

	// DialAddr, when set, is where the pool's connections dial instead of
	// the server's address (the network emulator's listener). The
	// monitoring and setup connections keep the real address, so that
	// sampling neither perturbs nor is perturbed by the emulated link; TLS
	// still verifies the real server's name. Set it before the first Open.
	DialAddr string
	// Log receives the go-sql-driver's own log lines (they never hold a
	// password); nil drops them. Set it before the first Open.
	Log io.Writer

	mu           sync.Mutex
	server       *managed.Server
	seedCreated  bool
	baseline     int64
	haveBaseline bool
}

// Start begins a run of cfg: it starts a private mariadbd when server:
// managed, and is cheap for a DSN target. It neither connects nor runs
// setup (see Setup). Call Close on every exit path, also after a failed
// Setup.
func Start(ctx context.Context, cfg Config) (*Target, error) {
	t := &Target{given: cfg, cfg: cfg.withDefaults()}
	if cfg.Server != ServerManaged {
		return t, nil
	}
	s, err := managed.StartWith(ctx, managed.Options{Vars: cfg.ServerVars,
		TLS: cfg.ServerTLS, RequireSecureTransport: cfg.RequireSecureTransport})
	if err != nil {
		return nil, fmt.Errorf("starting the managed MariaDB server: %w", err)
	}
	t.server = s
	return t, nil
}

// Config returns the config the target was started with, as given, so
// that a caller may derive another run's config from it.
func (t *Target) Config() Config { return t.given }

// Close ends the run: it stops the managed server, if any, and removes its
// data. It does not run teardown (see Teardown). It is idempotent.
func (t *Target) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.server == nil {
		return nil
	}
	err := t.server.Stop()
	t.server = nil
	if err != nil {
		return fmt.Errorf("stopping the managed MariaDB server: %w", err)
	}
	return nil
}

// Managed returns the running managed server, or nil.
func (t *Target) Managed() *managed.Server {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.server
}

// Open implements driver.Opener: a fresh, cold pool per call. It pings the
// server through the monitoring connection first, so an unreachable server
// or a wrong password fails here, within connect_timeout, with a class.
// Open does not run Setup.
func (t *Target) Open(ctx context.Context) (pdriver.Driver, error) {
	d, err := t.open(ctx)
	if err != nil {
		return nil, err
	}
	return d, nil
}

// GaugeNames lists the gauges the target's drivers sample.
func (t *Target) GaugeNames() []string { return t.cfg.GaugeNames() }

// dsn is the DSN to connect with: the managed server's or the config's.
func (t *Target) dsn() (string, error) {
	if t.cfg.Server != ServerManaged {
		if t.cfg.DSN == "" {
			return "", errNoDSN
		}
		return t.cfg.DSN, nil
	}
	if s := t.Managed(); s != nil {
		return s.DSN(), nil
	}
	return "", errors.New("server: managed is not running: Start the target, and Open it before Close")
}

// managedCA is the managed server's generated CA, which tls: {mode:
// verify} trusts by itself, or nil.
func (t *Target) managedCA() *x509.CertPool {
	if s := t.Managed(); t.cfg.Server == ServerManaged && s != nil && s.TLS() {
		return s.CAPool()
	}
	return nil
}

// ServerAddr returns the host:port the pool connects to when DialAddr is
// not set: the DSN's address, or the managed server's. The network
// emulator listens in front of it.
func (t *Target) ServerAddr() (string, error) {
	dsn, err := t.dsn()
	if err != nil {
		return "", err
	}
	gc, err := gomysql.ParseDSN(dsn)
	if err != nil {
		return "", fmt.Errorf("reading the server address from the dsn: %w", mysqlserver.Scrub(err, mysqlserver.Password(dsn)))
	}
	switch gc.Net {
	case "tcp", "tcp4", "tcp6":
		return gc.Addr, nil
	}
	return "", fmt.Errorf("the dsn connects over %q, not TCP: there is no host:port to put a network emulator in front of", gc.Net)
}

// noteBaseline records a Threads_connected reading taken before a pool
// made any connection and returns the run's baseline: the lowest such
// reading, because a later Open may still see the previous variant's
// connections on their way out.
func (t *Target) noteBaseline(measured int64) int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.haveBaseline || measured < t.baseline {
		t.baseline, t.haveBaseline = measured, true
	}
	return t.baseline
}

// admin opens a one-connection *sql.DB for setup and teardown, pinged.
func (t *Target) admin(ctx context.Context) (*sql.DB, string, error) {
	cc := &t.cfg
	dsn, err := t.dsn()
	if err != nil {
		return nil, "", err
	}
	pw := mysqlserver.Password(dsn)
	gc, err := cc.goConfig(dsn, cc.ConnectTimeout.D(), t.managedCA())
	if err != nil {
		return nil, pw, err
	}
	gc.Logger = &gomysql.NopLogger{}
	conn, err := gomysql.NewConnector(gc)
	if err != nil {
		return nil, pw, fmt.Errorf("configuring the setup connection: %w", mysqlserver.Scrub(err, pw))
	}
	db := sql.OpenDB(conn)
	db.SetMaxOpenConns(1)
	pctx, cancel := context.WithTimeout(ctx, cc.ConnectTimeout.D())
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, pw, &mysqlserver.OpenError{Class: mysqlserver.Classify(err),
			Err: fmt.Errorf("connecting to %s for setup: %w", gc.Addr, mysqlserver.Scrub(cc.withRefusalHint(err), pw))}
	}
	return db, pw, nil
}

// Setup runs the setup statements and creates the seed table, once per run,
// on a connection of its own.
func (t *Target) Setup(ctx context.Context) error {
	c := &t.cfg
	if len(c.SetupSQL) == 0 && c.Seed == nil {
		return nil
	}
	db, pw, err := t.admin(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	for i, s := range c.SetupSQL {
		if err := t.exec(ctx, db, s); err != nil {
			return fmt.Errorf("running setup[%d]: %w", i, mysqlserver.Scrub(err, pw))
		}
	}
	if c.Seed != nil {
		if err := t.seed(ctx, db); err != nil {
			return fmt.Errorf("seeding table %s: %w", c.Seed.Table, mysqlserver.Scrub(err, pw))
		}
	}
	return nil
}

// Teardown runs the teardown statements and drops the seed table if Setup
// created it. It keeps going after an error and returns them all. Give it a
// context that is not already cancelled (a fresh one after Ctrl-C).
func (t *Target) Teardown(ctx context.Context) error {
	c := &t.cfg
	t.mu.Lock()
	created := t.seedCreated
	t.mu.Unlock()
	if len(c.TeardownSQL) == 0 && !created {
		return nil
	}
	db, pw, err := t.admin(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	var errs []error
	for i, s := range c.TeardownSQL {
		if err := t.exec(ctx, db, s); err != nil {
			errs = append(errs, fmt.Errorf("running teardown[%d]: %w", i, mysqlserver.Scrub(err, pw)))
		}
	}
	if created {
		if err := t.exec(ctx, db, "DROP TABLE IF EXISTS "+c.Seed.Table); err != nil {
			errs = append(errs, fmt.Errorf("dropping seed table %s: %w", c.Seed.Table, mysqlserver.Scrub(err, pw)))
		} else {
			t.mu.Lock()
			t.seedCreated = false
			t.mu.Unlock()
		}
	}
	return errors.Join(errs...)
}

// exec runs one statement bounded by query_timeout.
func (t *Target) exec(ctx context.Context, db *sql.DB, query string) error {
	ctx, cancel := context.WithTimeout(ctx, t.cfg.QueryTimeout.D())
	defer cancel()
	_, err := db.ExecContext(ctx, query)
	return err
}

// seed creates and fills the seed table unless it exists already, in which
// case it is used as it is and left in place at teardown.
func (t *Target) seed(ctx context.Context, db *sql.DB) error {
	c := &t.cfg
	schema, table, found := strings.Cut(c.Seed.Table, ".")
	if !found {
		schema, table = "", c.Seed.Table
	}
	var n int
	err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.TABLES "+
		"WHERE TABLE_SCHEMA = IF(? = '', DATABASE(), ?) AND TABLE_NAME = ?", schema, schema, table).Scan(&n)
	if err != nil {
		return fmt.Errorf("checking whether it exists: %w", err)
	}
	if n > 0 {
		return nil
	}
	if err := t.exec(ctx, db, "CREATE TABLE "+c.Seed.Table+
		" (id INT PRIMARY KEY, k INT NOT NULL, pad CHAR(60) NOT NULL)"); err != nil {
		return fmt.Errorf("creating it: %w", err)
	}
	t.mu.Lock()
	t.seedCreated = true
	t.mu.Unlock()
	for lo := 1; lo <= c.Seed.Rows; lo += seedBatch {
		if err := t.exec(ctx, db, seedInsert(c.Seed.Table, lo, min(lo+seedBatch-1, c.Seed.Rows), c.Seed.Rows)); err != nil {
			return fmt.Errorf("inserting rows %d..: %w", lo, err)
		}
	}
	return nil
}

// seedInsert builds one INSERT of ids lo..hi with random k in 1..rows and
// a pad that varies with the id (as sysbench's does).
func seedInsert(table string, lo, hi, rows int) string {
	var b strings.Builder
	b.Grow(80 + (hi-lo+1)*80)
	b.WriteString("INSERT INTO " + table + " (id, k, pad) VALUES ")
	for id := lo; id <= hi; id++ {
		if id > lo {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		b.WriteString(strconv.Itoa(id))
		b.WriteByte(',')
		b.WriteString(strconv.Itoa(1 + rand.IntN(rows)))
		b.WriteString(",'")
		b.WriteString(strings.Repeat(strconv.Itoa(id*7919)+"-", 60)[:60])
		b.WriteString("')")
	}
	return b.String()
}
