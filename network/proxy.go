package network

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Proxy accepts connections on a loopback port and relays each one to the
// upstream under the configured Conditions.
type Proxy struct {
	ln       net.Listener
	upstream string
	cond     Conditions // resolved
	up, down dirParams
	// handshake is how long a new link waits before dialling the upstream:
	// see link.connect.
	handshake time.Duration
	t0        time.Time // monotonic origin of all due times and activity stamps
	mark      atomic.Int64
	kr        *kernelRelay // nil: the goroutines relay every link
	relay     string       // RelayKernel or RelayUser, as chosen at Listen
	relayWhy  string       // why the kernel relay was wanted but not had
	ctx       context.Context
	cancel    context.CancelFunc
	stopCtx   func() bool // unhooks Close from the caller's ctx
	wg        sync.WaitGroup

	mu     sync.Mutex
	links  map[*link]struct{}
	closed bool
	// bytesMu orders a kernel-relayed link's settling (its bytes moving
	// into bytesUp and bytesDown) against Stats reading them live.
	bytesMu sync.Mutex

	closeOnce sync.Once
	closeErr  error

	accepted, refused, idleResets, idleDrops, byteResets atomic.Int64
	active, bytesUp, bytesDown, upstreamErrors           atomic.Int64
}

// Stats are the proxy's counters since Listen.
type Stats struct {
	Accepted       int64 // connections the listener took, refused ones included
	Refused        int64 // reset at once because they arrived in a RefuseNew window
	UpstreamErrors int64 // reset because the upstream could not be dialled
	IdleResets     int64 // reset after ResetIdleAfter with IdleAction "reset"
	IdleDrops      int64 // blackholed after ResetIdleAfter with IdleAction "drop"
	ByteResets     int64 // reset after ResetAfterBytes
	Active         int64 // connections being relayed now
	BytesUp        int64 // bytes delivered to the upstream
	BytesDown      int64 // bytes delivered to clients
}

// dialTimeout bounds the upstream connect; loopback answers in microseconds
// unless the server's backlog is full.
const dialTimeout = 5 * time.Second

// Listen starts a proxy on 127.0.0.1:0 to upstream, which must be a
// loopback address (127.0.0.0/8, ::1 or localhost): the emulation only
// makes sense when the real path adds next to nothing. The proxy stops
// when ctx is done or Close is called. RefuseNew windows count from the
// Listen instant until Mark is called.
func Listen(ctx context.Context, upstream string, c Conditions) (*Proxy, error) {
	if err := errorOf(c.Validate()); err != nil {
		return nil, err
	}
	r, err := c.Resolved()
	if err != nil {
		return nil, err
	}
	if err := checkLoopback(upstream); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("network proxy: %w", err)
	}
	p := &Proxy{ln: ln, upstream: upstream, cond: r, t0: time.Now(),
		up: newDirParams(*r.Up), down: newDirParams(*r.Down), links: map[*link]struct{}{}}
	p.handshake = 2*p.up.latency + p.down.latency
	if err := p.chooseRelay(); err != nil {
		_ = ln.Close()
		return nil, err
	}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	p.wg.Add(1)
	go p.acceptLoop()
	if r.ResetIdleAfter > 0 {
		p.wg.Add(1)
		go p.janitor(r.ResetIdleAfter.D())
	}
	// Hooked last: if ctx is already done, Close runs at once and must find
	// the goroutines above already counted.
	p.stopCtx = context.AfterFunc(ctx, func() { _ = p.Close() })
	return p, nil
}

// chooseRelay sets up the kernel relay when the link allows it and the
// conditions do not ask for the goroutines, and checks that it relays
// correctly; "auto" falls back to the goroutines when the kernel refuses
// (no BPF, or no CAP_BPF and CAP_NET_ADMIN) or fails the check.
func (p *Proxy) chooseRelay() error {
	p.relay = RelayUser
	if !p.cond.kernelRelayable() {
		return nil
	}
	k, err := newKernelRelay()
	if err == nil {
		if err = k.selfTest(); err != nil {
			_ = k.Close()
			err = fmt.Errorf("it failed its self-test: %w", err)
		}
	}
	if err != nil {
		if p.cond.Relay == RelayKernel {
			return fmt.Errorf("network proxy: relay: kernel: %w", err)
		}
		p.relayWhy = err.Error()
		return nil
	}
	p.kr, p.relay = k, RelayKernel
	return nil
}

// Relay says who copies the bytes of this proxy's links: RelayKernel or
// RelayUser. Links with a delay always use the goroutines.
func (p *Proxy) Relay() string { return p.relay }

// RelayNote is why the kernel relay was not used although the link
// allowed it ("" when it was used, or not wanted).
func (p *Proxy) RelayNote() string { return p.relayWhy }

