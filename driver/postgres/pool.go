package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	pdriver "github.com/poolload/poolload/driver"
)

// pingAfterIdle is both pools' own rule for checking a pooled connection
// before handing it out: ping it if it sat idle longer than this.
const pingAfterIdle = time.Second

// session is a connection held from either pool: exactly one of px and
// sc is set. A struct rather than an interface, so that holding one
// allocates nothing of ours.
type session struct {
	px *pgxpool.Conn
	sc *sql.Conn
}

// openPgx builds the pgxpool under test. It connects nothing: pgxpool
// opens connections on demand (and min_conns in the background).
func (d *Driver) openPgx(cc *pgx.ConnConfig) error {
	pc, err := pgxpool.ParseConfig("")
	if err != nil {
		return err
	}
	pc.ConnConfig = cc
	pc.MaxConns = int32(d.cfg.MaxOpen)
	pc.MinConns = int32(d.cfg.MinConns)
	// 0 means "never" here and in database/sql; pgxpool's defaults are an
	// hour and half an hour.
	pc.MaxConnLifetime = forever(d.cfg.ConnMaxLifetime.D())
	pc.MaxConnIdleTime = forever(d.cfg.ConnMaxIdleTime.D())
	pc.ShouldPing = func(ctx context.Context, p pgxpool.ShouldPingParams) bool {
		return d.checkIdle(ctx, p.IdleDuration, p.Conn)
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), pc)
	if err != nil {
		return err
	}
	d.px = pool
	return nil
}

// openSQL builds the database/sql pool under test over pgx's stdlib.
// Settings go max_open first: database/sql lowers max idle to max open,
// not the reverse.
func (d *Driver) openSQL(cc *pgx.ConnConfig) {
	d.db = stdlib.OpenDB(*cc, stdlib.OptionShouldPing(func(ctx context.Context, p stdlib.ShouldPingParams) bool {
		return d.checkIdle(ctx, p.IdleDuration, p.Conn)
	}))
	d.db.SetMaxOpenConns(d.cfg.MaxOpen)
	d.db.SetMaxIdleConns(d.cfg.maxIdle())
	d.db.SetConnMaxLifetime(d.cfg.ConnMaxLifetime.D())
	d.db.SetConnMaxIdleTime(d.cfg.ConnMaxIdleTime.D())
}

// forever maps 0 (unlimited) onto a duration no run reaches.
func forever(d time.Duration) time.Duration {
	if d <= 0 {
		return 100 * 365 * 24 * time.Hour
	}
	return d
}

// checkIdle is both pools' liveness rule (ping after a second idle), with
// the ping done here so that a dead connection is counted
// (bad_conn_checks); the pools ping nothing themselves otherwise. A dead
// one is reported as needing a ping: the pool's own ping then fails at
// once on the closed connection and the pool discards it, as it would
// have.
func (d *Driver) checkIdle(ctx context.Context, idle time.Duration, c *pgx.Conn) bool {
	if idle <= pingAfterIdle {
		return false
	}
	if err := c.PgConn().Ping(ctx); err != nil {
		d.st.badChecks.Add(1)
		return true
	}
	return false
}

// acquire takes a connection from the pool under test.
func (d *Driver) acquire(ctx context.Context) (session, error) {
	if d.px != nil {
		c, err := d.px.Acquire(ctx)
		return session{px: c}, err
	}
	c, err := d.db.Conn(ctx)
	return session{sc: c}, err
}

// query runs one statement and reads every row: wait is the time until
// the first row (or the end of a statement without rows) has arrived,
// receiving the rest. Query itself returns once the row description is
// in, which for the extended protocol is before the statement has run.
func (s session) query(ctx context.Context, sql string, args []any, t *pdriver.Trace) error {
	start := time.Now()
	if s.px != nil {
		rows, err := s.px.Query(ctx, sql, args...)
		if err != nil {
			t.Wait += time.Since(start)
			return err
		}
		more := rows.Next()
		first := time.Now()
		t.Wait += first.Sub(start)
		t.SetPhase(pdriver.PhaseReceiving)
		for more {
			more = rows.Next()
		}
		rows.Close()
		t.Receiving += time.Since(first)
		return rows.Err()
	}
	rows, err := s.sc.QueryContext(ctx, sql, args...)
	if err != nil {
		t.Wait += time.Since(start)
		return err
	}
	more := rows.Next()
	first := time.Now()
	t.Wait += first.Sub(start)
	t.SetPhase(pdriver.PhaseReceiving)
	for more {
		more = rows.Next()
	}
	err = rows.Err()
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	t.Receiving += time.Since(first)
	return err
}

// exec runs a statement without arguments or rows (BEGIN, COMMIT,
// ROLLBACK) the way each library runs its own transaction control: pgx
// sends it with the simple protocol, one round trip.
func (s session) exec(ctx context.Context, sql string) error {
	if s.px != nil {
		_, err := s.px.Exec(ctx, sql)
		return err
	}
	_, err := s.sc.ExecContext(ctx, sql)
	return err
}

// release gives the connection back to the pool.
func (s session) release() {
	if s.px != nil {
		s.px.Release()
		return
	}
	s.sc.Close()
}

// discard closes the connection instead of giving it back, so that no
// connection goes back to the pool in an unknown state.
func (s session) discard() {
	if s.px != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		s.px.Conn().Close(ctx) // Release then destroys a closed connection
		s.px.Release()
		return
	}
	_ = s.sc.Raw(func(any) error { return driver.ErrBadConn }) // marks it bad: closed on release
	s.sc.Close()
}
