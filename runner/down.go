package runner

import (
	"fmt"
	"time"

	"github.com/poolload/poolload/collector"
	"github.com/poolload/poolload/driver"
)

// downShare is the share of an interval's iterations that must fail as
// unreachable for the target to count as down; a few that succeed (VUs
// that still held a live connection) do not make it up.
const downShare = 0.9

// downMin is the fewest iterations an interval needs for that share to
// mean anything.
const downMin = 5

// lastInterval is the last interval of a window long enough to judge the
// target by: the short interval of the drain after the last start holds a
// handful of iterations at most.
type lastInterval struct {
	start, end time.Duration
	counts     collector.Counts
}

// keep remembers iv when it is at least half an interval long.
func (l *lastInterval) keep(iv *collector.Interval, every time.Duration) {
	if iv.End-iv.Start >= every/2 {
		l.start, l.end, l.counts = iv.Start, iv.End, iv.Counts
	}
}

// downError says that the target stopped answering when the window's last
// interval failed almost every iteration as unreachable, or returns nil.
// examples are the window's first message per class.
func (l *lastInterval) downError(examples map[string]string) error {
	c := &l.counts
	if c.Iterations < downMin {
		return nil
	}
	var n int64
	top := driver.ClassNone
	for i, e := range c.Errors {
		cl := driver.ErrorClass(i)
		if !cl.Unreachable() {
			continue
		}
		n += e
		if top == driver.ClassNone || e > c.Errors[top] {
			top = cl
		}
	}
	if float64(n) < downShare*float64(c.Iterations) {
		return nil
	}
	return fmt.Errorf("the target stopped answering: %d of %d iterations failed in the last interval (%.1f–%.1f s): %s: %s",
		n, c.Iterations, l.start.Seconds(), l.end.Seconds(), top, examples[top.String()])
}
