package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/poolload/poolload/clock/clocktest"
	pdriver "github.com/poolload/poolload/driver"
	"github.com/poolload/poolload/units"
)

// poolload's wait for SELECT SLEEP(0.02) is what an independent
// go-sql-driver client measures for the same statement on the same server,
// timed in turns with it: the driver adds nothing and leaves nothing out.
func TestWaitMatchesAnIndependentClient(t *testing.T) {
	d := openTest(t, &Config{DSN: testDSN(t), MaxOpen: 1, Operations: []Operation{{SQL: "SELECT SLEEP(0.02)"}}})
	if _, err := d.Prewarm(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	plain, err := sql.Open("mysql", testDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { plain.Close() })
	plain.SetMaxOpenConns(1)
	if err := plain.Ping(); err != nil {
		t.Fatal(err)
	}
	type reading struct{ poolload, plain time.Duration }
	measure := func() reading {
		var trs []pdriver.Trace
		var own []time.Duration
		for range 15 {
			trs = append(trs, runVUs(context.Background(), d, 1, 1)...)
			start := time.Now()
			var v int
			if err := plain.QueryRow("SELECT SLEEP(0.02)").Scan(&v); err != nil {
				t.Fatal(err)
			}
			own = append(own, time.Since(start))
		}
		if n := classes(trs); n["none"] != len(trs) {
			t.Fatalf("errors: %v (%v)", n, firstErr(trs))
		}
		slices.Sort(own)
		return reading{median(trs, func(tr pdriver.Trace) time.Duration { return tr.Wait }), own[len(own)/2]}
	}
	// The independent client's time includes reading the one row, which
	// poolload counts as receiving: wait may be shorter by that, never
	// longer by more than timer noise.
	r := clocktest.Require(t, 20*time.Second, measure,
		func(r reading) bool {
			return r.poolload <= r.plain+200*time.Microsecond && r.poolload >= r.plain-time.Millisecond
		},
		func(r reading) string {
			return fmt.Sprintf("SLEEP(0.02): poolload's wait p50 %v, an independent client's round trip p50 %v", r.poolload, r.plain)
		})
	t.Logf("SLEEP(0.02): poolload's wait p50 %v, an independent client's round trip p50 %v", r.poolload, r.plain)
}

// Σ blocked over the iterations of a warm, starved pool is database/sql's
// own WaitDuration for the same acquires, plus only the few microseconds of
// each acquire that found a free connection.
func TestBlockedIsTheWaitForAConnection(t *testing.T) {
	d := openTest(t, &Config{DSN: testDSN(t), MaxOpen: 2,
		Operations: []Operation{{SQL: "SELECT 1", Hold: units.Duration(5 * time.Millisecond)}}})
	if _, err := d.Prewarm(context.Background(), 2); err != nil {
		t.Fatal(err)
	}
	before := d.DB().Stats()
	trs := runVUs(context.Background(), d, 6, 20)
	after := d.DB().Stats()
	if n := classes(trs); n["none"] != len(trs) {
		t.Fatalf("errors: %v (%v)", n, firstErr(trs))
	}
	if after.OpenConnections != 2 || after.MaxOpenConnections != 2 {
		t.Fatalf("pool stats %+v: want the two prewarmed connections only", after)
	}
	var sum time.Duration
	for _, tr := range trs {
		sum += tr.Blocked
	}
	waited := after.WaitDuration - before.WaitDuration
	slack := time.Duration(len(trs)) * 200 * time.Microsecond
	t.Logf("%d acquires: Σ blocked %v, database/sql's WaitDuration %v (%d waits)", len(trs), sum, waited, after.WaitCount-before.WaitCount)
	if waited <= 0 || sum < waited || sum > waited+slack {
		t.Errorf("Σ blocked %v, database/sql waited %v: want at least that and at most %v more", sum, waited, slack)
	}
}
