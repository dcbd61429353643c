package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/poolload/poolload/driver/mysqlserver"
)

// SettleTimeout bounds Settle when the caller's context has no deadline.
const SettleTimeout = 10 * time.Second

// settleStall is how long Settle waits for a Threads_connected that no
// longer falls before it gives up.
const settleStall = time.Second

// settlePoll is how often Settle reads Threads_connected.
const settlePoll = 20 * time.Millisecond

// Prewarm implements driver.Prewarmer: it holds n connections at once (so
// the pool must open n), releases them, and checks that n stay idle. It
// returns how many are idle. n above max_open cannot be held at once: it is
// clamped and reported as an error.
func (d *Driver) Prewarm(ctx context.Context, n int) (int, error) {
	if n <= 0 {
		return 0, nil
	}
	var clampErr error
	if n > d.cfg.MaxOpen {
		clampErr = fmt.Errorf("prewarm %d is more than max_open %d: prewarmed %d", n, d.cfg.MaxOpen, d.cfg.MaxOpen)
		n = d.cfg.MaxOpen
	}
	conns := make([]*sql.Conn, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { // in parallel: a remote server's round trips add up
			cctx, cancel := context.WithTimeout(ctx, d.acquireTimeout)
			defer cancel()
			conns[i], errs[i] = d.db.Conn(cctx)
		})
	}
	wg.Wait()
	var firstErr error
	for i, c := range conns {
		if c != nil {
			c.Close()
		} else if firstErr == nil {
			firstErr = errs[i]
		}
	}
	idle := d.db.Stats().Idle
	if firstErr != nil {
		return min(idle, n), fmt.Errorf("prewarming %d connections: %s: %w",
			n, mysqlserver.ClassifyAt(firstErr, mysqlserver.Case{Stage: mysqlserver.StageAcquire}), firstErr)
	}
	if idle < n {
		return idle, fmt.Errorf("prewarmed %d connections but only %d stayed idle in the pool (max_idle %d)",
			n, idle, d.cfg.maxIdle())
	}
	return n, clampErr
}

// Settle implements driver.Settler: it waits until the server's
// Threads_connected, less the connections this driver's pool holds, is back
// at the baseline measured before any pool connected, i.e. the previous
// variant's connections are gone from the server. It gives up after
// SettleTimeout (or ctx) and says how far off the server still is.
func (d *Driver) Settle(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, SettleTimeout)
	defer cancel()
	tick := time.NewTicker(settlePoll)
	defer tick.Stop()
	var last, want int64
	low, lowAt := int64(math.MaxInt64), time.Now()
	for {
		srv, err := d.serverStatus(ctx)
		if err == nil {
			last = int64(srv[mysqlserver.ThreadsConnected])
			want = d.baseline + int64(d.db.Stats().OpenConnections)
			if last <= want {
				return nil
			}
			// Closing connections go in milliseconds; a count that stops
			// falling is other clients' connections, not ours.
			if last < low {
				low, lowAt = last, time.Now()
			} else if time.Since(lowAt) > settleStall {
				return fmt.Errorf("server did not settle: Threads_connected stayed at %d for %s, expected at most %d "+
					"(baseline %d plus this pool's connections): other clients' connections, or ours still closing",
					last, settleStall, want, d.baseline)
			}
		}
		select {
		case <-ctx.Done():
			if err != nil {
				return fmt.Errorf("waiting for the server to settle: %w", err)
			}
			return fmt.Errorf("server did not settle: Threads_connected is %d, expected at most %d "+
				"(baseline %d plus this pool's connections): %w", last, want, d.baseline, ctx.Err())
		case <-tick.C:
		}
	}
}
