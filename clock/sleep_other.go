//go:build !linux

package clock

import "time"

// sleep is the Go timer elsewhere: poolload is measured and tuned on
// Linux, but builds and runs everywhere, with coarser waits.
func sleep(d time.Duration) { time.Sleep(d) }
