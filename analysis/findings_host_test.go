package analysis

import (
	"maps"
	"strings"
	"testing"

	"github.com/poolload/poolload/analysis/testrecord"
	"github.com/poolload/poolload/record"
)

// A hypervisor that took 27% of the CPU during 12 of 30 seconds of the
// second cold window: the finding names the window and the seconds, and
// shows the latency there against the rest. 5% steal is not reported.
func TestDiagnoseSteal(t *testing.T) {
	rowsOf := func(steal float64) []record.Row {
		rows := testrecord.Rows("cold", 0, 10, with(map[string]float64{"latency_p99_ms": 12, "host_steal_pct": 0.2}))
		rows = append(rows, testrecord.Rows("cold", 10, 12, with(map[string]float64{"latency_p99_ms": 41, "host_steal_pct": steal}))...)
		rows = append(rows, testrecord.Rows("cold", 22, 8, with(map[string]float64{"latency_p99_ms": 12, "host_steal_pct": 0.1}))...)
		for i := range rows {
			rows[i].Rep = 2
		}
		return append(testrecord.Rows("cold", 0, 30, with(map[string]float64{"host_steal_pct": 0})), rows...)
	}
	fs := Diagnose(testrecord.InMemory{Target: healthyTarget(), Rows: rowsOf(27)}.Record(), nil)
	if len(fs) != 1 || fs[0].ID != "host-steal" || fs[0].Severity != SevWarning {
		t.Fatalf("want one host-steal warning, got %+v", fs)
	}
	for _, want := range []string{"The host took 27% of the CPU during 12 s of cold (rep 2): latencies there are inflated"} {
		if !strings.Contains(fs[0].Statement, want) {
			t.Errorf("statement %q lacks %q", fs[0].Statement, want)
		}
	}
	for _, want := range []string{"in 12 of 30 intervals (10–22 s)", "latency p99 41.00ms there, 12.00ms in its other intervals"} {
		if !strings.Contains(fs[0].Evidence, want) {
			t.Errorf("evidence %q lacks %q", fs[0].Evidence, want)
		}
	}
	if fs := Diagnose(testrecord.InMemory{Target: healthyTarget(), Rows: rowsOf(5)}.Record(), nil); len(fs) != 0 {
		t.Errorf("5%% steal: want no finding, got %+v", fs)
	}
}

// The run: SELECT 1 at 40 000/s offered, 16 connections, 256 VUs,
// the server on the same 2 CPUs, 16 500/s achieved, blocked p50 9.3 ms
// and wait p50 53 µs. Both CPUs were busy: the finding says the host
// saturated, and the pool-starvation finding no longer asks for a bigger
// pool. The same pool on a host with idle CPU is still called too small.
func TestDiagnoseHostSaturated(t *testing.T) {
	sat := map[string]float64{"rate": 16500, "dropped": 20000, "pool_in_use": 16, "pool_wait_count": 15000,
		"service_p50_ms": 10.4, "blocked_p50_ms": 9.3, "wait_p50_ms": 0.053, "schedule_lag_p50_ms": 2.3,
		"threads_running": 3, "host_busy_pct": 99, "host_steal_pct": 0.3, "harness_cpu_cores": 1.2}
	recOf := func(kv map[string]float64) *record.Record {
		tgt := healthyTarget()
		tgt["max_open"], tgt["dsn"] = "16", "root@tcp(127.0.0.1:3306)/test"
		rec := testrecord.InMemory{Target: tgt, Offered: 40000, Rows: testrecord.Rows("v", 0, 4, with(kv))}.Record()
		rec.Info.HostCPUs, rec.Info.GoMaxProcs = 2, 2
		rec.Info.Windows[0].VUsAlloc = 256
		return rec
	}
	fs := Diagnose(recOf(sat), nil)
	if len(fs) != 2 || fs[0].ID != "host-saturated" || fs[0].Severity != SevCritical ||
		fs[1].ID != "pool-starvation" || fs[1].Severity != SevWarning {
		t.Fatalf("want host-saturated (critical), then pool-starvation (warning); got %+v", fs)
	}
	h := fs[0]
	for _, want := range []string{"The host's 2 CPUs were saturated (poolload 1.2 cores, the other 0.78 cores the database server " +
		"(127.0.0.1:3306) and other processes)", "a bigger pool cannot help"} {
		if !strings.Contains(h.Statement, want) {
			t.Errorf("statement %q lacks %q", h.Statement, want)
		}
	}
	for _, want := range []string{"in 4 of 4 intervals", "99% busy", "80000 dropped, 16500 of 40000/s finished",
		"pool_in_use at max_open=16 (blocked p50 9.30ms, wait p50 53.0µs)", "Threads_running 3 (median) on 2 CPUs"} {
		if !strings.Contains(h.Evidence, want) {
			t.Errorf("evidence %q lacks %q", h.Evidence, want)
		}
	}
	for _, want := range []string{"give poolload its own machine", "run the database server (127.0.0.1:3306) on another host",
		"lower the rate", "with 256 VUs on 16 connections every release"} {
		if !strings.Contains(h.Recommendation, want) {
			t.Errorf("recommendation %q lacks %q", h.Recommendation, want)
		}
	}
	for _, f := range fs {
		if strings.Contains(f.Recommendation, "set max_open") || strings.Contains(f.Recommendation, "raise max_open") {
			t.Errorf("%s recommends a bigger pool on a saturated host: %q", f.ID, f.Recommendation)
		}
	}
	if !strings.Contains(fs[1].Evidence, "the host's CPU was 99% busy, poolload used 1.2 cores") {
		t.Errorf("starvation evidence %q lacks the CPU", fs[1].Evidence)
	}

	// Idle CPU: the pool is the limit, and Little's law sizes it.
	idle := maps.Clone(sat)
	idle["host_busy_pct"], idle["harness_cpu_cores"] = 40, 0.3
	fs = Diagnose(recOf(idle), nil)
	if len(fs) != 1 || fs[0].ID != "pool-starvation" || !strings.Contains(fs[0].Recommendation, "set max_open to 53") {
		t.Fatalf("idle host: want pool-starvation sizing the pool, got %+v", fs)
	}

	// The server's statements alone queue for the CPUs: the same, even
	// with poolload's goroutines on time.
	server := maps.Clone(sat)
	server["schedule_lag_p50_ms"] = 0.02
	if fs = Diagnose(recOf(server), nil); len(fs) != 2 || fs[0].ID != "host-saturated" || fs[1].Severity != SevWarning {
		t.Fatalf("Threads_running 3 on 2 CPUs: got %+v", fs)
	}
	// Neither poolload nor the server queued for a CPU: a busy host that
	// gave them one at once did not set the pace.
	server["threads_running"] = 1
	if fs = Diagnose(recOf(server), nil); len(fs) != 1 || fs[0].ID != "pool-starvation" || fs[0].Severity != SevCritical {
		t.Fatalf("nothing queued for the CPU: got %+v", fs)
	}

	// A saturated host that kept up: not a distortion the record shows.
	kept := maps.Clone(sat)
	kept["rate"], kept["dropped"], kept["pool_in_use"] = 40000, 0, 9
	if fs = Diagnose(recOf(kept), nil); len(fs) != 0 {
		t.Fatalf("a busy host that kept up: want no finding, got %+v", fs)
	}
}

