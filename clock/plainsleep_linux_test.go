package clock

import (
	"syscall"
	"time"
)

// kernelSleep is a nanosleep with the thread's timer slack at 1 ns, the
// most precise plain sleep Linux offers a thread (the default slack of
// 50 µs would make the baseline look worse than it is).
func kernelSleep(d time.Duration) {
	const prSetTimerSlack = 29 // linux/prctl.h
	_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, prSetTimerSlack, 1, 0)
	ts := syscall.NsecToTimespec(int64(d))
	_ = syscall.Nanosleep(&ts, nil)
	_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, prSetTimerSlack, 0, 0)
}
