// Package engine plays an open-model load: arrival schedules (constant and
// ramping, every start computed in closed form) and the scheduler that hands
// each arrival to a free VU or drops it and says why. It knows drivers only
// through the driver contract and records into a collector.
package engine

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/poolload/poolload/clock"
	"github.com/poolload/poolload/collector"
	"github.com/poolload/poolload/driver"
)

// Window is one open-model load phase: a schedule played against a driver
// by a pool of VUs, recorded into a Recorder. The scheduler goroutine takes
// an idle VU from a queue without blocking and hands it the tick on its own
// wake channel; when no VU is idle the tick is dropped and counted (k6's
// semantics), and one more VU is allocated in the background while max_vus
// allows. A VU joins the idle queue before its goroutine even runs, so the
// pre-allocated VUs are all ready at t0.
type Window struct {
	Driver       driver.Driver
	Schedule     Schedule
	Recorder     *collector.Recorder
	PreVUs       int
	MaxVUs       int
	GracefulStop time.Duration

	t0     time.Time
	hard   context.Context
	cancel context.CancelFunc
	idle   chan *vu // VUs ready for a tick; capacity MaxVUs, so a put never blocks
	grow   chan struct{}
	mu     sync.Mutex // guards vus against the allocator appending
	vus    []*vu
	nAlloc atomic.Int32
	vuWG   sync.WaitGroup

	census      [driver.NumPhases]int
	censusAt    time.Duration
	censusValid bool
}

type tick struct {
	i  int64
	at time.Duration // intended start, offset from t0
}

type vu struct {
	phase atomic.Uint32
	wake  chan tick // buffered 1: the scheduler never waits on a VU
	trace driver.Trace
}

// Start allocates the pre-allocated VUs and fixes t0 (now). Run must follow.
func (w *Window) Start() { w.StartAt(time.Time{}) }

// StartAt is Start with t0 given: a window on a timeline shared with other
// generators starts its schedule at the agreed instant, not whenever its
// VUs are ready. A zero t0 means now.
func (w *Window) StartAt(t0 time.Time) {
	w.hard, w.cancel = context.WithCancel(context.Background())
	w.idle = make(chan *vu, max(w.MaxVUs, w.PreVUs))
	w.grow = make(chan struct{})
	for range w.PreVUs {
		w.addVU()
	}
	now := time.Now()
	if t0.IsZero() {
		t0 = now
	}
	// Carry the monotonic clock: a t0 parsed from a flag has none, and
	// every offset after it must not jump with the wall clock.
	w.t0 = now.Add(t0.Sub(now))
}

// T0 is the wall-clock start of the window.
func (w *Window) T0() time.Time { return w.t0 }

// Elapsed is the time since t0 on the monotonic clock.
func (w *Window) Elapsed() time.Duration { return time.Since(w.t0) }

func (w *Window) addVU() {
	v := &vu{wake: make(chan tick, 1)}
	w.mu.Lock()
	w.vus = append(w.vus, v)
	v.trace.VU = uint32(len(w.vus))
	w.mu.Unlock()
	v.trace.BindPhase(&v.phase)
	w.nAlloc.Add(1)
	w.vuWG.Add(1)
	w.idle <- v
	go w.runVU(v)
}

// runVU is one VU: it takes ticks until the channel closes. The hard
// context is cancelled only to interrupt iterations still running after the
// graceful stop (or at once on Ctrl-C).
func (w *Window) runVU(v *vu) {
	defer w.vuWG.Done()
	t := &v.trace
	for tk := range v.wake {
		start := time.Since(w.t0)
		v.phase.Store(uint32(driver.PhaseRunning))
		t.Reset(uint64(tk.i))
		w.Driver.Iterate(w.hard, t)
		service := time.Since(w.t0) - start
		v.phase.Store(uint32(driver.PhaseIdle))
		if t.Class == driver.ClassInterrupted || (t.Class != driver.ClassNone && w.hard.Err() != nil) {
			w.Recorder.Interrupt(t.VU)
		} else {
			w.Recorder.Record(t, start-tk.at, service)
		}
		w.idle <- v
	}
}

