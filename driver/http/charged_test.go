package http

import (
	"context"
	"net"
	nethttp "net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/poolload/poolload/driver"
	"github.com/poolload/poolload/network"
	"github.com/poolload/poolload/units"
)

// Every connection the load opens is charged exactly once: to the
// iteration that waited for it (connecting > 0, within its blocked) or to
// http_conns_opened_by_pool, and the link and the service each saw exactly
// as many. A cold transport at 600/s over a 2 ms link keeps dialling while
// busy connections come back, so a dial started for one request may end up
// serving another one, or none; with TLS the setup takes several round
// trips and that happens on every run (max_conns keeps the handshakes from
// piling up on a busy machine).
func TestEveryConnectionChargedOnce(t *testing.T) {
	for _, tc := range []struct {
		name    string
		tls     bool
		rate, n int
		max     int
	}{{"http", false, 600, 900, 0}, {"https", true, 150, 225, 8}} {
		t.Run(tc.name, func(t *testing.T) {
			var accepted atomic.Int64
			s := httptest.NewUnstartedServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
				w.Write([]byte("ok"))
			}))
			s.Config.ConnState = func(_ net.Conn, st nethttp.ConnState) {
				if st == nethttp.StateNew {
					accepted.Add(1)
				}
			}
			if tc.tls {
				s.StartTLS()
			} else {
				s.Start()
			}
			t.Cleanup(s.Close)
			px, err := network.Listen(context.Background(), s.Listener.Addr().String(),
				network.Conditions{Latency: units.Duration(2 * time.Millisecond)})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { px.Close() })
			d := open(t, Config{BaseURL: s.URL, Requests: one("/"), DialAddr: px.Addr(), MaxConns: tc.max})
			if tc.tls {
				d.tr.TLSClientConfig = s.Client().Transport.(*nethttp.Transport).TLSClientConfig.Clone()
			}
			names := d.GaugeNames()
			g := make([]float64, len(names))
			d.Sample(context.Background(), g) // the deltas count from here

			trs := openLoad(d, float64(tc.rate), tc.n)
			waited := 0
			for i, tr := range trs {
				if tr.Err != nil {
					t.Fatalf("iteration %d: %v", i, tr.Err)
				}
				if tr.Connecting > 0 {
					waited++
				}
				if tr.Connecting > tr.Blocked || tr.DNS+tr.Dial+tr.TLS+tr.Handshake != tr.Connecting {
					t.Errorf("iteration %d: blocked %v, connecting %v = dns %v + dial %v + tls %v?",
						i, tr.Blocked, tr.Connecting, tr.DNS, tr.Dial, tr.TLS)
				}
			}
			// A dial still under way at the end (its request got another
			// connection) reaches the link at once, the service one
			// emulated handshake later, and the dialer's count once set up.
			deadline := time.Now().Add(3 * time.Second)
			for time.Now().Before(deadline) && (accepted.Load() != px.Stats().Accepted || openedSoFar(d) != accepted.Load()) {
				time.Sleep(5 * time.Millisecond)
			}
			d.Sample(context.Background(), g)
			byName := map[string]float64{}
			for i, n := range names {
				byName[n] = g[i]
			}
			opened, byPool := int64(byName["http_conns_opened"]), int64(byName["http_conns_opened_by_pool"])
			link, svc := px.Stats().Accepted, accepted.Load()
			t.Logf("%d requests: %d waited for a new connection, %d opened with none waiting (%.2f ms of setup), %d opened; the link accepted %d, the service %d",
				len(trs), waited, byPool, byName["http_conns_opened_by_pool_ms"], opened, link, svc)
			if int64(waited)+byPool != link || link != svc {
				t.Errorf("%d requests with connecting > 0 + %d opened with none waiting != %d connections the link accepted (the service: %d)",
					waited, byPool, link, svc)
			}
			if opened != link {
				t.Errorf("http_conns_opened %d, the link accepted %d", opened, link)
			}
		})
	}
}

// openedSoFar is how many connections d's dialer has set up.
func openedSoFar(d *Driver) int64 {
	d.conns.mu.Lock()
	defer d.conns.mu.Unlock()
	return d.conns.opened
}

// openLoad starts n iterations at rate per second, each on its own
// goroutine whatever the others are doing (an open model), and returns
// their traces once all are done.
func openLoad(d *Driver, rate float64, n int) []driver.Trace {
	trs := make([]driver.Trace, n)
	var wg sync.WaitGroup
	t0 := time.Now()
	for i := range n {
		time.Sleep(time.Until(t0.Add(time.Duration(float64(i) / rate * float64(time.Second)))))
		wg.Go(func() {
			trs[i].VU = uint32(i + 1)
			trs[i].Reset(uint64(i))
			d.Iterate(context.Background(), &trs[i])
		})
	}
	wg.Wait()
	return trs
}
