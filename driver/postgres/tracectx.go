package postgres

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	pdriver "github.com/poolload/poolload/driver"
)

// vuCtx is the context an iteration acquires its connection with: the
// run's context plus the VU's gate. It is built once per (VU, trace, run
// context) and reused, so carrying the gate costs no allocation per
// iteration. It also holds the VU's scratch: only the goroutine running
// trace t touches args and timer, one iteration at a time.
type vuCtx struct {
	context.Context
	t     *pdriver.Trace
	gate  gate
	args  []any       // argument buffer, len = the workload's widest statement
	timer *time.Timer // for hold, made on first use
}

// Value implements context.Context. Other keys go to the run's context, so
// context.WithTimeout still finds the parent's cancelCtx and needs no
// goroutine of its own.
func (c *vuCtx) Value(key any) any {
	if _, ok := key.(gateKey); ok {
		return &c.gate
	}
	return c.Context.Value(key)
}

// vuSlots holds one vuCtx per VU number. Lookups are lock-free; the slice
// grows under mu, copy-on-write, only when a VU number is first seen.
type vuSlots struct {
	mu    sync.Mutex
	slots atomic.Pointer[[]*atomic.Pointer[vuCtx]]
}

// get returns the slot of VU vu.
func (s *vuSlots) get(vu uint32) *atomic.Pointer[vuCtx] {
	if p := s.slots.Load(); p != nil && int(vu) < len(*p) {
		return (*p)[vu]
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var cur []*atomic.Pointer[vuCtx]
	if p := s.slots.Load(); p != nil {
		cur = *p
	}
	if int(vu) < len(cur) {
		return cur[vu]
	}
	grown := make([]*atomic.Pointer[vuCtx], max(int(vu)+1, 2*len(cur)))
	copy(grown, cur)
	for i := len(cur); i < len(grown); i++ {
		grown[i] = new(atomic.Pointer[vuCtx])
	}
	s.slots.Store(&grown)
	return grown[vu]
}

// context returns the reusable vuCtx for (ctx, t). A vuCtx is immutable
// apart from its scratch and gate, so a VU number shared by two traces
// (two windows in flight) only costs a rebuild, never a race.
func (s *vuSlots) context(ctx context.Context, t *pdriver.Trace, nargs int) *vuCtx {
	slot := s.get(t.VU)
	if c := slot.Load(); c != nil && c.t == t && c.Context == ctx {
		return c
	}
	c := &vuCtx{Context: ctx, t: t, args: make([]any, nargs)}
	slot.Store(c)
	return c
}

// sleep holds for d on the VU's reusable timer, or until ctx is done; it
// says whether it slept fully.
func (c *vuCtx) sleep(ctx context.Context, d time.Duration) bool {
	if c.timer == nil {
		c.timer = time.NewTimer(d)
	} else {
		c.timer.Reset(d)
	}
	select {
	case <-c.timer.C:
		return true
	case <-ctx.Done():
		c.timer.Stop()
		return false
	}
}
