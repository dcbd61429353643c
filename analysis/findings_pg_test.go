package analysis

import (
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/poolload/poolload/analysis/testrecord"
	"github.com/poolload/poolload/record"
)

func TestPgDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"0": 0, "2s": 2 * time.Second, "500ms": 500 * time.Millisecond,
		"10min": 10 * time.Minute, "1h": time.Hour, "1d": 24 * time.Hour, "2000": 2 * time.Second} {
		if got, ok := pgDuration(in); !ok || got != want {
			t.Errorf("pgDuration(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "s", "2 fortnights", "28800x"} {
		if _, ok := pgDuration(in); ok {
			t.Errorf("pgDuration(%q) parsed", in)
		}
	}
}

// pgTarget is a pgxpool of 10 on a PostgreSQL server with room to spare,
// as the postgres target describes it.
func pgTarget() map[string]string {
	return map[string]string{"max_open": "10", record.FactMaxConnections: "100", record.FactSuperuserReserved: "3",
		record.FactBaselineBackends: "1", record.FactIdleSessionTimeout: "0", record.FactIdleInTxTimeout: "0",
		"conn_max_idle_time": "0s", "conn_max_lifetime": "0s"}
}

// pgRow is one second of a pool keeping up with 100/s, as the postgres
// target's gauges show it.
func pgRow(kv map[string]float64) map[string]float64 {
	r := map[string]float64{"iterations": 100, "service_p50_ms": 20, "schedule_lag_p99_ms": 1, "pool_in_use": 3,
		record.VUsBusy: 2, record.PgLoadBackends: 5, record.PgLoadIdleInTx: 0}
	maps.Copy(r, kv)
	return r
}

func TestDiagnosePostgres(t *testing.T) {
	for _, tc := range []struct {
		name    string
		target  map[string]string  // changes to pgTarget
		idleTx  []float64          // pg_load_idle_in_tx of the six seconds
		last    map[string]float64 // the last second's changes
		row     map[string]float64 // every second's changes
		id, sev string             // "" for no finding
		want    []string           // in the evidence, then the recommendation
	}{
		{name: "healthy"},
		// Transactions in flight show idle in transaction between their
		// statements; they come and go.
		{name: "transactions in flight", idleTx: []float64{0, 2, 1, 0, 3, 0}, last: map[string]float64{record.VUsBusy: 0, "pool_in_use": 0}},
		// Still in flight in the last sample: not proof of a leak.
		{name: "busy at the end", idleTx: []float64{0, 1, 2, 3, 4, 4}},
		{name: "one sample only", idleTx: []float64{0, 0, 0, 0, 0, 2}, last: map[string]float64{record.VUsBusy: 0}},
		// Another client of the same user and application name on a
		// shared server: the pool has all its connections back.
		{name: "someone else's", idleTx: []float64{0, 1, 2, 3, 4, 4}, last: map[string]float64{record.VUsBusy: 0, "pool_in_use": 0}},
		{name: "idle in transaction left behind", idleTx: []float64{0, 1, 2, 3, 4, 4}, last: map[string]float64{record.VUsBusy: 0, "pool_in_use": 4},
			id: "connection-leak", sev: SevWarning,
			want: []string{"4 of the load's connections were idle in transaction (pg_load_idle_in_tx) at the end of the window, rising from 1 at 1 s",
				"the pool still counted 4 connections in use (pool_in_use) of max_open=10", "idle_in_transaction_session_timeout, off (0) on this server"}},
		{name: "idle session timeout", target: map[string]string{record.FactIdleSessionTimeout: "2s"},
			row: map[string]float64{record.BadConnChecks: 3}, id: "idle-connection-deaths", sev: SevWarning,
			want: []string{"idle_session_timeout=2s", "conn_max_idle_time to 1.5s (below the server's idle_session_timeout=2s)"}},
		{name: "idle session timeout off", row: map[string]float64{record.BadConnChecks: 3}},
		{name: "idle session timeout below the pool's idle time",
			target: map[string]string{record.FactIdleSessionTimeout: "2s", "conn_max_idle_time": "1s"},
			row:    map[string]float64{record.BadConnChecks: 3}},
		// 14 − 3 reserved − 1 other backend − the monitor leaves 9 for a
		// pool of 10.
		{name: "headroom less the reserved slots", target: map[string]string{record.FactMaxConnections: "14"},
			id: "server-connection-headroom", sev: SevCritical,
			want: []string{"max_connections=14 less 3 superuser_reserved_connections with 2 already connected", "at or below 7", "at least 18"}},
		{name: "refused", row: map[string]float64{"errors_too_many_connections": 2}, id: "server-connection-headroom", sev: SevCritical},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tgt := pgTarget()
			maps.Copy(tgt, tc.target)
			var rows []record.Row
			for i := range 6 {
				r := pgRow(tc.row)
				if tc.idleTx != nil {
					r[record.PgLoadIdleInTx] = tc.idleTx[i]
				}
				if i == 5 {
					maps.Copy(r, tc.last)
				}
				rows = append(rows, testrecord.Rows("v", i, 1, r)...)
			}
			fs := Diagnose(testrecord.InMemory{Target: tgt, Rows: rows}.Record(), nil)
			if tc.id == "" {
				if len(fs) != 0 {
					t.Fatalf("want no finding, got %+v", fs)
				}
				return
			}
			if len(fs) != 1 || fs[0].ID != tc.id || fs[0].Severity != tc.sev {
				t.Fatalf("want one %s %s, got %+v", tc.sev, tc.id, fs)
			}
			text := fs[0].Evidence + " | " + fs[0].Recommendation
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("%q lacks %q", text, w)
				}
			}
		})
	}
}

// A pool pinned by leaked transactions: the leak finding names the
// connections idle in transaction on the server.
func TestDiagnoseLeakNamesIdleInTransaction(t *testing.T) {
	rows := testrecord.Rows("v", 0, 1, pgRow(map[string]float64{"pool_in_use": 10, record.PgLoadIdleInTx: 10}))
	rows = append(rows, testrecord.Rows("v", 1, 4, pgRow(map[string]float64{"pool_in_use": 10, record.PgLoadIdleInTx: 10,
		"iterations": 0, "dropped": 100, "dropped_pool": 100}))...)
	fs := Diagnose(testrecord.InMemory{Target: pgTarget(), Rows: rows}.Record(), nil)
	if len(fs) != 1 || fs[0].ID != "connection-leak" || fs[0].Severity != SevCritical ||
		!strings.Contains(fs[0].Evidence, "on the server 10 of the load's connections were idle in transaction (pg_load_idle_in_tx) at the end of the window, from 0 s on") ||
		!strings.Contains(fs[0].Recommendation, "without COMMIT or ROLLBACK") {
		t.Fatalf("got %+v", fs)
	}
}
