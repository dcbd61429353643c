package noop

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/poolload/poolload/clock/clocktest"
	"github.com/poolload/poolload/driver"
	"github.com/poolload/poolload/units"
)

// The no-op driver's blocked and wait are the sleeps it was told to take:
// no shorter, and late by no more than plain sleeps of the same lengths,
// taken in turns with it, and a millisecond.
func TestIterateTimesItsPhases(t *testing.T) {
	d := New(Config{Delay: units.Duration(20 * time.Millisecond), Blocked: units.Duration(5 * time.Millisecond)})
	type reading struct{ wait, blocked, waitLate, blockedLate time.Duration }
	measure := func() reading {
		var w, b, wl, bl []time.Duration
		for range 5 {
			var tr driver.Trace
			var phase atomic.Uint32
			tr.BindPhase(&phase)
			d.Iterate(context.Background(), &tr)
			if driver.Phase(phase.Load()) != driver.PhaseWaiting || tr.Class != driver.ClassNone {
				t.Fatalf("phase %v, class %v", driver.Phase(phase.Load()), tr.Class)
			}
			w, b = append(w, tr.Wait), append(b, tr.Blocked)
			for _, p := range []struct {
				d    time.Duration
				late *[]time.Duration
			}{{5 * time.Millisecond, &bl}, {20 * time.Millisecond, &wl}} {
				start := time.Now()
				time.Sleep(p.d)
				*p.late = append(*p.late, time.Since(start)-p.d)
			}
		}
		return reading{median(w), median(b), median(wl), median(bl)}
	}
	r := clocktest.Require(t, 20*time.Second, measure,
		func(r reading) bool {
			return r.wait <= 20*time.Millisecond+r.waitLate+time.Millisecond &&
				r.blocked <= 5*time.Millisecond+r.blockedLate+time.Millisecond
		},
		func(r reading) string {
			return fmt.Sprintf("wait p50 %v for 20 ms, blocked p50 %v for 5 ms; plain sleeps were %v and %v late: want no later than they, and a millisecond", r.wait, r.blocked, r.waitLate, r.blockedLate)
		})
	if r.wait < 20*time.Millisecond || r.blocked < 5*time.Millisecond {
		t.Errorf("wait p50 %v, blocked p50 %v: want at least 20 ms and 5 ms", r.wait, r.blocked)
	}
}

func median(d []time.Duration) time.Duration {
	slices.Sort(d)
	return d[len(d)/2]
}

func TestIterateErrorsAndCancel(t *testing.T) {
	d := New(Config{ErrorRate: 1})
	var tr driver.Trace
	d.Iterate(context.Background(), &tr)
	if tr.Class != driver.ClassOther || tr.Err == nil {
		t.Errorf("error_rate 1: class %v, err %v", tr.Class, tr.Err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tr = driver.Trace{}
	New(Config{Delay: units.Duration(time.Hour)}).Iterate(ctx, &tr)
	if tr.Class != driver.ClassInterrupted {
		t.Errorf("cancelled: class %v", tr.Class)
	}
}

func TestValidate(t *testing.T) {
	if errs := (&Config{ErrorRate: 2}).Validate(); errs["error_rate"] == "" {
		t.Errorf("error_rate 2 accepted: %v", errs)
	}
	if errs := (&Config{ErrorRate: 0.5}).Validate(); len(errs) != 0 {
		t.Errorf("valid config refused: %v", errs)
	}
}
