package postgres

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/poolload/poolload/driver/pgserver"
)

// SettleTimeout bounds Settle when the caller's context has no deadline.
const SettleTimeout = 10 * time.Second

// settlePoll is how often Settle reads pg_stat_activity.
const settlePoll = 20 * time.Millisecond

// Prewarm implements driver.Prewarmer: it holds n connections at once (so
// the pool must open n), releases them, and checks that n stay idle. It
// returns how many are idle. n above max_open cannot be held at once: it
// is clamped and reported as an error.
func (d *Driver) Prewarm(ctx context.Context, n int) (int, error) {
	if n <= 0 {
		return 0, nil
	}
	var clampErr error
	if n > d.cfg.MaxOpen {
		clampErr = fmt.Errorf("prewarm %d is more than max_open %d: prewarmed %d", n, d.cfg.MaxOpen, d.cfg.MaxOpen)
		n = d.cfg.MaxOpen
	}
	held := make([]session, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { // in parallel: a remote server's round trips add up
			cctx, cancel := context.WithTimeout(ctx, d.acquireTimeout)
			defer cancel()
			held[i], errs[i] = d.acquire(cctx)
		})
	}
	wg.Wait()
	var firstErr error
	for i, s := range held {
		if errs[i] == nil {
			s.release()
		} else if firstErr == nil {
			firstErr = errs[i]
		}
	}
	idle := int(d.readPool().idle)
	if firstErr != nil {
		return min(idle, n), fmt.Errorf("prewarming %d connections: %s: %w",
			n, pgserver.ClassifyAt(firstErr, pgserver.Case{Stage: pgserver.StageAcquire}), firstErr)
	}
	if idle < n {
		return idle, fmt.Errorf("prewarmed %d connections but only %d stayed idle in the pool", n, idle)
	}
	return n, clampErr
}

// Settle implements driver.Settler: it waits until the server's count of
// the load's backends (its user and application_name), less the
// connections this driver's pool holds, is back at the baseline measured
// before any pool connected, i.e. the previous variant's connections are
// gone from the server. It gives up after SettleTimeout (or ctx) and
// says how far off the server still is.
func (d *Driver) Settle(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, SettleTimeout)
	defer cancel()
	tick := time.NewTicker(settlePoll)
	defer tick.Stop()
	var last, want float64
	for {
		st, err := d.mon.Read(ctx)
		if err == nil {
			last = st[pgserver.LoadBackends]
			want = d.baseline + d.readPool().open
			if last <= want {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			if err != nil {
				return fmt.Errorf("waiting for the server to settle: %w", err)
			}
			return fmt.Errorf("server did not settle: the load's backends are %.0f, expected at most %.0f "+
				"(baseline %.0f plus this pool's connections): %w", last, want, d.baseline, ctx.Err())
		case <-tick.C:
		}
	}
}
