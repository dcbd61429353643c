package network

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/poolload/poolload/clock"
)

// link is one proxied connection: the client's socket, the upstream socket
// (once dialled) and the state that both directions share.
type link struct {
	p      *Proxy
	client *net.TCPConn
	born   time.Duration // accept instant, on the proxy's clock
	ctx    context.Context
	cancel context.CancelFunc

	last  atomic.Int64 // proxy-clock instant of the last byte read either way
	state atomic.Int32
	sent  atomic.Int64 // bytes admitted, for ResetAfterBytes

	mu     sync.Mutex // guards server against abort racing connect
	server *net.TCPConn
}

// Link states. A dropped link still reads both sockets but forwards
// nothing; a dead one has been closed.
const (
	stateLive int32 = iota
	stateDropped
	stateDead
)

func newLink(p *Proxy, client *net.TCPConn) *link {
	l := &link{p: p, client: client, born: p.now()}
	l.ctx, l.cancel = context.WithCancel(p.ctx)
	l.last.Store(int64(l.born))
	return l
}

func (l *link) live() bool    { return l.state.Load() == stateLive }
func (l *link) dropped() bool { return l.state.Load() == stateDropped }
func (l *link) touch()        { l.last.Store(int64(l.p.now())) }

// drop blackholes the link; false if it was not live.
func (l *link) drop() bool { return l.state.CompareAndSwap(stateLive, stateDropped) }

// abort resets both sockets, once, and counts the reset in counter (nil:
// an error or Close, not counted). Cancelling ctx wakes writers waiting
// for a due time, so nothing outlives the sockets.
func (l *link) abort(counter *atomic.Int64) {
	if !l.kill() {
		return
	}
	if counter != nil {
		counter.Add(1)
	}
	l.cancel()
	l.mu.Lock()
	resetConn(l.client)
	if l.server != nil {
		resetConn(l.server)
	}
	l.mu.Unlock()
}

// kill moves the link to dead; false if it already was.
func (l *link) kill() bool {
	for {
		s := l.state.Load()
		if s == stateDead {
			return false
		}
		if l.state.CompareAndSwap(s, stateDead) {
			return true
		}
	}
}

// finish closes both sockets normally once both directions have ended.
func (l *link) finish() {
	if !l.kill() {
		return
	}
	l.mu.Lock()
	_ = l.client.Close()
	if l.server != nil {
		_ = l.server.Close()
	}
	l.mu.Unlock()
}

// admit counts n bytes against ResetAfterBytes and returns how many of them
// may pass and whether the link must be reset after them. Both directions
// share the budget; only the direction that crosses it resets.
func (l *link) admit(n int) (int, bool) {
	limit := int64(l.p.cond.ResetAfterBytes)
	if limit == 0 {
		return n, false
	}
	after := l.sent.Add(int64(n))
	before := after - int64(n)
	switch {
	case before >= limit:
		return 0, false
	case after >= limit:
		return int(limit - before), true
	}
	return n, false
}

// run relays the link until both directions end or it is aborted.
func (l *link) run() {
	p := l.p
	defer p.wg.Done()
	defer p.forget(l)
	defer l.cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	up := newPipe(l, p.up, &p.bytesUp)
	down := newPipe(l, p.down, &p.bytesDown)
	up.src, down.dst = l.client, l.client
	// The client's first bytes are read (and time-stamped) while the
	// upstream is still being "dialled", as they would be in flight.
	up.startReader(&wg)
	server := l.connect()
	if server == nil {
		return
	}
	up.dst, down.src = server, server
	up.startWriter(&wg)
	down.startReader(&wg)
	down.startWriter(&wg)
	wg.Wait()
	l.finish()
}

// connect dials the upstream after the handshake delay. The client's own
// connect() completed on loopback at once, so the round trip of TCP's
// handshake is charged here instead: waiting 2×up + down before dialling
// makes a server's greeting reach the client 2 RTT after accept, and a
// client's first request reach the server 1.5 RTT after it, as over a real
// link. The dial phase itself therefore reads ~0 on the client and the
// cost shows in the first exchange.
func (l *link) connect() *net.TCPConn {
	p := l.p
	if p.handshake > 0 {
		t := newStoppedTimer()
		if !clock.WaitUntil(l.ctx, t, p.t0, l.born+p.handshake) {
			return nil
		}
	}
	d := net.Dialer{Timeout: dialTimeout}
	c, err := d.DialContext(l.ctx, "tcp", p.upstream)
	if err != nil {
		l.abort(&p.upstreamErrors) // a no-op, not counted, if Close got here first
		return nil
	}
	tc := c.(*net.TCPConn)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.state.Load() == stateDead {
		resetConn(tc)
		return nil
	}
	l.server = tc
	return tc
}

// newStoppedTimer returns a timer in the state clock.WaitUntil expects.
func newStoppedTimer() *time.Timer {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return t
}
