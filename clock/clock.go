// Package clock waits for instants with microsecond precision, for the
// arrival scheduler and the network emulator, where Go's timers alone
// would add up to a millisecond of error.
package clock

import (
	"context"
	"runtime"
	"time"
)

// A wait has three stages. Far from its instant it sleeps on a Go timer,
// which can wake a millisecond late, so that stage ends coarseMargin early.
// The last stretch is a fine sleep (fine_linux.go: a timerfd read through
// Go's network poller) that ends the spin margin early, then a spin that
// does not yield.
//
// The fine sleep parks the goroutine, so its processor is free to run the
// very goroutines whose timings are being measured. A blocking nanosleep
// would hold the processor for the whole sleep (Go does not hand a P off a
// system call while another processor is idle), which on two vCPUs halves
// what the rest of the process can use.
//
// The spin absorbs the fine sleep's wake-up delay, but it holds a vCPU, so
// its budget is a tenth of the wait, and at most maxSpin: a fast schedule
// (ticks 50 µs apart) spins 5 µs a tick, not a fifth of its time.
//
// The spin must not call runtime.Gosched in a loop. A yielded goroutine
// goes to the global run queue, which a processor reads before it polls
// the network, so a waiter yielding over and over keeps the processors
// from polling and socket readers wait for the runtime's fallback poll.
//
// A wait too short to split into a sleep of at least minSleep and a spin
// (a schedule of 100 000/s and up, or a tick that came late) yields once,
// so that the VUs its caller has just woken run on this processor, then
// nanosleeps what is left: parking in the poller would cost more than the
// wait, and a spin would hold a vCPU through every tick.
const (
	coarseMargin = 1500 * time.Microsecond // Go timer sleeps end this early
	maxSpin      = 40 * time.Microsecond   // the spin's budget: a tenth of the wait, at most this
	minSleep     = 10 * time.Microsecond   // a shorter fine sleep is not worth parking for
)

// Waiter waits for the instants of one goroutine's schedule. It holds a
// timer and, on Linux, a timerfd, so that waiting allocates nothing; it is
// not safe for concurrent use. Close releases it.
type Waiter struct {
	timer *time.Timer
	fine  fineSleeper
}

// NewWaiter returns a Waiter. It cannot fail: where the precise sleep is
// not available it falls back to a coarser one.
func NewWaiter() *Waiter {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &Waiter{timer: t, fine: newFineSleeper()}
}

// Close releases the Waiter's timer and file descriptor.
func (w *Waiter) Close() {
	w.timer.Stop()
	w.fine.close()
}

// Until blocks until time.Since(t0) >= at or ctx is done, and says whether
// the instant was reached. A cancelled ctx returns false even when the
// instant has passed, so that a caller that is behind its schedule stops
// at once instead of running through every late tick.
func (w *Waiter) Until(ctx context.Context, t0 time.Time, at time.Duration) bool {
	if ctx.Err() != nil {
		return false
	}
	left := at - time.Since(t0)
	spin := min(left/10, maxSpin)
	if left > 0 && left-spin < minSleep {
		runtime.Gosched()
		for left := at - time.Since(t0); left > 0; left = at - time.Since(t0) {
			w.fine.short(left) // again if a signal cut it short
		}
		return true
	}
	for {
		left = at - time.Since(t0)
		switch {
		case left <= 0:
			return true
		case left > coarseMargin+time.Millisecond:
			w.timer.Reset(left - coarseMargin)
			select {
			case <-w.timer.C:
			case <-ctx.Done():
				w.timer.Stop()
				return false
			}
		case left-spin >= minSleep:
			if ctx.Err() != nil {
				return false
			}
			w.fine.sleep(left - spin)
		default: // spin: see above
		}
	}
}
