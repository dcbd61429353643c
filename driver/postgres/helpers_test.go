package postgres

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	pdriver "github.com/poolload/poolload/driver"
	"github.com/poolload/poolload/driver/pgserver/pgtest"
)

// uniqueName returns a name no other test run uses.
func uniqueName(prefix string) string {
	return fmt.Sprintf("%s_%d_%d", prefix, os.Getpid(), rand.IntN(1_000_000))
}

// testDSN is the test server (pgtest.DSN).
func testDSN(t testing.TB) string { return pgtest.DSN(t) }

// withApp returns dsn whose sessions are named app, so that a test can
// tell its own backends from everyone else's on a shared server.
func withApp(t testing.TB, dsn, app string) string {
	t.Helper()
	return withParam(t, dsn, "application_name", app)
}

// withParam returns dsn with one query parameter set.
func withParam(t testing.TB, dsn, key, value string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}

// start starts a run of cfg and closes it at cleanup.
func start(t testing.TB, cfg Config) *Target {
	t.Helper()
	tg, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatalf("starting the target: %v", err)
	}
	t.Cleanup(func() { tg.Close() })
	return tg
}

// openTest starts, sets up and opens cfg, and undoes it all at cleanup.
func openTest(t *testing.T, cfg *Config) *Driver {
	t.Helper()
	return openTarget(t, start(t, *cfg))
}

// openTarget sets up and opens tg, and tears it down at cleanup.
func openTarget(t *testing.T, tg *Target) *Driver {
	t.Helper()
	ctx := context.Background()
	if err := tg.Setup(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := tg.Teardown(context.Background()); err != nil {
			t.Error(err)
		}
	})
	d, err := tg.open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// runVUs runs vus goroutines of iters iterations each, all starting at
// once, and returns every trace in completion order per VU.
func runVUs(ctx context.Context, d pdriver.Driver, vus, iters int) []pdriver.Trace {
	out := make([][]pdriver.Trace, vus)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for v := range vus {
		wg.Go(func() {
			tr := &pdriver.Trace{VU: uint32(v + 1)}
			<-start
			for i := range iters {
				tr.Reset(uint64(v*iters + i))
				d.Iterate(ctx, tr)
				out[v] = append(out[v], *tr)
			}
		})
	}
	close(start)
	wg.Wait()
	return slices.Concat(out...)
}

// classes counts traces by error class.
func classes(trs []pdriver.Trace) map[string]int {
	n := map[string]int{}
	for _, tr := range trs {
		n[tr.Class.String()]++
	}
	return n
}

// firstErr returns the first error among the traces, for messages.
func firstErr(trs []pdriver.Trace) error {
	for _, tr := range trs {
		if tr.Err != nil {
			return tr.Err
		}
	}
	return nil
}

// median returns the median of f over the traces.
func median(trs []pdriver.Trace, f func(pdriver.Trace) time.Duration) time.Duration {
	v := make([]time.Duration, len(trs))
	for i, tr := range trs {
		v[i] = f(tr)
	}
	slices.Sort(v)
	return v[len(v)/2]
}

// gauges samples d and returns the gauges by name.
func gauges(t *testing.T, d *Driver) map[string]float64 {
	t.Helper()
	names := d.GaugeNames()
	dst := make([]float64, len(names))
	d.Sample(context.Background(), dst)
	out := map[string]float64{}
	for i, n := range names {
		out[n] = dst[i]
	}
	return out
}

// closedPort returns a loopback port nobody listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// adminConn opens a connection of the test's own, closed at cleanup.
func adminConn(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// bothPools runs f once per pool kind, as a subtest.
func bothPools(t *testing.T, f func(t *testing.T, pool string)) {
	for _, p := range []string{PoolPgx, PoolSQL} {
		t.Run(p, func(t *testing.T) { f(t, p) })
	}
}
