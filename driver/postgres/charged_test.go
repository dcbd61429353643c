package postgres

import (
	"context"
	"testing"
	"time"

	pdriver "github.com/poolload/poolload/driver"
	"github.com/poolload/poolload/units"
)

// Every connection the pool opens is charged exactly once: to the
// iteration that waited for it (connecting > 0) or to
// conns_opened_by_pool, and the server saw exactly as many new backends
// for the load's application_name. The load is shaped to make the pools
// open connections no iteration waits for: pgxpool's min_conns (opened
// by its health check), setups that outlive an acquire_timeout (pgxpool
// finishes them on a goroutine of its own), and database/sql's opener
// goroutine replacing connections that conn_max_lifetime expired for
// acquires already queued.
func TestEveryConnectionChargedOnce(t *testing.T) {
	bothPools(t, func(t *testing.T, pool string) {
		for _, short := range []bool{false, true} {
			t.Run(map[bool]string{false: "no errors", true: "acquire timeouts"}[short], func(t *testing.T) {
				chargedOnce(t, pool, short)
			})
		}
	})
}

// chargedOnce runs the load; short makes acquires time out. A setup
// that failed is charged to its iteration and opens nothing, and an
// iteration can time out just after its setup succeeded (the connection
// then waits idle in the pool): with timeouts, the iterations with
// connecting > 0 that succeeded and all of them bound the count instead
// of equalling it. A setup canceled after the server started its backend
// is one the server saw and the pool did not open: conns_failed.
func chargedOnce(t *testing.T, pool string, short bool) {
	app := uniqueName("pl_charged")
	cfg := &Config{DSN: withApp(t, testDSN(t), app), Pool: pool, MaxOpen: 3,
		ConnMaxLifetime: units.Duration(150 * time.Millisecond),
		Operations:      []Operation{{SQL: "SELECT 1", Hold: units.Duration(10 * time.Millisecond)}}}
	if short {
		cfg.AcquireTimeout = units.Duration(8 * time.Millisecond)
	}
	if pool == PoolPgx {
		cfg.MinConns = 2
	}
	srv := watchApp(t, app)
	d := openTest(t, cfg) // the first Sample's deltas count from here
	// pgxpool opens min_conns in the background: let it, or the VUs'
	// acquires may fill the pool first.
	for deadline := time.Now().Add(5 * time.Second); d.px != nil && int(d.px.Stat().TotalConns()) < cfg.MinConns; {
		if time.Now().After(deadline) {
			t.Fatal("pgxpool did not open min_conns within 5 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	trs := runVUs(context.Background(), d, 6, 25)
	settleConstructing(t, d)
	g := gauges(t, d)
	seen := srv.stop()
	waited, waitedOK := 0, 0
	for _, tr := range trs {
		if tr.Connecting > 0 {
			waited++
			if tr.Class == pdriver.ClassNone {
				waitedOK++
			}
		}
		if tr.Connecting > tr.Blocked+time.Millisecond {
			t.Errorf("connecting %v > blocked %v", tr.Connecting, tr.Blocked)
		}
	}
	opened, byPool, failed := int(g["conns_opened"]), int(g["conns_opened_by_pool"]), int(g["conns_failed"])
	n := classes(trs)
	t.Logf("%d iterations (%v): %d waited for a new connection (%d succeeded), %d opened by the pool (%.3f ms of setup), %d opened, %d failed, the server saw %d",
		len(trs), n, waited, waitedOK, byPool, g["conns_opened_by_pool_ms"], opened, failed, seen)
	switch {
	case n["none"] == 0 || n["none"]+n["acquire_timeout"] != len(trs) || !short && n["none"] != len(trs):
		t.Fatalf("errors: %v (%v)", n, firstErr(trs))
	case !short && waited+byPool != opened:
		t.Errorf("%d iterations with connecting > 0 + %d opened by the pool != %d conns_opened", waited, byPool, opened)
	case short && (waitedOK+byPool > opened || opened > waited+byPool):
		t.Errorf("conns_opened %d is not between %d and %d (iterations with connecting > 0, succeeded and all, + %d by the pool)",
			opened, waitedOK+byPool, waited+byPool, byPool)
	}
	// The watch polls every 2 ms: a failed setup's backend may end
	// before it is seen, an opened connection's lives far longer.
	switch {
	case !short && failed != 0:
		t.Errorf("conns_failed %d on a run without errors", failed)
	case seen < opened || seen > opened+failed:
		t.Errorf("the server saw %d new backends named %s, not between conns_opened %d and conns_opened + conns_failed %d",
			seen, app, opened, opened+failed)
	}
	if byPool == 0 || !(g["conns_opened_by_pool_ms"] > 0) {
		t.Errorf("no connection opened by the pool (%v ms): the pool's own opening was not exercised", g["conns_opened_by_pool_ms"])
	}
}

// settleConstructing waits until no connection is being set up, so that
// every setup the run started has been charged.
func settleConstructing(t *testing.T, d *Driver) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for d.px != nil && d.px.Stat().ConstructingConns() > 0 {
		if time.Now().After(deadline) {
			t.Fatal("connections still being set up after 5 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // the tracer's end runs after the pool counts the setup done
}

// appWatch collects, from pg_stat_activity, the pids of the backends
// named app that were not there when it started: the server's own count
// of the new connections. It polls every 2 ms, far under the life of a
// pooled connection here.
type appWatch struct {
	done chan struct{}
	seen chan int
}

func watchApp(t *testing.T, app string) *appWatch {
	t.Helper()
	conn := adminConn(t, testDSN(t))
	before := map[int32]bool{}
	list := func() []int32 {
		rows, err := conn.Query(context.Background(), "SELECT pid FROM pg_stat_activity WHERE application_name = $1", app)
		if err != nil {
			t.Error(err)
			return nil
		}
		defer rows.Close()
		var out []int32
		for rows.Next() {
			var pid int32
			if err := rows.Scan(&pid); err == nil {
				out = append(out, pid)
			}
		}
		return out
	}
	for _, p := range list() {
		before[p] = true
	}
	w := &appWatch{done: make(chan struct{}), seen: make(chan int, 1)}
	go func() {
		fresh := map[int32]bool{}
		for {
			for _, p := range list() {
				if !before[p] {
					fresh[p] = true
				}
			}
			select {
			case <-w.done:
				w.seen <- len(fresh)
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	return w
}

// stop ends the watch and returns how many new backends it saw.
func (w *appWatch) stop() int {
	close(w.done)
	return <-w.seen
}
