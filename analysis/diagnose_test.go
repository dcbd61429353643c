package analysis

import (
	"bytes"
	"maps"
	"math"
	"strings"
	"testing"

	"github.com/poolload/poolload/analysis/testrecord"
)

// healthyTarget is a 10-connection pool on a server with room to spare.
func healthyTarget() map[string]string {
	return map[string]string{"max_open": "10", "max_connections": "151", "baseline_threads_connected": "1",
		"wait_timeout": "28800", "conn_max_idle_time": "0s", "conn_max_lifetime": "0s", "thread_cache_size": "151"}
}

// healthyRow is one second of a pool keeping up with 100/s easily.
func healthyRow() map[string]float64 {
	return map[string]float64{"iterations": 100, "service_p50_ms": 20, "blocked_p50_ms": 0,
		"schedule_lag_p99_ms": 1, "pool_in_use": 3, "pool_wait_count": 0, "threads_running": 1,
		"threads_connected": 11, "connections": 0, "threads_created": 0}
}

// with returns healthyRow with some columns changed.
func with(kv map[string]float64) map[string]float64 {
	r := healthyRow()
	maps.Copy(r, kv)
	return r
}

func TestDiagnose(t *testing.T) {
	for _, tc := range []struct {
		name    string
		target  map[string]string // changes to healthyTarget
		offered float64
		load    map[string]any     // the scenario's load block, beyond its rate
		row     map[string]float64 // every second but the first
		id, sev string             // "" for no finding
		want    string             // in the recommendation
	}{
		{name: "healthy"},
		{name: "generator", row: map[string]float64{"schedule_lag_p99_ms": 200},
			id: "generator-saturated", sev: SevCritical, want: "less loaded machine"},
		{name: "generator busy pool is not the generator", row: map[string]float64{"schedule_lag_p99_ms": 200, "pool_in_use": 10, "dropped_pool": 5}},
		{name: "starvation", offered: 1000,
			row: map[string]float64{"pool_in_use": 10, "pool_wait_count": 50, "dropped_pool": 20, "service_p50_ms": 100, "blocked_p50_ms": 80},
			id:  "pool-starvation", sev: SevCritical, want: "max_open to 24 (Little's law: 1000/s × 20.0 ms hold"},
		{name: "starvation in stalls, the median hold fits", offered: 1000,
			row: map[string]float64{"pool_in_use": 10, "pool_wait_count": 50, "dropped_pool": 20, "service_p50_ms": 0.5, "blocked_p50_ms": 0.1, "service_p99_ms": 40},
			id:  "pool-starvation", sev: SevWarning, want: "needs only 0.4 connections (Little's law: 1000/s × 0.40 ms), so the pool fills when holds spike (service p99 40.0 ms"},
		{name: "starvation server-bound", offered: 1000,
			row: map[string]float64{"pool_in_use": 10, "pool_wait_count": 50, "dropped_pool": 20, "service_p50_ms": 100, "blocked_p50_ms": 80, "threads_running": 10},
			id:  "pool-starvation", sev: SevCritical, want: "the server is busy executing"},
		{name: "too few VUs", offered: 1000, row: map[string]float64{"dropped_vus": 30},
			id: "too-few-vus", sev: SevWarning, want: "pre_allocated_vus to 30 (1000/s × 20.0 ms"},
		{name: "too few VUs for a steady target", offered: 1000, load: map[string]any{"max_vus": 10},
			row: map[string]float64{"dropped_target": 30},
			id:  "too-few-vus", sev: SevWarning, want: "pre_allocated_vus to 30 (1000/s × 20.0 ms"},
		{name: "enough pre-allocated VUs, a stall", offered: 1000, load: map[string]any{"pre_allocated_vus": 40, "max_vus": 60},
			row: map[string]float64{"dropped_vus": 5}},
		{name: "a failing target is not short of VUs", offered: 1000, load: map[string]any{"max_vus": 10},
			row: map[string]float64{"dropped_target": 30, "errors": 50}},
		{name: "enough VUs for a slow target", offered: 100, load: map[string]any{"max_vus": 10},
			row: map[string]float64{"dropped_target": 30}},
		{name: "idle deaths", target: map[string]string{"wait_timeout": "2"}, row: map[string]float64{"bad_conn_checks": 3},
			id: "idle-connection-deaths", sev: SevWarning, want: "conn_max_idle_time to 1.5s"},
		{name: "idle deaths with errors", target: map[string]string{"wait_timeout": "2"}, row: map[string]float64{"errors_bad_connection": 1},
			id: "idle-connection-deaths", sev: SevCritical, want: "conn_max_idle_time to 1.5s"},
		{name: "idle deaths on the link", target: map[string]string{"network.reset_idle_after": "1s"},
			row: map[string]float64{"bad_conn_checks": 3, "link_resets": 3},
			id:  "idle-connection-deaths", sev: SevWarning, want: "conn_max_idle_time to 750ms (below the network's idle timeout (reset_idle_after=1s))"},
		{name: "idle below wait_timeout", target: map[string]string{"wait_timeout": "2", "conn_max_idle_time": "1s"},
			row: map[string]float64{"bad_conn_checks": 3}},
		{name: "headroom", target: map[string]string{"max_open": "150"},
			id: "server-connection-headroom", sev: SevCritical, want: "at or below 120"},
		{name: "headroom near", target: map[string]string{"max_open": "125"},
			id: "server-connection-headroom", sev: SevWarning, want: "max_connections to at least 158"},
		{name: "too many connections", row: map[string]float64{"errors_too_many_connections": 2},
			id: "server-connection-headroom", sev: SevCritical},
		{name: "thread cache", target: map[string]string{"thread_cache_size": "4"},
			row: map[string]float64{"connections": 20, "threads_created": 18, "threads_connected": 21},
			id:  "thread-cache-misses", sev: SevInfo, want: "thread_cache_size to at least 21"},
		{name: "thread cache only cold", row: map[string]float64{"connections": 20, "threads_created": 18, "threads_connected": 21}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tgt := healthyTarget()
			maps.Copy(tgt, tc.target)
			rows := append(testrecord.Rows("v", 0, 1, healthyRow()), testrecord.Rows("v", 1, 5, with(tc.row))...)
			m := testrecord.InMemory{Target: tgt, Offered: tc.offered, Rows: rows}
			if tc.load != nil {
				tc.load["rate"] = tc.offered
				m.Scenario = map[string]any{"load": tc.load}
			}
			fs := Diagnose(m.Record(), nil)
			if tc.id == "" {
				if len(fs) != 0 {
					t.Fatalf("want no finding, got %+v", fs)
				}
				return
			}
			if len(fs) != 1 || fs[0].ID != tc.id || fs[0].Severity != tc.sev {
				t.Fatalf("want one %s %s, got %+v", tc.sev, tc.id, fs)
			}
			if !strings.Contains(fs[0].Recommendation, tc.want) {
				t.Errorf("recommendation %q lacks %q", fs[0].Recommendation, tc.want)
			}
			if fs[0].Statement == "" || fs[0].Evidence == "" {
				t.Errorf("empty statement or evidence: %+v", fs[0])
			}
		})
	}
}

