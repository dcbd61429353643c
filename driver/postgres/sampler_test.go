package postgres

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/poolload/poolload/units"
)

// The server's view: a leak_every transaction keeps its connection idle
// in transaction, the pool's acquired count pins at max_open, and the
// load's backends by state show both; run.json's facts hold the settings
// that bound a pool.
func TestSamplerSeesLeakAndFacts(t *testing.T) {
	bothPools(t, func(t *testing.T, pool string) {
		app := uniqueName("pl_leak")
		table := uniqueName("pl_leak_t")
		d := openTest(t, &Config{DSN: withApp(t, testDSN(t), app), Pool: pool, MaxOpen: 3,
			AcquireTimeout: units.Duration(30 * time.Millisecond),
			SetupSQL:       []string{"CREATE TABLE " + table + " (id INT)"},
			TeardownSQL:    []string{"DROP TABLE IF EXISTS " + table},
			Operations: []Operation{{LeakEvery: 2, Tx: []Statement{
				{SQL: "INSERT INTO " + table + " VALUES ($1)", Args: []string{"iter()"}}}}}})
		g0 := gauges(t, d)
		if g0["pg_load_backends"] != 0 || g0["pool_open"] != 0 {
			t.Errorf("a cold pool: %v backends, %v open", g0["pg_load_backends"], g0["pool_open"])
		}
		trs := runVUs(context.Background(), d, 1, 10)
		g := gauges(t, d)
		n := classes(trs)
		t.Logf("%v; pool in use %v, open %v; load backends %v: idle in tx %v, idle %v; all idle in tx %v; commits %v",
			n, g["pool_in_use"], g["pool_open"], g["pg_load_backends"], g["pg_load_idle_in_tx"], g["pg_load_idle"], g["pg_idle_in_tx"], g["pg_xact_commit"])
		if n["none"] != 6 || n["acquire_timeout"] != 4 {
			t.Errorf("want 3 leaks among 6 successes, then acquire timeouts: %v (%v)", n, firstErr(trs))
		}
		if g["pool_in_use"] != 3 || g["pg_load_idle_in_tx"] != 3 || g["pg_load_backends"] != 3 || g["pg_idle_in_tx"] < 3 {
			t.Errorf("the leak is not seen: in use %v, load idle in tx %v of %v backends, all idle in tx %v",
				g["pool_in_use"], g["pg_load_idle_in_tx"], g["pg_load_backends"], g["pg_idle_in_tx"])
		}
		f := d.Describe(context.Background())
		for _, k := range []string{"max_connections", "superuser_reserved_connections", "idle_session_timeout",
			"idle_in_transaction_session_timeout", "tcp_keepalives_idle", "server_version"} {
			if f[k] == "" {
				t.Errorf("fact %s missing: %v", k, f)
			}
		}
		if f["application_name"] != app || f["pool"] != pool || strings.Contains(f["dsn"], "pl-test-pw") {
			t.Errorf("facts: application_name %q, pool %q, dsn %q", f["application_name"], f["pool"], f["dsn"])
		}
	})
}
