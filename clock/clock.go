// Package clock waits for instants with microsecond precision, for the
// arrival scheduler and the network emulator, where Go's timers alone
// would add up to a millisecond of error.
package clock

import (
	"context"
	"runtime"
	"time"
)

// Go's timers wake up to a millisecond late on Linux, which would put a
// millisecond of schedule lag on every tick of a fast schedule. So WaitUntil
// sleeps on a timer only for the part of the wait that is far away, then on
// nanosleep with the thread's timer slack at 1 ns (at the default 50 µs,
// a wait of this kind ended ~55 µs late at the median here; at 1 ns, 5–20
// µs), and spins for what is left. The sleep stops a tenth of the wait
// short, between 10 and 40 µs: a thread woken from an idle vCPU here is
// often 30–50 µs late, so a low rate gains from the longer spin (lag p50
// at 800/s: ~27 µs against ~38 µs), while a fast schedule must not spend
// its processor spinning (below).
//
// The spin must not call runtime.Gosched. A yielded goroutine goes to the
// global run queue, and a processor looks there before it polls the
// network, so a scheduler yielding in a loop can keep both processors from
// polling: a socket's reader then waits until a processor has nothing else
// to do, or for the runtime's fallback poll every 10 ms. Measured on two
// vCPUs, yielding put milliseconds into the very waits poolload measures
// (loopback round trips beside a 10 000/s schedule: p99 1.5–2 ms with,
// 60–110 µs without; a SELECT 1's wait p99.9 doubled) and kept kernel
// workers (the kernel relay's) off the CPU. A wait that starts within the
// margin (a schedule faster than a sleep can serve, 100 000/s and up) does
// yield, because there the goroutines it has just woken must run between
// its ticks.
const (
	coarseMargin = 1500 * time.Microsecond // timer sleeps end this early
	minSpin      = 10 * time.Microsecond   // nanosleeps end this early,
	maxSpin      = 40 * time.Microsecond   // ... up to this for a long wait
)

// WaitUntil blocks until time.Since(t0) >= at or ctx is done, and says
// whether the deadline was reached. timer must be stopped and drained, and
// is left so; callers keep one per goroutine so that waiting allocates
// nothing.
func WaitUntil(ctx context.Context, timer *time.Timer, t0 time.Time, at time.Duration) bool {
	spin := min(max((at-time.Since(t0))/10, minSpin), maxSpin)
	slept := false
	for {
		left := at - time.Since(t0)
		switch {
		case left <= 0:
			return true
		case left > coarseMargin+time.Millisecond:
			timer.Reset(left - coarseMargin)
			select {
			case <-timer.C:
			case <-ctx.Done():
				timer.Stop()
				return false
			}
		case left > spin:
			if ctx.Err() != nil {
				return false
			}
			sleep(left - spin)
			slept = true
		case slept: // spin: see above
		default:
			runtime.Gosched()
		}
	}
}
