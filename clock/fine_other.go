//go:build !linux

package clock

import "time"

// fineSleeper is Go's timer outside Linux: poolload is measured and tuned
// on Linux, but builds and runs everywhere, with coarser waits.
type fineSleeper struct{}

func newFineSleeper() fineSleeper         { return fineSleeper{} }
func (fineSleeper) sleep(d time.Duration) { time.Sleep(d) }
func (fineSleeper) short(d time.Duration) { time.Sleep(d) }
func (fineSleeper) close()                {}
