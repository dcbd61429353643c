package mysql

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/poolload/poolload/clock/clocktest"
	pdriver "github.com/poolload/poolload/driver"
	"github.com/poolload/poolload/units"
)

func TestColdPoolChargesConnecting(t *testing.T) {
	// The hold keeps all four connections busy at once despite goroutine
	// start-up skew.
	d := openTest(t, &Config{DSN: testDSN(t), MaxOpen: 4,
		Operations: []Operation{{SQL: "SELECT 1", Hold: units.Duration(30 * time.Millisecond)}}})
	trs := runVUs(context.Background(), d, 4, 3)
	if n := classes(trs); n["none"] != len(trs) {
		t.Fatalf("errors: %v (%v)", n, firstErr(trs))
	}
	var connecting time.Duration
	for i, tr := range trs {
		if i%3 != 0 { // later iterations of a VU reuse its connection
			continue
		}
		if tr.Blocked <= 0 || tr.Connecting <= 0 || tr.Connecting > tr.Blocked {
			t.Errorf("first iteration of VU %d: blocked %v connecting %v", tr.VU, tr.Blocked, tr.Connecting)
		}
		if sum := tr.DNS + tr.Dial + tr.Handshake; sum != tr.Connecting || tr.Dial <= 0 || tr.Handshake <= 0 {
			t.Errorf("dns %v + dial %v + handshake %v != connecting %v", tr.DNS, tr.Dial, tr.Handshake, tr.Connecting)
		}
		connecting += tr.Connecting
		t.Logf("cold VU %d: blocked %v connecting %v (dns %v dial %v handshake %v) wait %v",
			tr.VU, tr.Blocked, tr.Connecting, tr.DNS, tr.Dial, tr.Handshake, tr.Wait)
	}
	if opened, _ := d.Opened(); opened != 4 {
		t.Errorf("opened %d connections for 4 concurrent VUs, want 4", opened)
	}
	if n, _ := d.PoolCharged(); n != 0 {
		t.Errorf("%d connections charged to the pool, want all charged to iterations", n)
	}
}

func TestWarmPoolOpensNothing(t *testing.T) {
	d := openTest(t, &Config{DSN: testDSN(t), MaxOpen: 4})
	ready, err := d.Prewarm(context.Background(), 4)
	if err != nil || ready != 4 {
		t.Fatalf("Prewarm = %d, %v", ready, err)
	}
	if g := gauges(t, d); g["conns_opened"] != 4 || g["pool_idle"] != 4 {
		t.Errorf("after prewarm: conns_opened %v pool_idle %v", g["conns_opened"], g["pool_idle"])
	}
	trs := runVUs(context.Background(), d, 4, 10)
	for _, tr := range trs {
		if tr.Class != pdriver.ClassNone || tr.Connecting != 0 {
			t.Fatalf("warm iteration: class %s connecting %v err %v", tr.Class, tr.Connecting, tr.Err)
		}
	}
	g := gauges(t, d)
	if g["conns_opened"] != 0 || g["conns_closed"] != 0 || g["pool_open"] != 4 {
		t.Errorf("under load ≤ prewarm: %v", g)
	}
	t.Logf("warm: blocked p50 %v", median(trs, func(tr pdriver.Trace) time.Duration { return tr.Blocked }))
}

// A statement that sleeps 20 ms on the server has a wait of 20 ms plus
// the round trip: no less, and no more than a SELECT 1's wait on the same
// pool, timed in turns with it, and a millisecond for the server's timer.
func TestSleepWait(t *testing.T) {
	sleeper := openTest(t, &Config{DSN: testDSN(t), MaxOpen: 2,
		Operations: []Operation{{SQL: "SELECT SLEEP(0.02)"}}})
	select1 := openTest(t, &Config{DSN: testDSN(t), MaxOpen: 2,
		Operations: []Operation{{SQL: "SELECT 1"}}})
	for _, d := range []*Driver{sleeper, select1} {
		if _, err := d.Prewarm(context.Background(), 1); err != nil {
			t.Fatal(err)
		}
	}
	type reading struct{ sleep, select1, blocked time.Duration }
	measure := func() reading {
		var sl, s1 []pdriver.Trace
		for range 10 {
			sl = append(sl, runVUs(context.Background(), sleeper, 1, 2)...)
			s1 = append(s1, runVUs(context.Background(), select1, 1, 2)...)
		}
		for _, trs := range [][]pdriver.Trace{sl, s1} {
			if n := classes(trs); n["none"] != len(trs) {
				t.Fatalf("errors: %v (%v)", n, firstErr(trs))
			}
		}
		wait := func(tr pdriver.Trace) time.Duration { return tr.Wait }
		return reading{median(sl, wait), median(s1, wait), median(sl, func(tr pdriver.Trace) time.Duration { return tr.Blocked })}
	}
	r := clocktest.Require(t, 20*time.Second, measure,
		func(r reading) bool { return r.sleep <= 20*time.Millisecond+r.select1+time.Millisecond },
		func(r reading) string {
			return fmt.Sprintf("SLEEP(0.02) wait p50 %v, SELECT 1 wait p50 %v: want 20 ms more, give or take the server's timer (1 ms)", r.sleep, r.select1)
		})
	t.Logf("SLEEP(0.02): wait p50 %v, blocked p50 %v; SELECT 1: wait p50 %v", r.sleep, r.blocked, r.select1)
	if r.sleep < 20*time.Millisecond {
		t.Errorf("SLEEP(0.02) wait p50 %v: want at least 20 ms", r.sleep)
	}
	if r.blocked > r.select1+time.Millisecond {
		t.Errorf("blocked p50 %v on a warm pool (a SELECT 1 waits %v)", r.blocked, r.select1)
	}
}

