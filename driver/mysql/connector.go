package mysql

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/poolload/poolload/driver/vuctx"
)

// stats are the driver's own counters, updated with atomics from any
// goroutine and read by the sampler.
type stats struct {
	opened  atomic.Int64 // connections the pool under test opened
	closed  atomic.Int64 // ... and closed
	badIdle atomic.Int64 // "closing bad idle connection" log lines

	// Connections opened with no iteration waiting in the same call
	// (database/sql's opener goroutine, Prewarm) are charged here, with
	// their setup time, since no iteration's connecting holds them.
	poolConnects  atomic.Int64
	poolConnectNS atomic.Int64
}

// timingKey carries a *connTiming from Connect down to the dial function.
type timingKey struct{}

// connTiming is filled by dial for the Connect that asked for it.
type connTiming struct {
	dns, dial time.Duration
}

// dial is cfg.DialFunc: it splits the dial into DNS (until the socket's
// Control hook runs, right before connect(2)) and TCP connect. It returns the
// net.Conn unwrapped: the driver's liveness check needs syscall.Conn and it
// enables keepalive only on a *net.TCPConn.
func dial(ctx context.Context, network, addr string) (net.Conn, error) {
	start := time.Now()
	var ctl atomic.Int64 // happy eyeballs may race two Control calls
	d := net.Dialer{ControlContext: func(context.Context, string, string, syscall.RawConn) error {
		ctl.CompareAndSwap(0, int64(time.Since(start)))
		return nil
	}}
	c, err := d.DialContext(ctx, network, addr)
	total := time.Since(start)
	if tm, ok := ctx.Value(timingKey{}).(*connTiming); ok {
		dns := time.Duration(ctl.Load())
		if dns == 0 { // failed before any connect(2): resolution
			dns = total
		}
		tm.dns, tm.dial = dns, total-dns
	}
	return c, err
}

// dialVia returns the pool's dial function: dial, sent to override instead
// of the server's address when override is set. Only the socket goes
// there: the driver still takes the address it was given for the server's
// (TLS verifies that name), so the emulator stays invisible to the client.
func dialVia(override string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	if override == "" {
		return dial
	}
	return func(ctx context.Context, _, _ string) (net.Conn, error) {
		return dial(ctx, "tcp", override)
	}
}

// connector wraps the go-sql-driver connector: it bounds and times the whole
// connection setup, charges it to the iteration found in ctx (or to the
// pool), and counts connections opened and closed.
type connector struct {
	inner          driver.Connector
	connectTimeout time.Duration
	st             *stats
}

// errConnectTimeout marks a setup cut short by connect_timeout.
var errConnectTimeout = errors.New("connect_timeout reached")

// Connect implements driver.Connector. database/sql calls it with the
// caller's ctx when it dials inline for db.Conn, which is how the
// iteration's trace reaches us.
func (c *connector) Connect(ctx context.Context) (driver.Conn, error) {
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, c.connectTimeout)
	defer cancel()
	tm := &connTiming{}
	ctx = context.WithValue(ctx, timingKey{}, tm)
	start := time.Now()
	conn, err := c.inner.Connect(ctx)
	c.charge(parent, tm, time.Since(start), err == nil)
	if err != nil {
		if ctx.Err() == context.DeadlineExceeded && parent.Err() == nil {
			err = fmt.Errorf("%w after %s: %w", errConnectTimeout, c.connectTimeout, err)
		}
		return nil, err
	}
	fc, ok := conn.(fullConn)
	if !ok { // a driver version without the interfaces database/sql uses
		conn.Close()
		return nil, fmt.Errorf("go-sql-driver connection %T lacks the expected interfaces", conn)
	}
	c.st.opened.Add(1)
	return &countedConn{fullConn: fc, st: c.st}, nil
}

// Driver implements driver.Connector.
func (c *connector) Driver() driver.Driver { return c.inner.Driver() }

// charge adds one setup's timings to the iteration waiting for it, or to
// the pool. Handshake is what is left of the setup after DNS and dial:
// greeting, auth and init statements. An iteration carries a failed setup
// too (it is what its blocked time went to); the pool counts only the
// connections it opened, so that with the iterations' they add up to
// conns_opened.
func (c *connector) charge(ctx context.Context, tm *connTiming, total time.Duration, opened bool) {
	vc := vuctx.From[struct{}](ctx)
	if vc == nil {
		if opened {
			c.st.poolConnects.Add(1)
			c.st.poolConnectNS.Add(int64(total))
		}
		return
	}
	t := vc.Trace
	t.Connecting += total
	t.DNS += tm.dns
	t.Dial += tm.dial
	t.Handshake += max(0, total-tm.dns-tm.dial)
}

// fullConn is what a go-sql-driver connection implements and database/sql
// looks for; countedConn must forward all of it or database/sql would fall
// back to slower paths (or skip the liveness check in ResetSession).
type fullConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
	driver.NamedValueChecker
}

// countedConn counts its Close.
type countedConn struct {
	fullConn
	st     *stats
	closed atomic.Bool
}

// Close implements driver.Conn.
func (c *countedConn) Close() error {
	if c.closed.CompareAndSwap(false, true) {
		c.st.closed.Add(1)
	}
	return c.fullConn.Close()
}

// badIdleLine is what the driver logs when the liveness check fails.
const badIdleLine = "closing bad idle connection"

// countingLogger is the driver's cfg.Logger: it counts failed liveness
// checks, which otherwise leave no trace (database/sql silently retries).
type countingLogger struct {
	st  *stats
	out io.Writer  // nil: drop the lines
	mu  sync.Mutex // the driver logs from many connections at once
}

// Print implements gomysql.Logger.
func (l *countingLogger) Print(v ...any) {
	msg := fmt.Sprint(v...)
	if strings.Contains(msg, badIdleLine) {
		l.st.badIdle.Add(1)
	}
	if l.out != nil {
		l.mu.Lock()
		fmt.Fprintln(l.out, "[mysql] "+msg)
		l.mu.Unlock()
	}
}