func TestDiagnoseOrder(t *testing.T) {
	tgt := healthyTarget()
	tgt["thread_cache_size"] = "4"
	// A thread-cache miss (info) and a lagging generator (critical): the
	// critical one comes first.
	rows := testrecord.Rows("v", 0, 5, with(map[string]float64{"schedule_lag_p99_ms": 200,
		"connections": 20, "threads_created": 18, "threads_connected": 21}))
	fs := Diagnose(testrecord.InMemory{Target: tgt, Rows: rows}.Record(), nil)
	if len(fs) != 2 || fs[0].ID != "generator-saturated" || fs[1].ID != "thread-cache-misses" {
		t.Fatalf("got %+v", fs)
	}
}

func TestWriteFindings(t *testing.T) {
	var b bytes.Buffer
	WriteFindings(&b, nil)
	if s := b.String(); !strings.Contains(s, "no problem found") || !strings.Contains(s, "pool starvation") {
		t.Errorf("healthy output: %q", s)
	}
	b.Reset()
	WriteFindings(&b, []Finding{{ID: "pool-starvation", Severity: SevCritical, Statement: "too small",
		Evidence: "pinned", Recommendation: "set max_open to 24"}})
	for _, want := range []string{"[critical] pool-starvation: too small", "evidence: pinned", "do: set max_open to 24"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, b.String())
		}
	}
}

