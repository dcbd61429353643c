package clock

import (
	"syscall"
	"time"
)

// prSetTimerSlack is PR_SET_TIMERSLACK (linux/prctl.h).
const prSetTimerSlack = 29

// sleep blocks the thread for d on nanosleep. The thread's timer slack
// (50 µs by default) would let the kernel end the sleep that much late. It
// is per thread, so it is lowered for this sleep only: left at 1 ns, every
// timed wait of the runtime on the thread becomes precise, and that cost
// high rates milliseconds of lag at p99 (bench/harness).
func sleep(d time.Duration) {
	_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, prSetTimerSlack, 1, 0)
	ts := syscall.NsecToTimespec(int64(d))
	_ = syscall.Nanosleep(&ts, nil)                                        // EINTR only shortens the sleep
	_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, prSetTimerSlack, 0, 0) // 0: the default
}
