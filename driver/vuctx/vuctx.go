// Package vuctx holds what a SQL driver keeps for each VU from one
// iteration to the next so that an iteration allocates nothing: the
// context it acquires its connection with, which the pool hands on to the
// driver's connect hooks and through which they find the iteration (to
// charge it a connection set up for it); an argument buffer; and a timer
// for the hold.
package vuctx

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/poolload/poolload/driver"
)

// Ctx is the context an iteration acquires its connection with: the run's
// context plus the iteration's trace and State, the driver's own per-VU
// state its connect hooks read (struct{} when the trace is all they need).
// It is built once per (VU, trace, run context) and reused, so carrying
// them costs no allocation per iteration. Only the goroutine running
// Trace touches Args and the timer, one iteration at a time.
type Ctx[S any] struct {
	context.Context
	Trace *driver.Trace
	Args  []any // argument buffer, len = the workload's widest statement
	State S
	timer *time.Timer // for Sleep, made on first use
}

// key finds a *Ctx[S] in a context derived from it.
type key[S any] struct{}

// Value implements context.Context. Other keys go to the run's context, so
// context.WithTimeout still finds the parent's cancelCtx and needs no
// goroutine of its own.
func (c *Ctx[S]) Value(k any) any {
	if _, ok := k.(key[S]); ok {
		return c
	}
	return c.Context.Value(k)
}

// From returns the Ctx that ctx derives from, or nil: a connection the
// pool sets up on its own (database/sql's opener goroutine, a pool's
// background refill) is set up with a context of its own.
func From[S any](ctx context.Context) *Ctx[S] {
	c, _ := ctx.Value(key[S]{}).(*Ctx[S])
	return c
}

// Sleep holds for d on the VU's reusable timer, or until ctx is done; it
// says whether it slept fully.
func (c *Ctx[S]) Sleep(ctx context.Context, d time.Duration) bool {
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

// Slots holds one Ctx per VU number. Lookups are lock-free; the slice
// grows under mu, copy-on-write, only when a VU number is first seen.
type Slots[S any] struct {
	mu    sync.Mutex
	slots atomic.Pointer[[]*atomic.Pointer[Ctx[S]]]
}

// Context returns the reusable Ctx for (ctx, t), with an argument buffer of
// nargs. A Ctx is immutable apart from its scratch and State, so a VU
// number shared by two traces (two windows in flight) only costs a
// rebuild, never a race.
func (s *Slots[S]) Context(ctx context.Context, t *driver.Trace, nargs int) *Ctx[S] {
	slot := s.get(t.VU)
	if c := slot.Load(); c != nil && c.Trace == t && c.Context == ctx {
		return c
	}
	c := &Ctx[S]{Context: ctx, Trace: t, Args: make([]any, nargs)}
	slot.Store(c)
	return c
}

// get returns the slot of VU vu.
func (s *Slots[S]) get(vu uint32) *atomic.Pointer[Ctx[S]] {
	if p := s.slots.Load(); p != nil && int(vu) < len(*p) {
		return (*p)[vu]
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var cur []*atomic.Pointer[Ctx[S]]
	if p := s.slots.Load(); p != nil {
		cur = *p
	}
	if int(vu) < len(cur) {
		return cur[vu]
	}
	grown := make([]*atomic.Pointer[Ctx[S]], max(int(vu)+1, 2*len(cur)))
	copy(grown, cur)
	for i := len(cur); i < len(grown); i++ {
		grown[i] = new(atomic.Pointer[Ctx[S]])
	}
	s.slots.Store(&grown)
	return grown[vu]
}
