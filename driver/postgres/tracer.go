package postgres

import (
	"context"
	"crypto/tls"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	pdriver "github.com/poolload/poolload/driver"
	"github.com/poolload/poolload/driver/vuctx"
)

// stats are the driver's own counters, updated with atomics from any
// goroutine and read by the sampler.
type stats struct {
	opened    atomic.Int64 // connections the pool under test opened
	closed    atomic.Int64 // ... and closed
	badChecks atomic.Int64 // pooled connections found dead by the liveness ping
	// Setups that reached the server but ended without a connection
	// (canceled mid-startup by an acquire timeout, refused at
	// authentication): the server counted a backend for each.
	failed atomic.Int64

	// Connections opened with no iteration waiting for them (pgxpool's
	// health check for min_conns, database/sql's opener goroutine, a
	// setup that outlived its acquire, Prewarm) are charged here, with
	// their setup time, since no iteration's connecting holds them.
	poolConnects  atomic.Int64
	poolConnectNS atomic.Int64
}

// gate lets a connection setup charge the iteration that waits for it,
// and only while it waits: pgxpool sets a connection up on a goroutine of
// its own that goes on after the acquire gave up (acquire_timeout), when
// the iteration's trace may already hold the next iteration. A setup
// charges the iteration only if the gate is still open for the same
// acquire it started under; otherwise it is the pool's.
type gate struct {
	mu   sync.Mutex
	t    *pdriver.Trace
	gen  uint64
	open bool
}

// begin opens the gate for one acquire of t.
func (g *gate) begin(t *pdriver.Trace) {
	g.mu.Lock()
	g.t, g.open = t, true
	g.gen++
	g.mu.Unlock()
}

// end closes the gate: setups that end from now on are the pool's.
func (g *gate) end() {
	g.mu.Lock()
	g.open = false
	g.mu.Unlock()
}

// current returns the open acquire's generation.
func (g *gate) current() (uint64, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.gen, g.open
}

// charge adds a setup's timings to the iteration if the acquire that
// started it still waits, and says whether it did.
func (g *gate) charge(gen uint64, tm *connTiming, total time.Duration) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.open || g.gen != gen {
		return false
	}
	t := g.t
	t.Connecting += total
	dns, dial, tl := time.Duration(tm.dns.Load()), time.Duration(tm.dial.Load()), time.Duration(tm.tls.Load())
	t.DNS += dns
	t.Dial += dial
	t.TLS += tl
	t.Handshake += max(0, total-dns-dial-tl)
	return true
}

// timingKey carries a *connTiming from the connect tracer to the dial
// functions of the same setup.
type timingKey struct{}

// connTiming is one setup's account: when it started, how long name
// resolution and TCP connects took (summed over pgconn's fallbacks, such
// as sslmode=prefer's second try without TLS), and the acquire it was
// started for.
type connTiming struct {
	start     time.Time
	dns, dial atomic.Int64 // ns; atomics in case pgconn ever tries hosts in parallel
	dialed    atomic.Bool  // a TCP connect succeeded: the server saw this setup
	dialEnd   atomic.Int64 // unix ns when the last TCP connect ended
	tls       atomic.Int64 // ns from that connect to the TLS handshake's end
	g         *gate
	gen       uint64
}

// tracer is the pool's pgx tracer: it times every connection setup
// (TraceConnectStart to TraceConnectEnd, so it includes TLS, the startup
// message and authentication) and charges it once. Queries are not
// traced: the iteration times them itself.
type tracer struct {
	st *stats
}

// TraceConnectStart implements pgx.ConnectTracer.
func (tr *tracer) TraceConnectStart(ctx context.Context, _ pgx.TraceConnectStartData) context.Context {
	tm := &connTiming{start: time.Now()}
	// The acquiring VU's gate, in the context pgx hands to the tracer
	// (none for a setup the pool started on its own).
	if vc := vuctx.From[gate](ctx); vc != nil {
		if gen, open := vc.State.current(); open {
			tm.g, tm.gen = &vc.State, gen
		}
	}
	return context.WithValue(ctx, timingKey{}, tm)
}

// TraceConnectEnd implements pgx.ConnectTracer. A failed setup is
// charged to the iteration too (it is what its blocked time went to); the
// pool counts only the connections it opened, so that with the
// iterations' they add up to conns_opened.
func (tr *tracer) TraceConnectEnd(ctx context.Context, data pgx.TraceConnectEndData) {
	tm, ok := ctx.Value(timingKey{}).(*connTiming)
	if !ok {
		return
	}
	total := time.Since(tm.start)
	opened := data.Err == nil && data.Conn != nil
	if opened {
		tr.st.opened.Add(1)
		// Counted when pgx has released the socket, whoever closed it
		// (the pool, the server, Close).
		go func(done <-chan struct{}) {
			<-done
			tr.st.closed.Add(1)
		}(data.Conn.PgConn().CleanupDone())
	} else if tm.dialed.Load() {
		tr.st.failed.Add(1)
	}
	if tm.g != nil && tm.g.charge(tm.gen, tm, total) {
		return
	}
	if opened {
		tr.st.poolConnects.Add(1)
		tr.st.poolConnectNS.Add(int64(total))
	}
}

// TraceQueryStart implements pgx.QueryTracer, which a ConnConfig's Tracer
// must be; it does nothing.
func (tr *tracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	return ctx
}

// TraceQueryEnd implements pgx.QueryTracer.
func (tr *tracer) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// lookup is the pool's LookupFunc: name resolution, timed.
func lookup(ctx context.Context, host string) ([]string, error) {
	start := time.Now()
	addrs, err := net.DefaultResolver.LookupHost(ctx, host)
	if tm, ok := ctx.Value(timingKey{}).(*connTiming); ok {
		tm.dns.Add(int64(time.Since(start)))
	}
	return addrs, err
}

// dialer returns the pool's DialFunc: a TCP connect, timed, sent to
// override instead of the server's address when override is set (the
// network emulator's listener). pgconn still names the real server (TLS
// verifies that name), so the emulator stays invisible to the client.
// The keepalive is pgconn's default.
func dialer(override string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{KeepAlive: 5 * time.Minute}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if override != "" {
			network, addr = "tcp", override
		}
		start := time.Now()
		c, err := d.DialContext(ctx, network, addr)
		if tm, ok := ctx.Value(timingKey{}).(*connTiming); ok {
			tm.dial.Add(int64(time.Since(start)))
			if err == nil {
				tm.dialed.Store(true)
				tm.dialEnd.Store(time.Now().UnixNano())
			}
		}
		return c, err
	}
}

// afterNetConnect runs the TLS handshake in the open and times it, so
// that connecting splits into tls and the startup/auth after it. pgconn
// hands the connection over with its SSLRequest answered and the
// handshake not yet run (crypto/tls runs it on the first write, which
// would be the startup message). tls is from the TCP connect's end to
// the handshake's end: the SSLRequest round trip and the handshake.
func afterNetConnect(ctx context.Context, _ *pgconn.Config, c net.Conn) (net.Conn, error) {
	tc, ok := c.(*tls.Conn)
	if !ok {
		return c, nil
	}
	err := tc.HandshakeContext(ctx)
	if tm, ok := ctx.Value(timingKey{}).(*connTiming); ok && err == nil {
		if d := tm.dialEnd.Load(); d != 0 {
			tm.tls.Add(time.Now().UnixNano() - d)
		}
	}
	return c, err
}

var (
	_ pgx.ConnectTracer = (*tracer)(nil)
	_ pgx.QueryTracer   = (*tracer)(nil)
)
