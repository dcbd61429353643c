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

	// kernel is set once the kernel relays the link (kp says how to take it
	// back); the goroutines' byte counts then go to userUp and userDown and
	// settle reads the totals from the sockets instead.
	kernel           atomic.Bool
	kp               kernelPair
	userUp, userDown atomic.Int64
	settled          bool // under p.bytesMu: its bytes are in the proxy's counters
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

// idleFor is how long the link has carried nothing either way; for a
// kernel-relayed link the sockets know (to the kernel's tick).
func (l *link) idleFor(now time.Duration) time.Duration {
	d := now - time.Duration(l.last.Load())
	if l.kernel.Load() {
		for _, c := range []*net.TCPConn{l.client, l.server} {
			if tc, ok := readCounters(c); ok {
				d = min(d, tc.idle)
			}
		}
	}
	return d
}

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
	l.settle()
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
	l.settle()
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
	l.joinKernel(up, down)
	up.startWriter(&wg)
	down.startReader(&wg)
	down.startWriter(&wg)
	wg.Wait()
	l.finish()
}

// joinKernel hands the link to the kernel relay, if the proxy has one. A
// link the kernel will not take (its map is full) stays with the
// goroutines, which relay it as they would without the kernel.
func (l *link) joinKernel(up, down *pipe) {
	k := l.p.kr
	if k == nil {
		return
	}
	kp, err := k.join(l.client, l.server)
	if err != nil {
		return
	}
	l.kp = kp
	up.bytes, down.bytes = &l.userUp, &l.userDown
	l.kernel.Store(true)
}

// settle adds a kernel-relayed link's bytes to the proxy's counters, read
// from the sockets before they close. Called with l.mu held.
func (l *link) settle() {
	if !l.kernel.Load() {
		return
	}
	p := l.p
	p.bytesMu.Lock()
	defer p.bytesMu.Unlock()
	if l.settled {
		return
	}
	up, down := l.kernelBytes()
	p.bytesUp.Add(up)
	p.bytesDown.Add(down)
	l.settled = true
}

// kernelBytes is what went into the server's socket (up) and the client's
// (down), by the kernel or the goroutines.
func (l *link) kernelBytes() (up, down int64) {
	up, down = l.userUp.Load(), l.userDown.Load()
	if s, ok := readCounters(l.server); ok {
		up = int64(s.queued)
	}
	if c, ok := readCounters(l.client); ok {
		down = int64(c.queued)
	}
	return up, down
}

// drained waits, briefly, until the kernel has moved every byte that
// arrived on src into dst, so that the end of src (a FIN or a reset),
// which the goroutines relay, cannot overtake data still in the kernel
// relay's queue.
func (l *link) drained(src, dst *net.TCPConn, fin bool) {
	if !l.kernel.Load() {
		return
	}
	var finSeq uint64
	if fin {
		finSeq = 1
	}
	for deadline := time.Now().Add(drainWait); time.Now().Before(deadline); time.Sleep(50 * time.Microsecond) {
		s, sok := readCounters(src)
		d, dok := readCounters(dst)
		// A FIN counts as a byte received; a reset does not.
		if !sok || !dok || d.queued+finSeq >= s.received {
			return
		}
	}
}

// drainWait bounds drained: the kernel's queue empties in microseconds
// unless the receiving side has stopped reading.
const drainWait = 200 * time.Millisecond

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
		wait := clock.NewWaiter()
		defer wait.Close()
		if !wait.Until(l.ctx, p.t0, l.born+p.handshake) {
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
