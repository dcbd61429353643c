package mysql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"time"

	pdriver "github.com/poolload/poolload/driver"

	"github.com/poolload/poolload/driver/mysqlserver"
	"github.com/poolload/poolload/driver/vuctx"
)

// Iterate runs one operation: acquire a connection (blocked, with any setup
// charged as connecting), run its statements (wait, receiving), hold the
// connection if asked, release it. Errors end the iteration with a class.
func (d *Driver) Iterate(ctx context.Context, t *pdriver.Trace) {
	vc := d.slots.Context(ctx, t, d.work.maxArgs)
	o := d.work.pick()
	conn := d.acquire(ctx, vc, t)
	if conn == nil {
		return
	}
	defer conn.Close() // back to the pool
	if o.tx {
		d.runTx(ctx, conn, o, vc.Args, t)
	} else {
		d.run(ctx, conn, &o.stmts[0], vc.Args, t)
	}
	if o.hold > 0 && t.Class == pdriver.ClassNone {
		t.SetPhase(pdriver.PhaseRunning)
		if !vc.Sleep(ctx, o.hold) {
			t.Fail(pdriver.ClassInterrupted, ctx.Err())
		}
	}
}

// acquire takes a connection from the pool within acquire_timeout. The
// context carries the trace so that a connection dialled for this call is
// charged to it.
func (d *Driver) acquire(ctx context.Context, vc *vuctx.Ctx[struct{}], t *pdriver.Trace) *sql.Conn {
	t.SetPhase(pdriver.PhaseBlocked)
	actx, cancel := context.WithTimeout(vc, d.acquireTimeout)
	start := time.Now()
	conn, err := d.db.Conn(actx)
	t.Blocked = time.Since(start)
	expired := actx.Err() == context.DeadlineExceeded
	cancel()
	if err != nil {
		t.Fail(mysqlserver.ClassifyAt(err, mysqlserver.Case{Stage: mysqlserver.StageAcquire, RunDone: ctx.Err() != nil, Expired: expired}), err)
		return nil
	}
	return conn
}

// run runs one statement and adds its timings to t. Statements that return
// rows are read to the end: wait is the time until QueryContext returns,
// which is when the first result packet has arrived; receiving is the rest.
func (d *Driver) run(ctx context.Context, conn *sql.Conn, s *stmt, buf []any, t *pdriver.Trace) bool {
	args := buf[:len(s.args)]
	for i := range s.args {
		args[i] = s.args[i].value(t)
	}
	qctx, cancel := context.WithTimeout(ctx, d.queryTimeout)
	defer cancel()
	t.SetPhase(pdriver.PhaseWaiting)
	start := time.Now()
	var err error
	if s.rows {
		err = d.query(qctx, conn, s, args, t, start)
	} else {
		_, err = conn.ExecContext(qctx, s.sql, args...)
		t.Wait += time.Since(start)
	}
	clear(args) // drop references to this iteration's values
	if err != nil {
		expired := qctx.Err() == context.DeadlineExceeded
		t.Fail(mysqlserver.ClassifyAt(err, mysqlserver.Case{Stage: mysqlserver.StageQuery, RunDone: ctx.Err() != nil, Expired: expired}), err)
		return false
	}
	return true
}

// query runs a statement that returns rows and reads every result set.
func (d *Driver) query(ctx context.Context, conn *sql.Conn, s *stmt, args []any, t *pdriver.Trace, start time.Time) error {
	rows, err := conn.QueryContext(ctx, s.sql, args...)
	first := time.Now()
	t.Wait += first.Sub(start)
	if err != nil {
		return err
	}
	t.SetPhase(pdriver.PhaseReceiving)
	for {
		for rows.Next() {
		}
		if !rows.NextResultSet() {
			break
		}
	}
	err = rows.Err()
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	t.Receiving += time.Since(first)
	return err
}

// Statements of the explicit transaction. Plain statements on the held
// connection rather than database/sql's Tx: same round trips, without the
// goroutine database/sql starts per transaction to watch its context.
var (
	stmtBegin    = stmt{sql: "BEGIN"}
	stmtCommit   = stmt{sql: "COMMIT"}
	stmtRollback = stmt{sql: "ROLLBACK"}
)

// runTx runs BEGIN, the statements and COMMIT on one connection; on error
// it rolls back, and discards the connection if even that fails, so that
// no connection goes back to the pool inside a transaction.
func (d *Driver) runTx(ctx context.Context, conn *sql.Conn, o *op, buf []any, t *pdriver.Trace) {
	ok := d.run(ctx, conn, &stmtBegin, buf, t)
	for i := 0; ok && i < len(o.stmts); i++ {
		ok = d.run(ctx, conn, &o.stmts[i], buf, t)
	}
	if ok {
		ok = d.run(ctx, conn, &stmtCommit, buf, t)
	}
	if ok {
		return
	}
	// Roll back even if the run is ending; the trace keeps the first error.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.queryTimeout)
	defer cancel()
	if _, err := conn.ExecContext(rctx, stmtRollback.sql); err != nil {
		_ = conn.Raw(func(any) error { return driver.ErrBadConn }) // marks it bad: closed on release
	}
}
