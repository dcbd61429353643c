package http

import (
	"net/http/httptrace"
	"slices"
	"testing"
	"time"

	"github.com/poolload/poolload/driver"
)

// A connection's setup goes to the first request that gets it, for the
// part that lies inside that request's blocked, split into its phases; to
// the pool when it ended before the request asked; and to nobody again.
func TestClaimChargesTheSetupInsideBlocked(t *testing.T) {
	for _, c := range []struct {
		name           string
		getConn        int64
		dns, dial, tls time.Duration
		byPool         int64
	}{
		{"asked before the dial", 50, 50, 50, 100, 0},
		{"asked while connecting", 170, 0, 30, 100, 0},
		{"asked during TLS", 250, 0, 0, 50, 0},
		{"asked after the setup", 300, 0, 0, 0, 1},
	} {
		cs := &conns{}
		sc := &setupConn{start: 100, resolved: 150, dialed: 200, end: 300}
		cs.add(sc)
		first, again := newState(cs), newState(cs)
		for _, st := range []*state{first, again} {
			st.getConn.Store(c.getConn)
			st.claim(sc)
		}
		var tr, tr2 driver.Trace
		first.fill(&tr, 400)
		again.fill(&tr2, 400)
		if tr.DNS != c.dns || tr.Dial != c.dial || tr.TLS != c.tls || tr.Handshake != 0 || tr.Connecting != c.dns+c.dial+c.tls ||
			cs.byPool.Load() != c.byPool || tr2.Connecting != 0 {
			t.Errorf("%s: dns %v dial %v tls %v connecting %v, pool %d, taken again %v; want %v %v %v, pool %d, 0",
				c.name, tr.DNS, tr.Dial, tr.TLS, tr.Connecting, cs.byPool.Load(), tr2.Connecting, c.dns, c.dial, c.tls, c.byPool)
		}
		g := make([]float64, numConnGauges)
		cs.sample(g)
		if g[0] != 1 || g[1] != float64(c.byPool) {
			t.Errorf("%s: gauges %v, want 1 opened, %d by the pool", c.name, g, c.byPool)
		}
	}
}

// The hooks, the charging and the fill allocate nothing: an iteration's
// timings cost no garbage.
func TestTimingAllocatesNothing(t *testing.T) {
	cs := &conns{}
	st := newState(cs)
	tr := &driver.Trace{}
	fresh := make([]setupConn, 200)
	i := 0
	n := testing.AllocsPerRun(100, func() {
		sc := &fresh[i]
		i++
		sc.start, sc.resolved, sc.dialed, sc.end = now(), now(), now(), now()
		st.t.Store(tr)
		st.ct.GetConn("127.0.0.1:1")
		st.ct.GotConn(httptrace.GotConnInfo{Conn: sc})
		st.ct.WroteRequest(httptrace.WroteRequestInfo{})
		st.ct.GotFirstResponseByte()
		st.fill(tr, now())
	})
	if n != 0 {
		t.Errorf("%.1f allocations per iteration's timing", n)
	}
}

// The list of connections awaiting a sample drops those requests took, so
// that many dials without a sample keep no closed connection alive.
func TestPendingDropsTakenConnections(t *testing.T) {
	cs := &conns{}
	idle := &setupConn{}
	cs.add(idle) // never taken: stays until a sample charges it to the pool
	for range 10000 {
		sc := &setupConn{}
		cs.add(sc)
		sc.charged.Store(true) // taken by a request at once
	}
	if n := len(cs.pending); n > 64 || !slices.Contains(cs.pending, idle) {
		t.Errorf("%d connections pending after 10000 taken at once; want a handful, the idle one among them", n)
	}
	g := make([]float64, numConnGauges)
	cs.sample(g)
	if g[0] != 10001 || g[1] != 1 || len(cs.pending) != 0 {
		t.Errorf("gauges %v, %d pending; want 10001 opened, 1 by the pool, none pending", g, len(cs.pending))
	}
}