func TestDiagnoseColdStart(t *testing.T) {
	warm := testrecord.Rows("warm", 0, 4, with(map[string]float64{"latency_p99_ms": 12, "pool_in_use": 9}))
	for _, tc := range []struct {
		name    string
		first   map[string]float64 // the cold run's first second
		id, sev string
	}{
		{"slow while opening", map[string]float64{"latency_p99_ms": 40, "conns_opened": 9, "connecting_p99_ms": 25, "blocked_p99_ms": 26},
			"cold-start-penalty", SevInfo},
		{"drops while opening", map[string]float64{"latency_p99_ms": 12, "conns_opened": 9, "dropped": 5}, "cold-start-penalty", SevWarning},
		{"no slower than warm", map[string]float64{"latency_p99_ms": 12.5, "conns_opened": 9}, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cold := append(testrecord.Rows("cold", 0, 1, with(tc.first)),
				testrecord.Rows("cold", 1, 3, with(map[string]float64{"latency_p99_ms": 12}))...)
			rec := testrecord.InMemory{Target: healthyTarget(), Rows: append(cold, warm...),
				Prewarmed: map[string]int{"warm": 32}}.Record()
			fs := Diagnose(rec, nil)
			if tc.id == "" {
				if len(fs) != 0 {
					t.Fatalf("want none, got %+v", fs)
				}
				return
			}
			if len(fs) != 1 || fs[0].ID != tc.id || fs[0].Severity != tc.sev ||
				!strings.Contains(fs[0].Recommendation, "pre-warm 9 connections") {
				t.Fatalf("got %+v", fs)
			}
		})
	}
}

// Over an emulated link the evidence says so: the same pool costs far
// less on loopback.
func TestDiagnoseColdStartOverALink(t *testing.T) {
	tgt := healthyTarget()
	tgt["network.preset"], tgt["network.latency"], tgt["network.proxy"] = "cross-zone", "750µs", "127.0.0.1:1"
	warm := testrecord.Rows("warm", 0, 4, with(map[string]float64{"latency_p99_ms": 12, "pool_in_use": 9}))
	cold := append(testrecord.Rows("cold", 0, 1, with(map[string]float64{"latency_p99_ms": 40, "conns_opened": 9})),
		testrecord.Rows("cold", 1, 3, with(map[string]float64{"latency_p99_ms": 12}))...)
	fs := Diagnose(testrecord.InMemory{Target: tgt, Rows: append(cold, warm...), Prewarmed: map[string]int{"warm": 9}}.Record(), nil)
	if len(fs) != 1 || !strings.HasSuffix(fs[0].Evidence, "measured over an emulated network link (latency=750µs, preset=cross-zone)") {
		t.Fatalf("got %+v", fs)
	}
}

