package postgres

import (
	"context"
	"time"

	pdriver "github.com/poolload/poolload/driver"
	"github.com/poolload/poolload/driver/pgserver"
	"github.com/poolload/poolload/driver/vuctx"
)

// Iterate runs one operation: acquire a connection (blocked, with any
// setup charged as connecting), run its statements (wait, receiving),
// hold the connection if asked, release it. Errors end the iteration
// with a class.
func (d *Driver) Iterate(ctx context.Context, t *pdriver.Trace) {
	vc := d.slots.Context(ctx, t, d.work.maxArgs)
	o := d.work.pick()
	s, ok := d.acquireFor(ctx, vc, t)
	if !ok {
		return
	}
	if o.tx {
		if !d.runTx(ctx, s, o, vc.Args, t) {
			return // kept (leaked) or discarded
		}
	} else if !d.run(ctx, s, &o.stmts[0], vc.Args, t) {
		// A statement cut short may leave the connection mid-protocol;
		// each pool checks that on release and closes it if so.
		s.release()
		return
	}
	if o.hold > 0 {
		t.SetPhase(pdriver.PhaseRunning)
		if !vc.Sleep(ctx, o.hold) {
			t.Fail(pdriver.ClassInterrupted, ctx.Err())
		}
	}
	s.release()
}

// acquireFor takes a connection from the pool within acquire_timeout.
// The VU's gate is open meanwhile, so that a connection set up for this
// call is charged to it.
func (d *Driver) acquireFor(ctx context.Context, vc *vuctx.Ctx[gate], t *pdriver.Trace) (session, bool) {
	t.SetPhase(pdriver.PhaseBlocked)
	actx, cancel := context.WithTimeout(vc, d.acquireTimeout)
	vc.State.begin(t)
	start := time.Now()
	s, err := d.acquire(actx)
	t.Blocked = time.Since(start)
	vc.State.end()
	expired := actx.Err() == context.DeadlineExceeded
	cancel()
	if err != nil {
		t.Fail(pgserver.ClassifyAt(err, pgserver.Case{Stage: pgserver.StageAcquire, RunDone: ctx.Err() != nil, Expired: expired}), err)
		return session{}, false
	}
	return s, true
}

// run runs one statement within query_timeout and adds its timings to t.
func (d *Driver) run(ctx context.Context, s session, st *stmt, buf []any, t *pdriver.Trace) bool {
	args := st.fill(buf, t)
	qctx, cancel := context.WithTimeout(ctx, d.queryTimeout)
	defer cancel()
	t.SetPhase(pdriver.PhaseWaiting)
	err := s.query(qctx, st.sql, args, t)
	clear(args) // drop references to this iteration's values
	if err != nil {
		d.fail(ctx, qctx, err, t)
		return false
	}
	return true
}

// control runs BEGIN, COMMIT or ROLLBACK within query_timeout, its round
// trip counted as wait.
func (d *Driver) control(ctx context.Context, s session, sql string, t *pdriver.Trace) bool {
	qctx, cancel := context.WithTimeout(ctx, d.queryTimeout)
	defer cancel()
	t.SetPhase(pdriver.PhaseWaiting)
	start := time.Now()
	err := s.exec(qctx, sql)
	t.Wait += time.Since(start)
	if err != nil {
		d.fail(ctx, qctx, err, t)
		return false
	}
	return true
}

// fail classifies a statement's error.
func (d *Driver) fail(ctx, qctx context.Context, err error, t *pdriver.Trace) {
	expired := qctx.Err() == context.DeadlineExceeded
	t.Fail(pgserver.ClassifyAt(err, pgserver.Case{Stage: pgserver.StageQuery, RunDone: ctx.Err() != nil, Expired: expired}), err)
}

// runTx runs BEGIN, the statements and COMMIT on one connection and says
// whether the connection may go on (hold, release). On error it rolls
// back, and discards the connection if even that fails, so that no
// connection goes back to the pool inside a transaction. A run that
// leak_every picks skips the COMMIT and keeps the connection, as an
// application that forgets both does.
func (d *Driver) runTx(ctx context.Context, s session, o *op, buf []any, t *pdriver.Trace) bool {
	ok := d.control(ctx, s, "BEGIN", t)
	for i := 0; ok && i < len(o.stmts); i++ {
		ok = d.run(ctx, s, &o.stmts[i], buf, t)
	}
	if ok && o.leaks() {
		d.leakMu.Lock()
		d.leaked = append(d.leaked, s)
		d.leakMu.Unlock()
		return false
	}
	if ok && d.control(ctx, s, "COMMIT", t) {
		return true
	}
	// Roll back even if the run is ending; the trace keeps the first error.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.queryTimeout)
	defer cancel()
	if err := s.exec(rctx, "ROLLBACK"); err != nil {
		s.discard()
	} else {
		s.release()
	}
	return false
}
