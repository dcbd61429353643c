package vuctx

import (
	"context"
	"testing"
	"time"

	"github.com/poolload/poolload/driver"
)

type gate struct{ open bool }

// A connect hook finds the iteration's Ctx through the contexts the pool
// derives from it, and only its own driver's kind; a setup the pool starts
// with a context of its own finds none.
func TestFromFindsTheIteration(t *testing.T) {
	var s Slots[gate]
	tr := &driver.Trace{VU: 3}
	vc := s.Context(context.Background(), tr, 2)
	vc.State.open = true
	derived, cancel := context.WithTimeout(vc, time.Second)
	defer cancel()
	if got := From[gate](derived); got != vc || got.Trace != tr || !got.State.open || len(got.Args) != 2 {
		t.Errorf("From a derived context: %+v, want the VU's Ctx", got)
	}
	if From[struct{}](derived) != nil {
		t.Error("another driver's kind of Ctx was found")
	}
	if From[gate](context.Background()) != nil {
		t.Error("a context of the pool's own carried an iteration")
	}
}

// A VU's Ctx is reused while its trace and run context stay, with no
// allocation; a new window (another trace, another context) gets a new one.
func TestSlotsReuse(t *testing.T) {
	var s Slots[struct{}]
	ctx := context.Background()
	tr := &driver.Trace{VU: 5}
	a := s.Context(ctx, tr, 1)
	if allocs := testing.AllocsPerRun(100, func() { s.Context(ctx, tr, 1) }); allocs != 0 {
		t.Errorf("%v allocations per reuse, want 0", allocs)
	}
	if s.Context(ctx, tr, 1) != a {
		t.Error("the same VU, trace and context got a new Ctx")
	}
	if s.Context(ctx, &driver.Trace{VU: 5}, 1) == a {
		t.Error("another trace on the same VU number got the old Ctx")
	}
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if b := s.Context(cctx, &driver.Trace{VU: 900}, 1); b == nil || b.Trace.VU != 900 {
		t.Errorf("a VU number far beyond the slots: %+v", b)
	}
}

// Sleep holds for its duration on the reused timer, and gives up when the
// context ends.
func TestSleep(t *testing.T) {
	var s Slots[struct{}]
	vc := s.Context(context.Background(), &driver.Trace{}, 0)
	start := time.Now()
	if !vc.Sleep(context.Background(), 5*time.Millisecond) || !vc.Sleep(context.Background(), 5*time.Millisecond) ||
		time.Since(start) < 10*time.Millisecond {
		t.Errorf("two holds of 5 ms took %v", time.Since(start))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if vc.Sleep(ctx, time.Hour) {
		t.Error("a hold outlived its context")
	}
}