// scenarios/pool-starvation.yaml on a host that other processes keep
// busy (measured so): each request holds its connection 20 ms at 400/s on
// 4 connections. The pool is too small whatever the CPU does; the hold is
// not the CPU's (poolload's goroutines start 12 µs late), so the pool is
// sized as usual. With the goroutines 3 ms late, the holds include the
// CPU's queue: no size is drawn from them.
func TestDiagnoseSmallPoolOnABusyHost(t *testing.T) {
	row := map[string]float64{"rate": 165, "dropped": 230, "pool_in_use": 4, "pool_wait_count": 150,
		"service_p50_ms": 163, "blocked_p50_ms": 140, "wait_p50_ms": 0.3, "schedule_lag_p50_ms": 0.012,
		"threads_running": 1, "host_busy_pct": 100, "harness_cpu_cores": 0.05}
	tgt := healthyTarget()
	tgt["max_open"], tgt["dsn"] = "4", "root@tcp(127.0.0.1:36867)/test"
	recOf := func() *record.Record {
		rec := testrecord.InMemory{Target: tgt, Offered: 400, Rows: testrecord.Rows("v", 0, 5, with(row))}.Record()
		rec.Info.HostCPUs, rec.Info.GoMaxProcs = 2, 2
		return rec
	}
	fs := Diagnose(recOf(), nil)
	if len(fs) != 1 || fs[0].ID != "pool-starvation" || fs[0].Severity != SevCritical ||
		!strings.Contains(fs[0].Recommendation, "set max_open to 12 (Little's law: 400/s × 23.0 ms hold") {
		t.Fatalf("want pool-starvation sizing the pool, got %+v", fs)
	}
	row["schedule_lag_p50_ms"] = 3
	fs = Diagnose(recOf(), nil)
	if len(fs) != 2 || fs[0].ID != "host-saturated" || !strings.Contains(fs[0].Statement, "a bigger pool cannot help while it lasts") ||
		fs[1].ID != "pool-starvation" || !strings.Contains(fs[1].Recommendation, "do not grow the pool on this run's evidence") {
		t.Fatalf("goroutines 3 ms late too: got %+v", fs)
	}
}

