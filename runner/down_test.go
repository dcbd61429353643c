package runner

import (
	"strings"
	"testing"
	"time"

	"github.com/poolload/poolload/collector"
	"github.com/poolload/poolload/driver"
)

func TestDownError(t *testing.T) {
	counts := func(iters int64, errs map[driver.ErrorClass]int64) collector.Counts {
		c := collector.Counts{Iterations: iters}
		for cl, n := range errs {
			c.Errors[cl] = n
		}
		return c
	}
	cases := []struct {
		name string
		c    collector.Counts
		down bool
	}{
		{"healthy", counts(200, nil), false},
		{"all refused", counts(200, map[driver.ErrorClass]int64{driver.ClassConnectRefused: 200}), true},
		{"mixed unreachable classes", counts(100, map[driver.ErrorClass]int64{driver.ClassConnectRefused: 60, driver.ClassBadConnection: 35}), true},
		{"a few still served", counts(100, map[driver.ErrorClass]int64{driver.ClassServerGone: 80}), false},
		{"a starved pool is not a dead target", counts(100, map[driver.ErrorClass]int64{driver.ClassAcquireTimeout: 100}), false},
		{"slow statements are not a dead target", counts(100, map[driver.ErrorClass]int64{driver.ClassQueryTimeout: 100}), false},
		{"a service answering 5xx is up", counts(100, map[driver.ErrorClass]int64{driver.ClassHTTP5xx: 100}), false},
		{"too few to judge", counts(3, map[driver.ErrorClass]int64{driver.ClassConnectRefused: 3}), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var l lastInterval
			l.keep(&collector.Interval{Start: 7 * time.Second, End: 8 * time.Second, Counts: c.c}, time.Second)
			err := l.downError(map[string]string{"connect_refused": "dial tcp: connection refused"})
			if (err != nil) != c.down {
				t.Fatalf("downError = %v, want down=%v", err, c.down)
			}
			if err != nil && c.c.Errors[driver.ClassConnectRefused] == 200 &&
				!strings.Contains(err.Error(), "200 of 200 iterations failed in the last interval (7.0–8.0 s): connect_refused: dial tcp: connection refused") {
				t.Errorf("message: %v", err)
			}
		})
	}
}

// The drain's sliver after the last start does not replace the last whole
// interval: its handful of iterations says nothing about the target.
func TestLastIntervalIgnoresTheDrain(t *testing.T) {
	var l lastInterval
	dead := collector.Counts{Iterations: 100}
	dead.Errors[driver.ClassConnectRefused] = 100
	l.keep(&collector.Interval{Start: 2 * time.Second, End: 3 * time.Second, Counts: dead}, time.Second)
	l.keep(&collector.Interval{Start: 3 * time.Second, End: 3*time.Second + time.Millisecond, Counts: collector.Counts{Iterations: 1}}, time.Second)
	if l.downError(nil) == nil {
		t.Error("the drain's sliver hid a dead target")
	}
}
