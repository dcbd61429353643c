package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"

	pdriver "github.com/poolload/poolload/driver"
	"github.com/poolload/poolload/driver/pgserver"
	"github.com/poolload/poolload/driver/postgres/managed"
)

// seedBatch is how many rows one INSERT of the seed carries.
const seedBatch = 1000

// Target is one run of a PostgreSQL target: the Config it was started
// with, the managed server if the config asks for one, whether Setup
// created the seed table, and the lowest backend counts seen before a
// pool connected (the baseline Settle waits for). Every Driver of the
// run is opened from it.
type Target struct {
	given Config // as passed to Start
	cfg   Config // defaults applied

	// DialAddr, when set, is where the pool's connections dial instead of
	// the server's address (the network emulator's listener). The
	// monitoring and setup connections keep the real address. Set it
	// before the first Open.
	DialAddr string

	mu           sync.Mutex
	server       *managed.Server
	seedCreated  bool
	backends     float64 // all client backends, for headroom
	loadBackends float64 // the load's own, for Settle
	haveBaseline bool
}

// Start begins a run of cfg: it starts a private postgres when server:
// managed, and is cheap for a DSN target. It neither connects nor runs
// setup (see Setup). Call Close on every exit path.
func Start(ctx context.Context, cfg Config) (*Target, error) {
	t := &Target{given: cfg, cfg: cfg.withDefaults()}
	if cfg.Server != ServerManaged {
		return t, nil
	}
	s, err := managed.Start(ctx, cfg.ServerVars)
	if err != nil {
		return nil, fmt.Errorf("starting the managed PostgreSQL server: %w", err)
	}
	t.server = s
	return t, nil
}

// Config returns the config the target was started with, as given.
func (t *Target) Config() Config { return t.given }

// Close stops the managed server, if any, and removes its data. It does
// not run teardown. It is idempotent.
func (t *Target) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.server == nil {
		return nil
	}
	err := t.server.Stop()
	t.server = nil
	if err != nil {
		return fmt.Errorf("stopping the managed PostgreSQL server: %w", err)
	}
	return nil
}

// Managed returns the running managed server, or nil.
func (t *Target) Managed() *managed.Server {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.server
}

// Open implements driver.Opener: a fresh, cold pool per call.
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

// ServerAddr returns the host:port the pool connects to when DialAddr is
// not set. The network emulator listens in front of it.
func (t *Target) ServerAddr() (string, error) {
	dsn, err := t.dsn()
	if err != nil {
		return "", err
	}
	cc, err := t.cfg.connConfig(dsn)
	if err != nil {
		return "", err
	}
	if strings.HasPrefix(cc.Host, "/") {
		return "", fmt.Errorf("the dsn connects through the socket %s, not TCP: there is no host:port to put a network emulator in front of", cc.Host)
	}
	return net.JoinHostPort(cc.Host, strconv.Itoa(int(cc.Port))), nil
}

// noteBaseline records backend counts read before a pool made any
// connection and returns the load's baseline: the lowest such reading,
// since a later Open may still see the previous variant's connections on
// their way out.
func (t *Target) noteBaseline(all, load float64) float64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.haveBaseline || load < t.loadBackends {
		t.loadBackends = load
	}
	if !t.haveBaseline || all < t.backends {
		t.backends = all
	}
	t.haveBaseline = true
	return t.loadBackends
}

// baselineBackends is the lowest count of all client backends seen
// before a pool connected: the connections other clients hold.
func (t *Target) baselineBackends() float64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.backends
}

// admin opens a connection of its own for setup and teardown.
func (t *Target) admin(ctx context.Context) (*pgx.Conn, error) {
	dsn, err := t.dsn()
	if err != nil {
		return nil, err
	}
	cc, err := t.cfg.connConfig(dsn)
	if err != nil {
		return nil, err
	}
	cc.RuntimeParams["application_name"] = "poolload-setup"
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return nil, &pgserver.OpenError{Class: pgserver.Classify(err),
			Err: fmt.Errorf("connecting to %s:%d for setup: %w", cc.Host, cc.Port, pgserver.Scrub(err, cc.Password))}
	}
	return conn, nil
}

// Setup runs the setup statements and creates the seed table, once per
// run, on a connection of its own.
func (t *Target) Setup(ctx context.Context) error {
	c := &t.cfg
	if len(c.SetupSQL) == 0 && c.Seed == nil {
		return nil
	}
	conn, err := t.admin(ctx)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	for i, s := range c.SetupSQL {
		if err := t.exec(ctx, conn, s); err != nil {
			return fmt.Errorf("running setup[%d]: %w", i, err)
		}
	}
	if c.Seed != nil {
		if err := t.seed(ctx, conn); err != nil {
			return fmt.Errorf("seeding table %s: %w", c.Seed.Table, err)
		}
	}
	return nil
}

// Teardown runs the teardown statements and drops the seed table if Setup
// created it. It keeps going after an error and returns them all. Give it
// a context that is not already cancelled (a fresh one after Ctrl-C).
func (t *Target) Teardown(ctx context.Context) error {
	c := &t.cfg
	t.mu.Lock()
	created := t.seedCreated
	t.mu.Unlock()
	if len(c.TeardownSQL) == 0 && !created {
		return nil
	}
	conn, err := t.admin(ctx)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var errs []error
	for i, s := range c.TeardownSQL {
		if err := t.exec(ctx, conn, s); err != nil {
			errs = append(errs, fmt.Errorf("running teardown[%d]: %w", i, err))
		}
	}
	if created {
		if err := t.exec(ctx, conn, "DROP TABLE IF EXISTS "+c.Seed.Table); err != nil {
			errs = append(errs, fmt.Errorf("dropping seed table %s: %w", c.Seed.Table, err))
		} else {
			t.mu.Lock()
			t.seedCreated = false
			t.mu.Unlock()
		}
	}
	return errors.Join(errs...)
}

// exec runs one statement bounded by query_timeout.
func (t *Target) exec(ctx context.Context, conn *pgx.Conn, query string) error {
	ctx, cancel := context.WithTimeout(ctx, t.cfg.QueryTimeout.D())
	defer cancel()
	_, err := conn.Exec(ctx, query)
	return err
}

// seed creates and fills the seed table unless it exists already, in which
// case it is used as it is and left in place at teardown.
func (t *Target) seed(ctx context.Context, conn *pgx.Conn) error {
	c := &t.cfg
	var exists bool
	// to_regclass follows the search_path for an unqualified name, as the
	// workload's statements will.
	if err := conn.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", c.Seed.Table).Scan(&exists); err != nil {
		return fmt.Errorf("checking whether it exists: %w", err)
	}
	if exists {
		return nil
	}
	if err := t.exec(ctx, conn, "CREATE TABLE "+c.Seed.Table+
		" (id INT PRIMARY KEY, k INT NOT NULL, pad CHAR(60) NOT NULL)"); err != nil {
		return fmt.Errorf("creating it: %w", err)
	}
	t.mu.Lock()
	t.seedCreated = true
	t.mu.Unlock()
	for lo := 1; lo <= c.Seed.Rows; lo += seedBatch {
		if err := t.exec(ctx, conn, seedInsert(c.Seed.Table, lo, min(lo+seedBatch-1, c.Seed.Rows), c.Seed.Rows)); err != nil {
			return fmt.Errorf("inserting rows %d..: %w", lo, err)
		}
	}
	// Statistics now, so that the first point selects are planned on them.
	return t.exec(ctx, conn, "ANALYZE "+c.Seed.Table)
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
