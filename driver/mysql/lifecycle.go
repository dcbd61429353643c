package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/poolload/poolload/driver/mysql/managed"
)

// runtime is the state of one run that outlives a variant's Driver: the
// managed server, whether we created the seed table, the baseline of
// Threads_connected. Config copies made after Start share it.
type runtime struct {
	mu           sync.Mutex
	server       *managed.Server
	seedCreated  bool
	baseline     int64
	haveBaseline bool
}

// seedBatch is how many rows one INSERT of the seed carries.
const seedBatch = 1000

// state returns c's runtime, creating it.
func (c *Config) state() *runtime {
	if c.rt == nil {
		c.rt = &runtime{}
	}
	return c.rt
}

// Start begins a run: it starts the managed server when server: managed
// (once; later calls do nothing) and creates the state that Open, Setup and
// Teardown share. Call it before copying the Config into anything that
// calls Open. It is cheap for a DSN target.
func (c *Config) Start(ctx context.Context) error {
	rt := c.state()
	if c.Server != ServerManaged {
		return nil
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.server != nil {
		return nil
	}
	s, err := managed.StartWith(ctx, managed.Options{Vars: c.ServerVars,
		TLS: c.ServerTLS, RequireSecureTransport: c.RequireSecureTransport})
	if err != nil {
		return fmt.Errorf("starting the managed MariaDB server: %w", err)
	}
	rt.server = s
	return nil
}

// Stop ends the run: it stops the managed server, if any, and removes its
// data. It is idempotent and safe without Start; call it on every exit path.
func (c *Config) Stop() error {
	if c.rt == nil {
		return nil
	}
	c.rt.mu.Lock()
	defer c.rt.mu.Unlock()
	if c.rt.server == nil {
		return nil
	}
	err := c.rt.server.Stop()
	c.rt.server = nil
	return err
}

// Managed returns the running managed server, or nil.
func (c *Config) Managed() *managed.Server {
	if c.rt == nil {
		return nil
	}
	c.rt.mu.Lock()
	defer c.rt.mu.Unlock()
	return c.rt.server
}

// effectiveDSN is the DSN to connect with: the managed server's or ours.
func (c *Config) effectiveDSN() (string, error) {
	if c.Server != ServerManaged {
		if c.DSN == "" {
			return "", errNoDSN
		}
		return c.DSN, nil
	}
	if s := c.Managed(); s != nil {
		return s.DSN(), nil
	}
	return "", errors.New("server: managed is not running: call Config.Start before Open")
}

// ServerAddr returns the host:port the pool connects to when DialAddr is
// not set: the DSN's address, or the managed server's once Start has run.
// The network emulator listens in front of it.
func (c *Config) ServerAddr() (string, error) {
	dsn, err := c.effectiveDSN()
	if err != nil {
		return "", err
	}
	gc, err := gomysql.ParseDSN(dsn)
	if err != nil {
		return "", fmt.Errorf("reading the server address from the dsn: %w", scrub(err, dsnPassword(dsn)))
	}
	switch gc.Net {
	case "tcp", "tcp4", "tcp6":
		return gc.Addr, nil
	}
	return "", fmt.Errorf("the dsn connects over %q, not TCP: there is no host:port to put a network emulator in front of", gc.Net)
}

// baseline records a Threads_connected reading taken before a pool made
// any connection and returns the run's baseline: the lowest such reading,
// because a later Open may still see the previous variant's connections
// on their way out. Without Start there is no shared state: the reading is
// the baseline.
func (c *Config) baseline(measured int64) int64 {
	if c.rt == nil {
		return measured
	}
	c.rt.mu.Lock()
	defer c.rt.mu.Unlock()
	if !c.rt.haveBaseline || measured < c.rt.baseline {
		c.rt.baseline, c.rt.haveBaseline = measured, true
	}
	return c.rt.baseline
}

// admin opens a one-connection *sql.DB for setup and teardown, pinged.
func (c *Config) admin(ctx context.Context) (*sql.DB, string, error) {
	cc := c.withDefaults()
	dsn, err := cc.effectiveDSN()
	if err != nil {
		return nil, "", err
	}
	pw := dsnPassword(dsn)
	gc, err := cc.goConfig(dsn, cc.ConnectTimeout.D())
	if err != nil {
		return nil, pw, err
	}
	gc.Logger = &gomysql.NopLogger{}
	conn, err := gomysql.NewConnector(gc)
	if err != nil {
		return nil, pw, fmt.Errorf("configuring the setup connection: %w", scrub(err, pw))
	}
	db := sql.OpenDB(conn)
	db.SetMaxOpenConns(1)
	pctx, cancel := context.WithTimeout(ctx, cc.ConnectTimeout.D())
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, pw, &OpenError{Class: Classify(err),
			Err: fmt.Errorf("connecting to %s for setup: %w", gc.Addr, scrub(cc.withRefusalHint(err), pw))}
	}
	return db, pw, nil
}

