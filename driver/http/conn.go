package http

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/poolload/poolload/driver"
	"github.com/poolload/poolload/record"
)

// setupConn is one of the load's connections with the timings of its own
// setup, stamped by the dialer. The Transport finishes a dial detached
// from the request that started it and hands the connection to whichever
// request is waiting by then, or to none: the request's httptrace hooks
// cannot say whose setup it was, so the connection carries it, and the
// first request that gets it is charged (see state.claim).
type setupConn struct {
	net.Conn
	// now() stamps: setup started, name resolved, TCP connected, TLS done
	// (end is dialed for plain HTTP).
	start, resolved, dialed, end int64
	charged                      atomic.Bool // to a request or to the pool, once
}

// setupOf finds the setupConn under a connection the Transport hands to
// GotConn: ours, or the *tls.Conn around it. nil for anything else.
func setupOf(c net.Conn) *setupConn {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	sc, _ := c.(*setupConn)
	return sc
}

// conns counts the load's own connections to the service: all that the
// dialer opened, and those charged to no request (the pool's), with their
// setup time. Sample reads them as deltas.
type conns struct {
	byPool, byPoolNS atomic.Int64

	mu      sync.Mutex
	opened  int64
	pending []*setupConn // set up, not yet charged
	prev    [numConnGauges]int64
}

// connGauges are the driver's gauges of its own connections, last among
// its gauges: opened, of those the pool's, and the pool's setup time.
var connGauges = [...]string{record.HTTPConnsOpened, record.HTTPConnsOpenedByPool, record.HTTPConnsOpenedByPoolMs}

const numConnGauges = len(connGauges)

// add counts a connection whose setup is done. Under mu, so that a sample
// sees it opened and swept, or neither. Before the list grows it drops the
// connections requests have taken since, so that a long stretch without a
// sample (a warm-up with no_reuse dials at the request rate) keeps no
// closed connection alive.
func (cs *conns) add(sc *setupConn) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.opened++
	if len(cs.pending) == cap(cs.pending) {
		kept := cs.pending[:0]
		for _, p := range cs.pending {
			if !p.charged.Load() {
				kept = append(kept, p)
			}
		}
		clear(cs.pending[len(kept):])
		if len(kept) > cap(kept)/2 { // little to drop: grow, so that the next drop is as far off
			kept = slices.Grow(kept, cap(kept))
		}
		cs.pending = kept
	}
	cs.pending = append(cs.pending, sc)
}

// sample sweeps, then fills dst (connGauges) with what happened since the
// previous sample.
func (cs *conns) sample(dst []float64) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.sweepLocked()
	cur := [numConnGauges]int64{cs.opened, cs.byPool.Load(), cs.byPoolNS.Load()}
	for i := range min(len(dst), numConnGauges) {
		dst[i] = float64(cur[i] - cs.prev[i])
	}
	if len(dst) > 2 {
		dst[2] /= float64(time.Millisecond)
	}
	cs.prev = cur
}

// toPool charges sc's whole setup to the pool, unless it is charged already.
func (cs *conns) toPool(sc *setupConn) {
	if sc.charged.CompareAndSwap(false, true) {
		cs.byPool.Add(1)
		cs.byPoolNS.Add(sc.end - sc.start)
	}
}

// sweepLocked charges to the pool every connection that no request has
// taken since its setup ended: it sits idle, or was closed unused, and
// whoever takes it later did not wait for it. Run on each sample, it puts
// a connection in the interval it was opened in. (One handed to a request
// at that very instant, before its GotConn, goes to the pool too: counted
// once all the same.)
func (cs *conns) sweepLocked() {
	for i, sc := range cs.pending {
		cs.toPool(sc)
		cs.pending[i] = nil
	}
	cs.pending = cs.pending[:0]
}

// dialer opens the load's connections, stamping their setup on them.
type dialer struct {
	addr string // DialAddr: where to connect instead of the URL's host:port
	cs   *conns
	// tlsConfig is the Transport's TLSClientConfig, read at each dial
	// (nil: the defaults, with the URL's host as the server name).
	tlsConfig func() *tls.Config
}

// dial is the Transport's DialContext (plain HTTP).
func (dl *dialer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	sc, err := dl.connect(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	sc.end = sc.dialed
	dl.cs.add(sc)
	return sc, nil
}

// dialTLS is the Transport's DialTLSContext: the TLS handshake is done
// here rather than by the Transport, so that it is timed on the
// connection too. It verifies the URL's host, as the Transport would.
func (dl *dialer) dialTLS(ctx context.Context, network, addr string) (net.Conn, error) {
	sc, err := dl.connect(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{}
	if c := dl.tlsConfig(); c != nil {
		cfg = c.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName, _, _ = net.SplitHostPort(addr)
	}
	hctx, cancel := context.WithTimeout(ctx, driver.DefaultConnectTimeout)
	defer cancel()
	tc := tls.Client(sc, cfg)
	if err := tc.HandshakeContext(hctx); err != nil {
		sc.Close()
		return nil, fmt.Errorf("tls handshake with %s: %w", addr, err)
	}
	sc.end = now()
	dl.cs.add(sc)
	return tc, nil
}

// connect opens the TCP connection, telling name resolution from the TCP
// connect by the socket's Control hook, which runs right before
// connect(2). An address that needs no lookup resolves in no time.
func (dl *dialer) connect(ctx context.Context, network, addr string) (*setupConn, error) {
	if dl.addr != "" {
		// Only where to connect changes: the URL, Host header and TLS
		// server name stay those of base_url.
		addr = dl.addr
	}
	sc := &setupConn{start: now()}
	var ctl atomic.Int64 // happy eyeballs may race two Control calls
	d := net.Dialer{Timeout: driver.DefaultConnectTimeout,
		ControlContext: func(context.Context, string, string, syscall.RawConn) error {
			ctl.CompareAndSwap(0, now())
			return nil
		}}
	c, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	sc.Conn, sc.dialed = c, now()
	sc.resolved = ctl.Load()
	if host, _, _ := net.SplitHostPort(addr); net.ParseIP(host) != nil || sc.resolved == 0 {
		sc.resolved = sc.start
	}
	return sc, nil
}
