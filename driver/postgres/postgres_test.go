package postgres

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/poolload/poolload/clock/clocktest"
	pdriver "github.com/poolload/poolload/driver"
	"github.com/poolload/poolload/units"
)

// A statement that sleeps 20 ms waits 20 ms more than SELECT 1 does,
// within 5%: wait runs to the first row, not to the row description that
// the extended protocol sends before the statement runs.
func TestSleepWait(t *testing.T) {
	bothPools(t, func(t *testing.T, pool string) {
		sleeper := openTest(t, &Config{DSN: testDSN(t), Pool: pool, MaxOpen: 2,
			Operations: []Operation{{SQL: "SELECT pg_sleep(0.02)"}}})
		select1 := openTest(t, &Config{DSN: testDSN(t), Pool: pool, MaxOpen: 2,
			Operations: []Operation{{SQL: "SELECT 1"}}})
		for _, d := range []*Driver{sleeper, select1} {
			if _, err := d.Prewarm(context.Background(), 1); err != nil {
				t.Fatal(err)
			}
		}
		type reading struct{ sleep, select1, blocked, receiving time.Duration }
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
			return reading{median(sl, wait), median(s1, wait),
				median(sl, func(tr pdriver.Trace) time.Duration { return tr.Blocked }),
				median(sl, func(tr pdriver.Trace) time.Duration { return tr.Receiving })}
		}
		within := func(r reading) bool {
			extra := r.sleep - r.select1
			return extra >= 19*time.Millisecond && extra <= 21*time.Millisecond
		}
		r := clocktest.Require(t, 20*time.Second, measure, within, func(r reading) string {
			return fmt.Sprintf("pg_sleep(0.02) wait p50 %v, SELECT 1 wait p50 %v: want 20 ms more, within 5%%", r.sleep, r.select1)
		})
		t.Logf("pg_sleep(0.02): wait p50 %v, receiving p50 %v, blocked p50 %v; SELECT 1: wait p50 %v", r.sleep, r.receiving, r.blocked, r.select1)
		if !within(r) {
			t.Errorf("pg_sleep(0.02) wait p50 %v is not 20 ms ± 5%% above SELECT 1's %v", r.sleep, r.select1)
		}
		if r.receiving > time.Millisecond {
			t.Errorf("receiving p50 %v: the sleep was counted after the first row", r.receiving)
		}
		if r.blocked > r.select1+time.Millisecond {
			t.Errorf("blocked p50 %v on a warm pool (a SELECT 1 waits %v)", r.blocked, r.select1)
		}
	})
}

// Timeouts are told apart by where they happen: the pool (blocked) or
// the server (a statement); a run that ends interrupts, never fails.
func TestTimeoutsAndInterrupt(t *testing.T) {
	bothPools(t, func(t *testing.T, pool string) {
		d := openTest(t, &Config{DSN: testDSN(t), Pool: pool, MaxOpen: 1,
			AcquireTimeout: units.Duration(50 * time.Millisecond),
			QueryTimeout:   units.Duration(100 * time.Millisecond),
			Operations:     []Operation{{SQL: "SELECT pg_sleep(0.3)"}}})
		trs := runVUs(context.Background(), d, 2, 1)
		n := classes(trs)
		if n["query_timeout"] != 1 || n["acquire_timeout"] != 1 {
			t.Errorf("one query_timeout and one acquire_timeout expected: %v (%v)", n, firstErr(trs))
		}
		for _, tr := range trs {
			if tr.Class == pdriver.ClassQueryTimeout && (tr.Wait < 80*time.Millisecond || tr.Wait > 250*time.Millisecond) {
				t.Errorf("query_timeout after %v", tr.Wait)
			}
		}
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel)
		d.queryTimeout = time.Second
		trs = runVUs(ctx, d, 1, 1)
		if trs[0].Class != pdriver.ClassInterrupted {
			t.Errorf("cancelled run: %s %v", trs[0].Class, trs[0].Err)
		}
	})
}

// The server's own errors map by SQLSTATE: a statement_timeout is a
// query_timeout, a deadlock a deadlock, a syntax error other.
func TestServerErrorClasses(t *testing.T) {
	d := openTest(t, &Config{DSN: testDSN(t), MaxOpen: 2, Params: map[string]string{"statement_timeout": "50"},
		Operations: []Operation{{SQL: "SELECT pg_sleep(0.2)"}}})
	if trs := runVUs(context.Background(), d, 1, 1); trs[0].Class != pdriver.ClassQueryTimeout {
		t.Errorf("statement_timeout: %s %v", trs[0].Class, trs[0].Err)
	}
	bad := openTest(t, &Config{DSN: testDSN(t), MaxOpen: 1, Operations: []Operation{{SQL: "SELEKT 1"}}})
	if trs := runVUs(context.Background(), bad, 1, 1); trs[0].Class != pdriver.ClassOther {
		t.Errorf("syntax error: %s %v", trs[0].Class, trs[0].Err)
	}
}

// A new connection's setup splits into dns, dial, tls and the startup and
// authentication after it, and the parts add up to connecting. tls is
// there only when the connection negotiated TLS (the machine's server has
// ssl on, as Debian's does).
func TestConnectingSplit(t *testing.T) {
	bothPools(t, func(t *testing.T, pool string) {
		for _, mode := range []string{"disable", "require"} {
			dsn := withParam(t, testDSN(t), "sslmode", mode)
			d := openTest(t, &Config{DSN: dsn, Pool: pool, MaxOpen: 3, Operations: []Operation{{SQL: "SELECT 1"}}})
			trs := runVUs(context.Background(), d, 3, 1)
			if n := classes(trs); n["none"] != len(trs) {
				t.Fatalf("sslmode=%s: errors: %v (%v)", mode, n, firstErr(trs))
			}
			opened := 0
			for _, tr := range trs {
				if tr.Connecting == 0 {
					continue
				}
				opened++
				parts := tr.DNS + tr.Dial + tr.TLS + tr.Handshake
				if parts != tr.Connecting || tr.Dial <= 0 || tr.Handshake <= 0 || (tr.TLS > 0) != (mode == "require") {
					t.Errorf("sslmode=%s: dns %v + dial %v + tls %v + startup %v = %v, connecting %v",
						mode, tr.DNS, tr.Dial, tr.TLS, tr.Handshake, parts, tr.Connecting)
				}
			}
			if opened == 0 {
				t.Errorf("sslmode=%s: no iteration opened a connection", mode)
			}
		}
	})
}