// poolload alone at its GOMAXPROCS, the host half idle, and the rate
// falling short: poolload is the bottleneck.
func TestDiagnoseHarnessSaturated(t *testing.T) {
	rows := testrecord.Rows("v", 0, 3, with(map[string]float64{"rate": 70, "dropped": 30,
		"schedule_lag_p50_ms": 4, "host_busy_pct": 55, "harness_cpu_cores": 0.98}))
	rec := testrecord.InMemory{Target: healthyTarget(), Rows: rows}.Record()
	rec.Info.HostCPUs, rec.Info.GoMaxProcs = 2, 1
	fs := Diagnose(rec, nil)
	if len(fs) == 0 || fs[0].ID != "host-saturated" ||
		!strings.Contains(fs[0].Statement, "poolload used all the CPU it may use (0.98 cores of 1, its GOMAXPROCS): latencies there include waiting for a CPU") ||
		!strings.Contains(fs[0].Recommendation, "give poolload its own machine or more CPUs") {
		t.Fatalf("got %+v", fs)
	}
}

func TestHostSummaryLine(t *testing.T) {
	rows := testrecord.Rows("v", 0, 10, map[string]float64{"host_steal_pct": 2, "host_busy_pct": 95, "harness_cpu_cores": 1.2})
	rows = append(rows, testrecord.Rows("v", 10, 3, map[string]float64{"host_steal_pct": 27, "host_busy_pct": 70, "harness_cpu_cores": 1.6})...)
	rec := testrecord.InMemory{Rows: rows}.Record()
	rec.Info.HostCPUs = 2
	want := "host (2 CPUs): steal max 27% (3 s at 10% or more), busy p50 95%; poolload CPU p50 1.2 cores, max 1.6"
	if got := HostOf(rec).String(); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	// Without /proc/stat only poolload's own CPU is known.
	only := testrecord.Rows("v", 0, 2, map[string]float64{"harness_cpu_cores": 0.05})
	if got := HostOf(testrecord.InMemory{Rows: only}.Record()).String(); got != "host: poolload CPU p50 0.05 cores, max 0.05" {
		t.Errorf("harness only: %q", got)
	}
	if h := HostOf(testrecord.InMemory{Rows: testrecord.Rows("v", 0, 2, healthyRow())}.Record()); h != nil {
		t.Errorf("a record without the columns: %+v, want nil", h)
	}
}

func TestLocalParts(t *testing.T) {
	for _, tc := range []struct {
		facts map[string]string
		want  string
	}{
		{map[string]string{"dsn": "root@tcp(127.0.0.1:3306)/test"}, "the database server (127.0.0.1:3306)"},
		{map[string]string{"dsn": "app:***@tcp(db.internal:3306)/shop"}, ""},
		{map[string]string{"dsn": "root@unix(/run/mysqld/mysqld.sock)/test"}, "the database server (unix:/run/mysqld/mysqld.sock)"},
		{map[string]string{"dsn": "root@/test"}, "the database server (127.0.0.1:3306)"},
		{map[string]string{"dsn": "u:p@ss@tcp([::1]:3307)/x?tls=false"}, "the database server ([::1]:3307)"},
		{map[string]string{"base_url": "http://localhost:8080/api", "db.dsn": "app:***@tcp(10.0.0.5:3306)/shop"},
			"the service (localhost:8080)"},
		{map[string]string{"base_url": "https://api.example.com"}, ""},
	} {
		d := &diag{target: tc.facts}
		if got := strings.Join(d.localParts(), ", "); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.facts, got, tc.want)
		}
	}
}

// Two seconds of six with no idle CPU, goroutines 2 ms late and a fifth
// of the schedule dropped: a warning, not a verdict on the whole window.
// One such second is not reported.
func TestDiagnoseHostSaturatedBriefly(t *testing.T) {
	busy := with(map[string]float64{"dropped": 20, "rate": 80, "schedule_lag_p50_ms": 2, "host_busy_pct": 97, "harness_cpu_cores": 0.4})
	quiet := with(map[string]float64{"host_busy_pct": 30, "harness_cpu_cores": 0.1})
	for _, tc := range []struct {
		busy int
		sev  string
	}{{2, SevWarning}, {1, ""}} {
		rows := append(testrecord.Rows("cold", 0, tc.busy, busy), testrecord.Rows("cold", tc.busy, 6-tc.busy, quiet)...)
		rec := testrecord.InMemory{Target: healthyTarget(), Rows: rows}.Record()
		rec.Info.HostCPUs = 2
		fs := Diagnose(rec, nil)
		if tc.sev == "" {
			if len(fs) != 0 {
				t.Errorf("%d busy second: want no finding, got %+v", tc.busy, fs)
			}
			continue
		}
		if len(fs) != 1 || fs[0].ID != "host-saturated" || fs[0].Severity != tc.sev || strings.Contains(fs[0].Statement, "bigger pool") ||
			!strings.Contains(fs[0].Evidence, "in 2 of 6 intervals (0–2 s)") {
			t.Errorf("%d busy seconds: got %+v", tc.busy, fs)
		}
	}
}