func TestDiagnoseLeak(t *testing.T) {
	// 10 connections leak over the first 3 s, then nothing completes.
	rows := testrecord.Rows("v", 0, 2, with(map[string]float64{"pool_in_use": 5}))
	rows = append(rows, testrecord.Rows("v", 2, 1, with(map[string]float64{"pool_in_use": 10, "pool_wait_count": 20}))...)
	rows = append(rows, testrecord.Rows("v", 3, 4, with(map[string]float64{"pool_in_use": 10, "pool_wait_count": 100,
		"iterations": 0, "dropped": 100, "dropped_pool": 100}))...)
	fs := Diagnose(testrecord.InMemory{Target: healthyTarget(), Rows: rows}.Record(), nil)
	if len(fs) != 1 || fs[0].ID != "connection-leak" || !strings.Contains(fs[0].Evidence, "at 2.0 s, after about 300 iterations") ||
		!strings.Contains(fs[0].Evidence, "400 were dropped") || !strings.Contains(fs[0].Recommendation, "about 30 per connection") {
		t.Fatalf("got %+v", fs)
	}
}

// Without the service's gauges, the server's count of the service user's
// connections shows the leak's plateau.
func TestDiagnoseLeakFromServerThreads(t *testing.T) {
	row := func(threads, it, errs float64) map[string]float64 {
		return map[string]float64{"iterations": it, "errors": errs, "errors_timeout": errs, "db_user_threads": threads}
	}
	rows := testrecord.Rows("v", 0, 1, row(6, 6, 0))
	rows = append(rows, testrecord.Rows("v", 1, 1, row(10, 4, 0))...)
	rows = append(rows, testrecord.Rows("v", 2, 4, row(10, 20, 20))...)
	fs := Diagnose(testrecord.InMemory{Target: map[string]string{}, Offered: 20, Rows: rows}.Record(), nil)
	if len(fs) != 1 || fs[0].ID != "connection-leak" || !strings.Contains(fs[0].Evidence, "db_user_threads reached its peak=10 at 1.0 s, after about 10 iterations") {
		t.Fatalf("got %+v", fs)
	}
	// A plateau with requests still succeeding is a busy service, not a leak.
	busy := append(testrecord.Rows("v", 0, 1, row(6, 6, 0)), testrecord.Rows("v", 1, 5, row(10, 20, 0))...)
	if fs := Diagnose(testrecord.InMemory{Target: map[string]string{}, Offered: 20, Rows: busy}.Record(), nil); len(fs) != 0 {
		t.Errorf("busy: got %+v", fs)
	}
}

// An HTTP service's leak is read from its own pool gauges: 10 requests
// succeed, then every request times out with in-use pinned at 10.
func TestDiagnoseLeakFromServiceGauges(t *testing.T) {
	svc := func(inUse, it, errs float64) map[string]float64 {
		return map[string]float64{"iterations": it, "errors": errs, "errors_timeout": errs, "service_p50_ms": 5,
			"svc_pool_in_use": inUse, "svc_pool_max": 10, "dropped": 0}
	}
	rows := testrecord.Rows("v", 0, 1, svc(10, 10, 0))
	rows = append(rows, testrecord.Rows("v", 1, 4, svc(10, 20, 20))...)
	fs := Diagnose(testrecord.InMemory{Target: map[string]string{"base_url": "http://127.0.0.1:1"}, Offered: 20, Rows: rows}.Record(), nil)
	if len(fs) != 1 || fs[0].ID != "connection-leak" {
		t.Fatalf("got %+v", fs)
	}
	for _, want := range []string{"svc_pool_in_use reached the service's max_open=10 at 0.0 s, after about 10 iterations", "timeout 80"} {
		if !strings.Contains(fs[0].Evidence, want) {
			t.Errorf("evidence %q lacks %q", fs[0].Evidence, want)
		}
	}
	if !strings.Contains(fs[0].Recommendation, "about 1 per connection") {
		t.Errorf("recommendation %q", fs[0].Recommendation)
	}
}