func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("network proxy upstream %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("network proxy upstream %q is not a loopback address: the emulated link is added on top of the real one, so the real one must be loopback (127.0.0.1, ::1 or localhost)", addr)
}

// Addr is the host:port clients dial instead of the upstream.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Mark sets the instant RefuseNew windows are relative to; the runner calls
// it at each measured window's t0.
func (p *Proxy) Mark(t time.Time) { p.mark.Store(int64(t.Sub(p.t0))) }

// Stats returns a snapshot of the counters.
func (p *Proxy) Stats() Stats {
	s := Stats{Accepted: p.accepted.Load(), Refused: p.refused.Load(),
		UpstreamErrors: p.upstreamErrors.Load(), IdleResets: p.idleResets.Load(),
		IdleDrops: p.idleDrops.Load(), ByteResets: p.byteResets.Load(),
		Active: p.active.Load()}
	s.BytesUp, s.BytesDown = p.bytes()
	return s
}

// bytes totals the bytes delivered each way, asking the sockets of the
// links the kernel relays now.
func (p *Proxy) bytes() (up, down int64) {
	if p.kr == nil { // the goroutines count every byte as they deliver it
		return p.bytesUp.Load(), p.bytesDown.Load()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.bytesMu.Lock()
	defer p.bytesMu.Unlock()
	up, down = p.bytesUp.Load(), p.bytesDown.Load()
	for l := range p.links {
		if l.kernel.Load() && !l.settled {
			u, d := l.kernelBytes()
			up, down = up+u, down+d
		}
	}
	return up, down
}

// Close stops the listener, resets every relayed connection and waits for
// all of the proxy's goroutines. It is idempotent; data in flight is lost.
func (p *Proxy) Close() error {
	p.closeOnce.Do(func() {
		p.stopCtx()
		p.closeErr = p.ln.Close()
		p.cancel()
		p.mu.Lock()
		p.closed = true
		for l := range p.links {
			l.abort(nil)
		}
		p.mu.Unlock()
		p.wg.Wait()
		if p.kr != nil {
			p.closeErr = errors.Join(p.closeErr, p.kr.Close())
		}
	})
	return p.closeErr
}

// now is the monotonic time since Listen, the clock of due times.
func (p *Proxy) now() time.Duration { return time.Since(p.t0) }

func (p *Proxy) acceptLoop() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || p.ctx.Err() != nil {
				return
			}
			time.Sleep(5 * time.Millisecond) // EMFILE and the like: back off, retry
			continue
		}
		p.accepted.Add(1)
		tc := c.(*net.TCPConn)
		if p.refusing() {
			p.refused.Add(1)
			resetConn(tc)
			continue
		}
		p.start(tc)
	}
}

// refusing reports whether now falls in a RefuseNew window.
func (p *Proxy) refusing() bool {
	since := p.now() - time.Duration(p.mark.Load())
	for _, w := range p.cond.RefuseNew {
		if since >= w.From.D() && since < w.From.D()+w.For.D() {
			return true
		}
	}
	return false
}

// start registers a link and runs it, unless Close got there first.
func (p *Proxy) start(client *net.TCPConn) {
	l := newLink(p, client)
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		resetConn(client)
		return
	}
	p.links[l] = struct{}{}
	p.active.Add(1)
	p.wg.Add(1)
	p.mu.Unlock()
	go l.run()
}

func (p *Proxy) forget(l *link) {
	p.mu.Lock()
	delete(p.links, l)
	p.mu.Unlock()
	p.active.Add(-1)
}

// janitor enforces ResetIdleAfter. One goroutine for all links keeps the
// per-byte cost to an atomic store; checking every idle/8 makes a kill at
// most 12.5% late.
func (p *Proxy) janitor(idle time.Duration) {
	defer p.wg.Done()
	t := time.NewTicker(idle / 8)
	defer t.Stop()
	var due []*link
	for {
		select {
		case <-p.ctx.Done():
			return
		case <-t.C:
		}
		now := p.now()
		due = due[:0]
		p.mu.Lock()
		for l := range p.links {
			if l.live() && l.idleFor(now) > idle {
				due = append(due, l)
			}
		}
		p.mu.Unlock()
		for _, l := range due {
			p.expire(l)
		}
	}
}

func (p *Proxy) expire(l *link) {
	if p.cond.IdleAction == IdleDrop {
		if l.drop() {
			if l.kernel.Load() {
				p.kr.leave(l.kp) // from now on the goroutines read and discard
			}
			p.idleDrops.Add(1)
		}
		return
	}
	l.abort(&p.idleResets)
}

// resetConn closes c with an RST rather than a FIN, which is what a peer
// sees when a NAT or a dead host resets the flow.
func resetConn(c *net.TCPConn) {
	_ = c.SetLinger(0)
	_ = c.Close()
}