func TestTimeoutsAndInterrupt(t *testing.T) {
	d := openTest(t, &Config{DSN: testDSN(t), MaxOpen: 1,
		AcquireTimeout: units.Duration(50 * time.Millisecond),
		QueryTimeout:   units.Duration(100 * time.Millisecond),
		Operations:     []Operation{{SQL: "SELECT SLEEP(0.3)"}}})
	ctx := context.Background()
	trs := runVUs(ctx, d, 2, 1)
	n := classes(trs)
	if n["query_timeout"] != 1 || n["acquire_timeout"] != 1 {
		t.Errorf("one query_timeout and one acquire_timeout expected: %v (%v)", n, firstErr(trs))
	}
	for _, tr := range trs {
		if tr.Class == pdriver.ClassQueryTimeout && (tr.Wait < 80*time.Millisecond || tr.Wait > 250*time.Millisecond) {
			t.Errorf("query_timeout after %v", tr.Wait)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	time.AfterFunc(30*time.Millisecond, cancel)
	d.cfg.QueryTimeout = units.Duration(time.Second)
	d.queryTimeout = time.Second
	trs = runVUs(cctx, d, 1, 1)
	if trs[0].Class != pdriver.ClassInterrupted {
		t.Errorf("cancelled run: %s %v", trs[0].Class, trs[0].Err)
	}
}

func TestWorkloadSeedTx(t *testing.T) {
	seed, log := uniqueName("poolload_seed"), uniqueName("poolload_log")
	cfg := &Config{DSN: testDSN(t), MaxOpen: 3,
		SetupSQL:    []string{"CREATE TABLE " + log + " (id BIGINT PRIMARY KEY, vu INT, u CHAR(36), c VARCHAR(10))"},
		TeardownSQL: []string{"DROP TABLE IF EXISTS " + log},
		Seed:        &Seed{Table: seed, Rows: 2500},
		Operations: []Operation{
			{Name: "read", Weight: new(3), SQL: "SELECT k, pad FROM " + seed + " WHERE id = ?", Args: []string{"rand_int(1,2500)"}},
			{Name: "write", Hold: units.Duration(time.Millisecond), Tx: []Statement{
				{SQL: "UPDATE " + seed + " SET k = k + 1 WHERE id = ?", Args: []string{"rand_int(1,2500)"}},
				{SQL: "INSERT INTO " + log + " VALUES (?, ?, ?, ?)", Args: []string{"seq()", "vu()", "uuid()", "choice(a,b)"}},
			}},
		}}
	d := openTest(t, cfg)
	trs := runVUs(context.Background(), d, 3, 30)
	if n := classes(trs); n["none"] != len(trs) {
		t.Fatalf("errors: %v (%v)", n, firstErr(trs))
	}
	var rows, logged int
	if err := d.mon.QueryRow("SELECT COUNT(*) FROM " + seed).Scan(&rows); err != nil || rows != 2500 {
		t.Errorf("seed rows %d, %v", rows, err)
	}
	if err := d.mon.QueryRow("SELECT COUNT(*) FROM " + log).Scan(&logged); err != nil || logged == 0 || logged == len(trs) {
		t.Errorf("logged %d of %d iterations (want some, not all): %v", logged, len(trs), err)
	}
	receiving := 0
	for _, tr := range trs {
		if tr.Receiving > 0 {
			receiving++
		}
	}
	if receiving == 0 || receiving == len(trs) {
		t.Errorf("%d of %d iterations received rows", receiving, len(trs))
	}
	d.Close()
	if err := d.target.Teardown(context.Background()); err != nil {
		t.Fatal(err)
	}
	d2 := openTest(t, &Config{DSN: testDSN(t)})
	var left int
	d2.mon.QueryRow("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_NAME IN (?, ?)", seed, log).Scan(&left)
	if left != 0 {
		t.Errorf("teardown left %d tables", left)
	}
}

func TestSampleDescribe(t *testing.T) {
	d := openTest(t, &Config{DSN: testDSN(t), MaxOpen: 3})
	runVUs(context.Background(), d, 2, 2)
	g := gauges(t, d)
	if len(g) != len(gaugeNames) {
		t.Fatalf("gauges %v", g)
	}
	for _, n := range gaugeNames {
		if math.IsNaN(g[n]) {
			t.Errorf("gauge %s is NaN", n)
		}
	}
	// Two VUs open one connection or two: the first can finish both its
	// iterations before the second starts. Either way the driver's count
	// must match the pool's, since none was closed (max_idle 3).
	if n := g["conns_opened"]; n < 1 || n > 2 || n != g["pool_open"] || g["conns_closed"] != 0 ||
		g["threads_connected"] < 2 || g["questions"] < 4 {
		t.Errorf("gauges: %v", g)
	}
	desc := d.Describe(context.Background())
	for _, k := range []string{"server_version", "max_connections", "wait_timeout", "thread_cache_size", "dsn", "max_idle"} {
		if desc[k] == "" {
			t.Errorf("Describe lacks %s: %v", k, desc)
		}
	}
	if desc["max_idle"] != "3" || desc["check_conn_liveness"] != "true" {
		t.Errorf("Describe: %v", desc)
	}
}

func TestUnreachableFailsFast(t *testing.T) {
	addr := closedPort(t)
	cfg := Config{DSN: "root:" + secret + "@tcp(" + addr + ")/test", ConnectTimeout: units.Duration(2 * time.Second)}
	begin := time.Now()
	_, err := start(t, cfg).Open(context.Background())
	took := time.Since(begin)
	var oe *OpenError
	if !errors.As(err, &oe) || oe.Class != pdriver.ClassConnectRefused {
		t.Fatalf("Open = %v, want connect_refused", err)
	}
	if took > 2*time.Second {
		t.Errorf("took %v, connect_timeout is 2s", took)
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("error shows the password: %v", err)
	}
	t.Logf("unreachable: %v after %v", err, took)
}

func TestWrongPasswordAccessDenied(t *testing.T) {
	dsn := testDSN(t)
	bad := strings.Replace(dsn, "root@", "root:"+secret+"@", 1)
	if bad == dsn {
		t.Skip("test DSN is not root@...")
	}
	tg := start(t, Config{DSN: bad, SetupSQL: []string{"SELECT 1"}})
	_, err := tg.Open(context.Background())
	var oe *OpenError
	if !errors.As(err, &oe) || oe.Class != pdriver.ClassAccessDenied {
		t.Fatalf("Open = %v, want access_denied", err)
	}
	setupErr := tg.Setup(context.Background())
	for _, e := range []error{err, setupErr} {
		if e == nil || strings.Contains(e.Error(), secret) {
			t.Errorf("error missing or shows the password: %v", e)
		}
	}
	t.Logf("wrong password: %v", err)
}

func TestIterateAllocs(t *testing.T) {
	d := openTest(t, &Config{DSN: testDSN(t), MaxOpen: 1,
		Operations: []Operation{{SQL: "SELECT ?", Args: []string{"rand_int(1,100)"}}}})
	tr := &pdriver.Trace{VU: 1}
	ctx := context.Background()
	d.Iterate(ctx, tr)
	allocs := testing.AllocsPerRun(200, func() { tr.Reset(0); d.Iterate(ctx, tr) })
	t.Logf("allocations per iteration (warm, SELECT ? with one arg): %.1f", allocs)
	if allocs > 40 {
		t.Errorf("%.1f allocations per iteration", allocs)
	}
}

// BenchmarkIterate measures one warm iteration (SELECT ? with one generated
// argument) against the test server: mostly the server round trip, plus the
// allocations of database/sql, the driver and ours.
func BenchmarkIterate(b *testing.B) {
	dsn := os.Getenv("POOLLOAD_TEST_DSN")
	if dsn == "" {
		dsn = "root@tcp(127.0.0.1:3306)/test"
	}
	d, err := start(b, Config{DSN: dsn, MaxOpen: 1,
		Operations: []Operation{{SQL: "SELECT ?", Args: []string{"rand_int(1,100000)"}}}}).open(context.Background())
	if err != nil {
		b.Skip(err)
	}
	defer d.Close()
	tr := &pdriver.Trace{VU: 1}
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		tr.Reset(uint64(i))
		d.Iterate(ctx, tr)
		if tr.Err != nil {
			b.Fatal(tr.Err)
		}
	}
}