// Four instances of a 30-connection pool need 120 of the server's 150
// free connections: fine for one, too many for four.
func TestDiagnoseHeadroomInstances(t *testing.T) {
	tgt := healthyTarget()
	tgt["max_open"] = "30"
	rows := testrecord.Rows("v", 0, 5, healthyRow())
	for _, tc := range []struct {
		instances int
		sev, want string
	}{
		{0, "", ""},
		{4, SevWarning, "max_open 30 per instance"},
		{6, SevCritical, "max_open 20 per instance), or raise max_connections to at least 226"},
	} {
		sc := map[string]any{"load": map[string]any{"rate": 100}, "target": map[string]any{"instances": tc.instances}}
		fs := Diagnose(testrecord.InMemory{Target: tgt, Scenario: sc, Rows: rows}.Record(), nil)
		if tc.sev == "" {
			if len(fs) != 0 {
				t.Errorf("instances %d: want no finding, got %+v", tc.instances, fs)
			}
			continue
		}
		if len(fs) != 1 || fs[0].ID != "server-connection-headroom" || fs[0].Severity != tc.sev ||
			!strings.Contains(fs[0].Recommendation, tc.want) || !strings.Contains(fs[0].Evidence, "instances") {
			t.Errorf("instances %d: got %+v, want %s with %q", tc.instances, fs, tc.sev, tc.want)
		}
	}
}

// Growing the pool from 8 to 32 made wait p50 go from 2 ms to 6 ms,
// significantly: the server is the limit. The same growth with a flat wait
// (or a wait that fell) says nothing.
func TestCheckServerLimit(t *testing.T) {
	cmp := func(a, b float64, verdict string) *Comparison {
		return &Comparison{A: Side{Variant: "warm"}, B: Side{Variant: "warm"}, Rows: []CompareRow{{Metric: "wait", Stat: "p50",
			Unit: "ms", Known: true, MedianA: a, MedianB: b, CI: &CI{Low: b - a - 0.5, High: b - a + 0.5}, Verdict: verdict}}}
	}
	f := checkServerLimit(8, 32, cmp(2, 6, VerdictHigher), 8, 30)
	if f == nil || f.ID != "server-is-the-limit" || !strings.Contains(f.Evidence, "with a pool of 8, wait p50 was 2.00ms; with 32 it was 6.00ms") ||
		!strings.Contains(f.Evidence, "Threads_running median 8 → 30") || !strings.Contains(f.Recommendation, "keep max_open at 8") {
		t.Errorf("got %+v", f)
	}
	// B is the smaller pool: the roles swap.
	if f := checkServerLimit(32, 8, cmp(6, 2, VerdictLower), math.NaN(), math.NaN()); f == nil || !strings.Contains(f.Recommendation, "at 8") {
		t.Errorf("swapped: got %+v", f)
	}
	for _, c := range []*Comparison{cmp(2, 2.1, VerdictNotSignificant), cmp(2, 2.2, VerdictHigher), cmp(6, 2, VerdictLower)} {
		if f := checkServerLimit(8, 32, c, 1, 1); f != nil {
			t.Errorf("%+v: want nothing, got %+v", c.Rows[0], f)
		}
	}
}

// A service loaded through HTTP with no pool gauges, its server watched:
// the server's Connections counter says which slow seconds opened
// connections. Slow seconds that opened some are the pool's cold start;
// slow seconds that opened none are the process warming up.
func TestDiagnoseColdStartFromTheServer(t *testing.T) {
	tgt := map[string]string{}
	warm := testrecord.Rows("warm", 0, 4, map[string]float64{"iterations": 400, "latency_p99_ms": 28, "db_connections": 0, "db_user_threads": 12})
	for _, tc := range []struct {
		name     string
		first    map[string]float64
		id, want string
	}{
		{"the pool opens", map[string]float64{"iterations": 400, "latency_p99_ms": 107, "db_connections": 11, "db_user_threads": 12},
			"cold-start-penalty", "opened 11 connections (counted by the server's Connections counter)"},
		{"the process warms up", map[string]float64{"iterations": 400, "latency_p99_ms": 107, "db_connections": 0, "db_user_threads": 12},
			"cold-start-warm-up", "1 slow intervals early in the window (0–1 s) with no connection opened"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cold := append(testrecord.Rows("cold", 0, 1, tc.first),
				testrecord.Rows("cold", 1, 3, map[string]float64{"iterations": 400, "latency_p99_ms": 27, "db_connections": 0, "db_user_threads": 12})...)
			if tc.id == "cold-start-penalty" {
				cold[0].Values["db_user_threads"] = 1
			}
			fs := Diagnose(testrecord.InMemory{Target: tgt, Rows: append(cold, warm...), Prewarmed: map[string]int{"warm": 12}}.Record(), nil)
			if len(fs) != 1 || fs[0].ID != tc.id || !strings.Contains(fs[0].Evidence, tc.want) {
				t.Fatalf("want one %s saying %q, got %+v", tc.id, tc.want, fs)
			}
		})
	}
}

