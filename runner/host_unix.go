//go:build unix

package runner

import (
	"syscall"
	"time"
)

// selfCPU is the CPU time poolload has used so far, user and system, all
// its threads: getrusage counts in microseconds where /proc/self/stat
// counts in ticks of 10 ms, too coarse for a 100 ms interval.
func selfCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