// allocate starts one VU per request, one at a time, until max_vus.
func (w *Window) allocate() {
	for range w.grow {
		if int(w.nAlloc.Load()) < w.MaxVUs {
			w.addVU()
		}
	}
}

// Run plays the schedule, then gives in-flight iterations GracefulStop to
// finish before cancelling them, and returns when every VU has exited. If
// ctx is cancelled (Ctrl-C, a fatal error) no new tick starts and in-flight
// iterations are interrupted at once. It reports whether the schedule ran
// to its end.
func (w *Window) Run(ctx context.Context) bool {
	defer w.cancel()
	stop := context.AfterFunc(ctx, w.cancel)
	defer stop()
	allocDone := make(chan struct{})
	go func() { w.allocate(); close(allocDone) }()

	complete := w.loop(ctx)

	close(w.grow)
	<-allocDone
	w.mu.Lock()
	for _, v := range w.vus {
		close(v.wake)
	}
	w.mu.Unlock()
	w.drain()
	return complete
}

// loop is the scheduler proper.
func (w *Window) loop(ctx context.Context) bool {
	wait := clock.NewWaiter()
	defer wait.Close()
	for i := int64(0); ; i++ {
		at, ok := w.Schedule.At(i)
		if !ok {
			return true
		}
		if !wait.Until(ctx, w.t0, at) {
			return false
		}
		if v := w.takeIdle(); v != nil {
			v.wake <- tick{i: i, at: at}
		} else {
			w.dropped()
		}
	}
}

// takeIdle returns an idle VU, or nil when every VU is busy. A VU that was
// handed a tick but has not been scheduled onto a core yet is not busy with
// an iteration, so before giving up takeIdle yields once: in a catch-up
// burst after a stall this lets those VUs run and come back, and a drop
// keeps meaning "every VU was in an iteration".
func (w *Window) takeIdle() *vu {
	select {
	case v := <-w.idle:
		return v
	default:
	}
	runtime.Gosched()
	select {
	case v := <-w.idle:
		return v
	default:
		return nil
	}
}

// dropped counts a tick that no VU took and says why, then asks for one
// more VU if max_vus allows. The cause is what the busy VUs were doing;
// VU allocation still under way is counted beside it.
func (w *Window) dropped() {
	growing := int(w.nAlloc.Load()) < w.MaxVUs
	if growing {
		select {
		case w.grow <- struct{}{}:
		default: // a VU is already being allocated
		}
	}
	c := w.phaseCensus()
	onTarget := c[driver.PhaseWaiting] + c[driver.PhaseReceiving] + c[driver.PhaseRunning]
	switch {
	case c[driver.PhaseBlocked]+onTarget == 0:
		w.Recorder.Drop(collector.DropVUs, growing)
	case c[driver.PhaseBlocked] > onTarget:
		w.Recorder.Drop(collector.DropPool, growing)
	default:
		w.Recorder.Drop(collector.DropTarget, growing)
	}
}

// phaseCensus counts the VUs in each phase. Counting scans every VU, so
// under a storm of drops it is redone at most once a millisecond.
func (w *Window) phaseCensus() *[driver.NumPhases]int {
	now := time.Since(w.t0)
	if w.censusValid && now-w.censusAt < time.Millisecond {
		return &w.census
	}
	w.census = w.Phases()
	w.censusAt, w.censusValid = now, true
	return &w.census
}

// Phases counts the allocated VUs in each phase right now.
func (w *Window) Phases() [driver.NumPhases]int {
	var c [driver.NumPhases]int
	w.mu.Lock()
	for _, v := range w.vus {
		c[v.phase.Load()]++
	}
	w.mu.Unlock()
	return c
}

// Allocated is the number of VUs allocated so far.
func (w *Window) Allocated() int { return int(w.nAlloc.Load()) }

// drain waits GracefulStop for the VUs to finish, then interrupts the rest.
func (w *Window) drain() {
	done := make(chan struct{})
	go func() { w.vuWG.Wait(); close(done) }()
	grace := time.NewTimer(w.GracefulStop)
	defer grace.Stop()
	select {
	case <-done:
		return
	case <-grace.C:
	case <-w.hard.Done():
	}
	w.cancel()
	<-done
}