// A service loaded through HTTP: its server's facts come under db., its
// pool size from its own gauges. The findings read them as they read a
// database target's, and a fact the target reported itself wins.
func TestDiagnoseThroughHTTP(t *testing.T) {
	svc := func(max float64) map[string]float64 {
		return map[string]float64{"iterations": 100, "service_p50_ms": 20, "schedule_lag_p99_ms": 1,
			"svc_pool_in_use": 3, "svc_pool_max": max, "db_threads_connected": 11}
	}
	for _, tc := range []struct {
		name   string
		target map[string]string
		row    map[string]float64
		sev    string // "" for no finding
		want   string
	}{
		{name: "mysql headroom", target: map[string]string{"db.max_connections": "151"}, row: svc(160),
			sev: SevCritical, want: "the service's pool max_open=160"},
		{name: "mysql near", target: map[string]string{"db.max_connections": "151"}, row: svc(150),
			sev: SevWarning, want: "at or below 120"},
		{name: "mysql enough", target: map[string]string{"db.max_connections": "151"}, row: svc(10)},
		{name: "no pool size", target: map[string]string{"db.max_connections": "151"}, row: map[string]float64{"iterations": 100}},
		{name: "postgres reserved slots", target: map[string]string{"db.max_connections": "100", "db.superuser_reserved_connections": "3"},
			row: svc(90), sev: SevWarning, want: "less 3 superuser_reserved_connections"},
		{name: "postgres over", target: map[string]string{"db.max_connections": "100", "db.superuser_reserved_connections": "3"},
			row: svc(98), sev: SevCritical, want: "at or below 77"},
		{name: "own fact wins", target: map[string]string{"db.max_connections": "151", "max_connections": "1000"}, row: svc(150)},
		// Other clients already hold 120 of 151: a pool of 40 no longer fits.
		{name: "mysql shared server", target: map[string]string{"db.max_connections": "151", "db.baseline_threads_connected": "120"},
			row: svc(40), sev: SevCritical, want: "with 120 already connected at start"},
		{name: "postgres shared server", target: map[string]string{"db.max_connections": "100", "db.superuser_reserved_connections": "3",
			"db.baseline_backends": "60"}, row: svc(30), sev: SevWarning, want: "at or below 28"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := testrecord.InMemory{Target: tc.target, Offered: 100, Rows: testrecord.Rows("v", 0, 5, tc.row)}
			fs := Diagnose(m.Record(), nil)
			if tc.sev == "" {
				if len(fs) != 0 {
					t.Fatalf("want no finding, got %+v", fs)
				}
				return
			}
			if len(fs) != 1 || fs[0].ID != "server-connection-headroom" || fs[0].Severity != tc.sev {
				t.Fatalf("want one %s server-connection-headroom, got %+v", tc.sev, fs)
			}
			if !strings.Contains(fs[0].Recommendation+fs[0].Evidence, tc.want) {
				t.Errorf("finding %+v lacks %q", fs[0], tc.want)
			}
		})
	}
}
