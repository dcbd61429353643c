package postgres

import (
	"context"
	"testing"
	"time"

	pdriver "github.com/poolload/poolload/driver"
	"github.com/poolload/poolload/units"
)

// A managed server with few connection slots refuses the pool's third
// connection with SQLSTATE 53300 (too_many_connections): the reserved
// superuser slots do not serve the load's role. Its facts say so.
func TestManagedTooManyConnections(t *testing.T) {
	d := openTest(t, &Config{Server: ServerManaged, Pool: PoolPgx, MaxOpen: 4,
		ServerVars: map[string]string{"max_connections": "6", "superuser_reserved_connections": "3"},
		Operations: []Operation{{SQL: "SELECT pg_sleep(0.1)"}}})
	trs := runVUs(context.Background(), d, 4, 1)
	n := classes(trs)
	// The monitor holds one of the three slots the role may use.
	if n["none"] != 2 || n["too_many_connections"] != 2 {
		t.Errorf("want 2 served and 2 refused: %v (%v)", n, firstErr(trs))
	}
	f := d.Describe(context.Background())
	if f["max_connections"] != "6" || f["superuser_reserved_connections"] != "3" || f["server"] != ServerManaged {
		t.Errorf("facts: %v", f)
	}
}

// Connections idle past the server's idle_session_timeout die in the
// pool; the liveness check finds them (bad_conn_checks) and the pool
// opens new ones, so iterations still succeed.
func TestManagedIdleSessionTimeout(t *testing.T) {
	bothPools(t, func(t *testing.T, pool string) {
		d := openTest(t, &Config{Server: ServerManaged, Pool: pool, MaxOpen: 2,
			ServerVars:     map[string]string{"idle_session_timeout": "400"},
			AcquireTimeout: units.Duration(2 * time.Second)})
		if _, err := d.Prewarm(context.Background(), 2); err != nil {
			t.Fatal(err)
		}
		gauges(t, d)
		time.Sleep(1500 * time.Millisecond) // past the timeout and the pools' 1 s ping threshold
		trs := runVUs(context.Background(), d, 2, 3)
		g := gauges(t, d)
		if n := classes(trs); n["none"] != len(trs) {
			t.Errorf("errors: %v (%v)", n, firstErr(trs))
		}
		if g["bad_conn_checks"] != 2 || g["conns_opened"] < 2 {
			t.Errorf("bad_conn_checks %v, conns_opened %v: the dead connections were not found", g["bad_conn_checks"], g["conns_opened"])
		}
		for _, tr := range trs {
			if tr.Class != pdriver.ClassNone {
				t.Logf("%s: %v", tr.Class, tr.Err)
			}
		}
	})
}
