package http

import (
	"context"
	"net/http/httptrace"
	"sync/atomic"
	"time"

	"github.com/poolload/poolload/driver"
)

// epoch anchors now(): monotonic nanoseconds that fit an atomic.Int64.
var epoch = time.Now()

func now() int64 { return int64(time.Since(epoch)) + 1 } // never 0: 0 means "did not happen"

// state is one in-flight request's scratch: the httptrace hooks, built once
// and recycled through a sync.Pool, so an iteration allocates no closures.
// Connection setup is not timed here but on the connection (setupConn):
// the Transport dials apart from the request, and a dial's hooks would fire
// into whichever request started it, even after that one ended. The hooks
// left fire in the request's own goroutine (GetConn, GotConn) or in the
// connection's (wrote, first byte), which may outlive a failed request:
// Iterate recycles a state only when no hook of its request can still
// come (settled), so a late hook never lands in another iteration.
type state struct {
	ct  *httptrace.ClientTrace
	cs  *conns // the driver's connection counters
	t   atomic.Pointer[driver.Trace]
	buf []byte // the URL being built

	getConn, gotConn atomic.Int64
	dns, dial, tls   atomic.Int64 // the setup charged at GotConn, ns
	wrote, firstByte atomic.Int64
}

func newState(cs *conns) *state {
	st := &state{cs: cs, buf: make([]byte, 0, 128)}
	st.ct = &httptrace.ClientTrace{
		// A retried request calls GetConn again: keep the first, so blocked
		// covers the whole wait.
		GetConn: func(string) { st.getConn.CompareAndSwap(0, now()) },
		GotConn: func(ci httptrace.GotConnInfo) {
			at := now()
			st.gotConn.Store(at)
			if sc := setupOf(ci.Conn); sc != nil {
				st.claim(sc)
			}
			st.phase(driver.PhaseWaiting)
		},
		WroteRequest: func(httptrace.WroteRequestInfo) { st.wrote.Store(now()) },
		GotFirstResponseByte: func() {
			st.firstByte.Store(now())
			st.phase(driver.PhaseReceiving)
		},
	}
	return st
}

// claim charges a connection's setup the first time a request gets it. The
// request carries the part of the setup that lies inside its blocked
// (from its GetConn on), split into its phases; a setup that ended before
// the request asked for a connection is the pool's: no request waited for
// it. A connection taken again is reuse, as k6 has it: connecting 0.
func (st *state) claim(sc *setupConn) {
	from := st.getConn.Load()
	if sc.end <= from {
		st.cs.toPool(sc)
		return
	}
	if !sc.charged.CompareAndSwap(false, true) {
		return
	}
	from = max(from, sc.start)
	st.dns.Store(int64(span(from, sc.resolved)))
	st.dial.Store(int64(span(max(from, sc.resolved), sc.dialed)))
	st.tls.Store(int64(span(max(from, sc.dialed), sc.end)))
}

func (st *state) phase(p driver.Phase) {
	if t := st.t.Load(); t != nil {
		t.SetPhase(p)
	}
}

// bind clears the stamps, attaches t and returns ctx carrying the hooks.
func (st *state) bind(ctx context.Context, t *driver.Trace) context.Context {
	for _, a := range [...]*atomic.Int64{&st.getConn, &st.gotConn, &st.dns, &st.dial, &st.tls,
		&st.wrote, &st.firstByte} {
		a.Store(0)
	}
	st.t.Store(t)
	return httptrace.WithClientTrace(ctx, st.ct)
}

// fill writes the timings into t (end is when the body was fully read or
// the request failed) and detaches t, so late hooks cannot touch it.
func (st *state) fill(t *driver.Trace, end int64) {
	st.t.Store(nil)
	t.Blocked = span(st.getConn.Load(), st.gotConn.Load())
	// The parts add up to Connecting, as driver.Trace defines it.
	t.DNS = time.Duration(st.dns.Load())
	t.Dial = time.Duration(st.dial.Load())
	t.TLS = time.Duration(st.tls.Load()) // HTTP/1.1 and h2 have no setup of their own after TLS
	t.Connecting = t.DNS + t.Dial + t.TLS
	wrote, first := st.wrote.Load(), st.firstByte.Load()
	t.Sending = span(st.gotConn.Load(), wrote)
	if first == 0 {
		// No byte ever came: like k6, wait runs to the end.
		t.Wait = span(wrote, end)
		return
	}
	t.Wait = span(wrote, first)
	t.Receiving = span(first, end)
}

// settled says whether every hook of a request that got its response has
// fired, so that the state may serve another iteration: the first byte
// came before the response did, but the request may still be being
// written when a server answers early.
func (st *state) settled() bool { return st.wrote.Load() != 0 && st.firstByte.Load() != 0 }

// span is b−a, or 0 if either stamp is missing.
func span(a, b int64) time.Duration {
	if a == 0 || b < a {
		return 0
	}
	return time.Duration(b - a)
}