// Setup runs the setup statements and creates the seed table, once per run,
// on a connection of its own. It calls Start if needed.
func (c *Config) Setup(ctx context.Context) error {
	if err := c.Start(ctx); err != nil {
		return err
	}
	if len(c.SetupSQL) == 0 && c.Seed == nil {
		return nil
	}
	db, pw, err := c.admin(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	for i, s := range c.SetupSQL {
		if err := c.exec(ctx, db, s); err != nil {
			return fmt.Errorf("running setup[%d]: %w", i, scrub(err, pw))
		}
	}
	if c.Seed != nil {
		if err := c.seed(ctx, db); err != nil {
			return fmt.Errorf("seeding table %s: %w", c.Seed.Table, scrub(err, pw))
		}
	}
	return nil
}

// Teardown runs the teardown statements and drops the seed table if Setup
// created it. It keeps going after an error and returns them all. Give it a
// context that is not already cancelled (a fresh one after Ctrl-C).
func (c *Config) Teardown(ctx context.Context) error {
	created := false
	if c.rt != nil {
		c.rt.mu.Lock()
		created = c.rt.seedCreated
		c.rt.mu.Unlock()
	}
	if len(c.TeardownSQL) == 0 && !created {
		return nil
	}
	db, pw, err := c.admin(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	var errs []error
	for i, s := range c.TeardownSQL {
		if err := c.exec(ctx, db, s); err != nil {
			errs = append(errs, fmt.Errorf("running teardown[%d]: %w", i, scrub(err, pw)))
		}
	}
	if created {
		if err := c.exec(ctx, db, "DROP TABLE IF EXISTS "+c.Seed.Table); err != nil {
			errs = append(errs, fmt.Errorf("dropping seed table %s: %w", c.Seed.Table, scrub(err, pw)))
		} else {
			c.rt.mu.Lock()
			c.rt.seedCreated = false
			c.rt.mu.Unlock()
		}
	}
	return errors.Join(errs...)
}

// exec runs one statement bounded by query_timeout.
func (c *Config) exec(ctx context.Context, db *sql.DB, query string) error {
	ctx, cancel := context.WithTimeout(ctx, c.withDefaults().QueryTimeout.D())
	defer cancel()
	_, err := db.ExecContext(ctx, query)
	return err
}

// seed creates and fills the seed table unless it exists already, in which
// case it is used as it is and left in place at teardown.
func (c *Config) seed(ctx context.Context, db *sql.DB) error {
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
	if err := c.exec(ctx, db, "CREATE TABLE "+c.Seed.Table+
		" (id INT PRIMARY KEY, k INT NOT NULL, pad CHAR(60) NOT NULL)"); err != nil {
		return fmt.Errorf("creating it: %w", err)
	}
	c.rt.mu.Lock()
	c.rt.seedCreated = true
	c.rt.mu.Unlock()
	for lo := 1; lo <= c.Seed.Rows; lo += seedBatch {
		if err := c.exec(ctx, db, seedInsert(c.Seed.Table, lo, min(lo+seedBatch-1, c.Seed.Rows), c.Seed.Rows)); err != nil {
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
