package http

import (
	"context"
	"crypto/tls"
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
// The stamps are atomics because the Transport calls some hooks (connect,
// TLS) from its dial goroutine, which may outlive the request.
type state struct {
	ct  *httptrace.ClientTrace
	t   atomic.Pointer[driver.Trace]
	buf []byte // the URL being built

	getConn, gotConn    atomic.Int64
	dnsStart, dnsDone   atomic.Int64
	connStart, connDone atomic.Int64
	tlsStart, tlsDone   atomic.Int64
	wrote, firstByte    atomic.Int64
	reused              atomic.Bool
}

func newState() *state {
	st := &state{buf: make([]byte, 0, 128)}
	st.ct = &httptrace.ClientTrace{
		// A retried request calls GetConn again: keep the first, so blocked
		// covers the whole wait.
		GetConn: func(string) { st.getConn.CompareAndSwap(0, now()) },
		GotConn: func(ci httptrace.GotConnInfo) {
			st.gotConn.Store(now())
			st.reused.Store(ci.Reused)
			st.phase(driver.PhaseWaiting)
		},
		DNSStart:          func(httptrace.DNSStartInfo) { st.dnsStart.Store(now()) },
		DNSDone:           func(httptrace.DNSDoneInfo) { st.dnsDone.Store(now()) },
		ConnectStart:      func(string, string) { st.connStart.CompareAndSwap(0, now()) },
		ConnectDone:       func(string, string, error) { st.connDone.Store(now()) },
		TLSHandshakeStart: func() { st.tlsStart.Store(now()) },
		TLSHandshakeDone:  func(tls.ConnectionState, error) { st.tlsDone.Store(now()) },
		WroteRequest:      func(httptrace.WroteRequestInfo) { st.wrote.Store(now()) },
		GotFirstResponseByte: func() {
			st.firstByte.Store(now())
			st.phase(driver.PhaseReceiving)
		},
	}
	return st
}

func (st *state) phase(p driver.Phase) {
	if t := st.t.Load(); t != nil {
		t.SetPhase(p)
	}
}

// bind clears the stamps, attaches t and returns ctx carrying the hooks.
func (st *state) bind(ctx context.Context, t *driver.Trace) context.Context {
	for _, a := range [...]*atomic.Int64{&st.getConn, &st.gotConn, &st.dnsStart, &st.dnsDone,
		&st.connStart, &st.connDone, &st.tlsStart, &st.tlsDone, &st.wrote, &st.firstByte} {
		a.Store(0)
	}
	st.reused.Store(false)
	st.t.Store(t)
	return httptrace.WithClientTrace(ctx, st.ct)
}

// fill writes the timings into t (end is when the body was fully read or
// the request failed) and detaches t, so late hooks cannot touch it.
func (st *state) fill(t *driver.Trace, end int64) {
	st.t.Store(nil)
	t.Blocked = span(st.getConn.Load(), st.gotConn.Load())
	if !st.reused.Load() {
		// k6 forces connection setup to 0 on reuse; the parts add up to
		// Connecting, as driver.Trace defines it.
		t.DNS = span(st.dnsStart.Load(), st.dnsDone.Load())
		t.Dial = span(st.connStart.Load(), st.connDone.Load())
		t.Handshake = span(st.tlsStart.Load(), st.tlsDone.Load())
		t.Connecting = t.DNS + t.Dial + t.Handshake
	}
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

// span is b−a, or 0 if either stamp is missing.
func span(a, b int64) time.Duration {
	if a == 0 || b < a {
		return 0
	}
	return time.Duration(b - a)
}
