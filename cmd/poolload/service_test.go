package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/poolload/poolload/driver/pgserver/pgtest"
	"github.com/poolload/poolload/record"
)

var pooldemo struct {
	once sync.Once
	path string
	err  error
}

// pooldemoBinary builds cmd/pooldemo once per test binary.
func pooldemoBinary(t *testing.T) string {
	t.Helper()
	pooldemo.once.Do(func() {
		dir, err := os.MkdirTemp("", "pooldemo-")
		if err != nil {
			pooldemo.err = err
			return
		}
		pooldemo.path = filepath.Join(dir, "pooldemo")
		out, err := exec.Command("go", "build", "-o", pooldemo.path, "../pooldemo").CombinedOutput()
		if err != nil {
			pooldemo.err = fmt.Errorf("building pooldemo: %v\n%s", err, out)
		}
	})
	if pooldemo.err != nil {
		t.Fatal(pooldemo.err)
	}
	return pooldemo.path
}

// freeAddr returns a loopback address nothing listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// An HTTP service that is down at start fails the run before anything is
// measured, with a clear message and exit 1.
func TestHTTPServiceDownAtStart(t *testing.T) {
	addr := freeAddr(t)
	file := writeFile(t, "down.yaml", fmt.Sprintf(`name: down
target: {driver: http, http: {base_url: "http://%s", requests: [{path: /select}]}}
load: {executor: constant-arrival-rate, rate: 10, duration: 1s, pre_allocated_vus: 2}
`, addr))
	start := time.Now()
	code, _, stderr := runCLI(t, "run", "-q", "--no-plots", "--out", t.TempDir(), file)
	if code != exitFailed || !strings.Contains(stderr, "the HTTP target http://"+addr+" does not answer") ||
		!strings.Contains(stderr, "connection refused") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("took %v to fail", time.Since(start))
	}
}

// A service that dies in the middle of the run and stays dead leaves a
// valid record with the refused connections counted, and the run ends
// failed (exit 1): the target stopped answering.
func TestHTTPServiceDiesMidRun(t *testing.T) {
	addr := freeAddr(t)
	t.Setenv("POOLDEMO", pooldemoBinary(t))
	table := fmt.Sprintf("pl_dies_%d", time.Now().UnixNano()%1e9)
	// The service stops itself after a second: the shell kills it.
	file := writeFile(t, "dies.yaml", fmt.Sprintf(`name: dies
service:
  run: "${POOLDEMO} --addr %s --table %s --drop-table & pid=$!; sleep 1; kill $pid; wait; sleep 60"
  ready: /healthz
target: {driver: http, http: {base_url: "http://%s", timeout: 1s, requests: [{path: /select}]}}
load: {executor: constant-arrival-rate, rate: 50, duration: 3s, pre_allocated_vus: 10}
output: {interval: 500ms}
`, addr, table, addr))
	out := t.TempDir()
	code, stdout, stderr := runCLI(t, "run", "-q", "--no-plots", "--out", out, file)
	if code != exitFailed || !strings.Contains(stderr, "the target stopped answering") {
		t.Fatalf("exit %d, want %d saying the target stopped answering\n%s\n%s", code, exitFailed, stdout, stderr)
	}
	dirs, _ := filepath.Glob(filepath.Join(out, "*"))
	rec, err := record.Open(dirs[0])
	if err != nil {
		t.Fatalf("the record does not read back: %v", err)
	}
	if len(rec.Info.Windows) == 0 {
		t.Fatalf("the record has no window: %+v", rec.Info)
	}
	tot := rec.Info.Windows[0].Totals
	if tot.ErrorsBy["connect_refused"] == 0 || tot.Iterations-tot.Errors == 0 || rec.Info.Status != record.StatusFailed {
		t.Errorf("status %s, totals %+v: want successes, then connect_refused errors, failed", rec.Info.Status, tot)
	}
}

// The service's Prometheus gauges and its server's status are sampled into
// the record, end to end through pooldemo.
func TestHTTPServiceGaugesInTheRecord(t *testing.T) {
	addr := freeAddr(t)
	t.Setenv("POOLDEMO", pooldemoBinary(t))
	table := fmt.Sprintf("pl_gauges_%d", time.Now().UnixNano()%1e9)
	file := writeFile(t, "gauges.yaml", fmt.Sprintf(`name: gauges
service: {run: "exec ${POOLDEMO} --addr %s --pool 7 --prewarm --table %s --drop-table"}
target:
  driver: http
  http:
    base_url: "http://%s"
    requests: [{path: /select}]
    pool_metrics: {url: /metrics}
    database: {dsn: "root@tcp(127.0.0.1:3306)/test"}
load: {executor: constant-arrival-rate, rate: 50, duration: 1s, pre_allocated_vus: 5}
output: {interval: 500ms}
`, addr, table, addr))
	rec := runRecord(t, file)
	rows := rec.Series("default", 1)
	if len(rows) == 0 {
		t.Fatal("no rows")
	}
	last := rows[len(rows)-1].Values
	if last["svc_pool_max"] != 7 || last["svc_pool_open"] != 7 || !(last["db_threads_connected"] >= 8) {
		t.Errorf("last row: svc_pool_max %v, svc_pool_open %v (want 7, prewarmed), db_threads_connected %v (want ≥ 8)",
			last["svc_pool_max"], last["svc_pool_open"], last["db_threads_connected"])
	}
	if rec.Info.Target["pool_metrics.status"] != "ok" || rec.Info.Target["db.max_connections"] == "" {
		t.Errorf("run.json target facts: %v", rec.Info.Target)
	}
}

// An HTTP target behind a link with nothing to delay and relay: auto: run
// as root (as make test is), the kernel relays the keep-alive connections,
// and every request of a client-first protocol gets its answer.
func TestHTTPThroughTheKernelRelay(t *testing.T) {
	addr := freeAddr(t)
	t.Setenv("POOLDEMO", pooldemoBinary(t))
	table := fmt.Sprintf("pl_relay_%d", time.Now().UnixNano()%1e9)
	file := writeFile(t, "relay.yaml", fmt.Sprintf(`name: relay
service: {run: "exec ${POOLDEMO} --addr %s --pool 4 --table %s --drop-table"}
target:
  driver: http
  network: {relay: auto}
  http: {base_url: "http://%s", requests: [{path: /select}, {path: /list}]}
load: {executor: constant-arrival-rate, rate: 200, duration: 1s, pre_allocated_vus: 100}
output: {interval: 500ms}
`, addr, table, addr))
	// VUs enough for requests slowed by a busy machine: a relay that lost
	// an answer would hold its VU until the request's timeout, and show as
	// an error or an interrupted request, not as a drop.
	rec := runRecord(t, file)
	tot := rec.Info.Windows[0].Totals
	if tot.Iterations < 190 || tot.Errors != 0 {
		t.Errorf("totals %+v: want ~200 requests, no error", tot)
	}
	var conns float64
	for _, r := range rec.Series("default", 1) {
		conns += r.Values["link_conns"]
	}
	if conns == 0 || conns > 10 {
		t.Errorf("%v connections through the link: want a few, kept alive", conns)
	}
	if got := rec.Info.Target["network.relay"]; got != "kernel" && os.Geteuid() == 0 {
		t.Errorf("network.relay %q, want kernel", got)
	}
}

// validate shows the service poolload will run, the emulated link and each
// variant's before step, touching nothing.
func TestValidateShowsServiceAndLink(t *testing.T) {
	code, stdout, stderr := runCLI(t, "validate", "../../scenarios/http-cold-vs-warm.yaml")
	if code != exitOK || !strings.Contains(stdout, "service    run and stopped by poolload: exec bin/pooldemo") ||
		!strings.Contains(stdout, "restart the service (cold)") || !strings.Contains(stdout, "restart the service, warm-up 400/s for 3s") {
		t.Errorf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, stderr = runCLI(t, "validate", "../../scenarios/cold-vs-warm-cross-zone.yaml")
	if code != exitOK || !strings.Contains(stdout, "network    emulated link: bandwidth=5Gbit, jitter=100µs, latency=750µs, preset=cross-zone\n") {
		t.Errorf("exit %d\n%s\n%s", code, stdout, stderr)
	}
}

// A service on PostgreSQL loaded through HTTP gets the server-side
// evidence and the findings one on MySQL gets: pooldemo on the machine's
// PostgreSQL leaks a connection per request, the database block watches
// the service's backends, and the leak is found and named.
func TestHTTPServiceOnPostgres(t *testing.T) {
	addr := freeAddr(t)
	t.Setenv("POOLDEMO", pooldemoBinary(t))
	dsn := pgtest.DSN(t)
	table := fmt.Sprintf("pl_pgsvc_%d", time.Now().UnixNano()%1e9)
	file := writeFile(t, "pgsvc.yaml", fmt.Sprintf(`name: pg-service
service: {run: "exec ${POOLDEMO} --addr %s --dsn '%s' --pool 5 --leak-every 1 --table %s --drop-table"}
target:
  driver: http
  http:
    base_url: "http://%s"
    timeout: 1s
    requests: [{path: /select}]
    pool_metrics: {url: /debug/pool}
    database: {dsn: "%s", user: %s}
load: {executor: constant-arrival-rate, rate: 20, duration: 2s, pre_allocated_vus: 30, graceful_stop: 2s}
output: {interval: 500ms}
`, addr, dsn, table, addr, dsn, pgUser(t, dsn)))
	out := t.TempDir()
	code, stdout, stderr := runCLI(t, "run", "-q", "--no-plots", "--out", out, file)
	if strings.Contains(stdout+stderr, "pl-test-pw") {
		t.Error("the password appears in the output")
	}
	s := readSummary(t, out)
	if fs := targetOnly(s.Findings); len(fs) == 0 || fs[0].ID != "connection-leak" {
		t.Fatalf("exit %d, findings %+v: want connection-leak first among the target's\n%s\n%s", code, s.Findings, stdout, stderr)
	}
	rec, err := record.Open(filepath.Join(out, mustOne(t, out)))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Info.Target["db.max_connections"] == "" {
		t.Errorf("run.json lacks the server's facts: %v", rec.Info.Target)
	}
	rows := rec.Series("default", 1)
	if len(rows) == 0 {
		t.Fatal("no rows")
	}
	// Other tests may connect as the same role at the same time: the
	// counts are lower bounds, what this service's pool must add.
	opened := 0.0
	for _, r := range rows {
		opened += r.Values["db_user_conns_opened"]
	}
	// The connection pooldemo's setup opened before the window is the
	// first one leaked: the window opens the other four.
	if last := rows[len(rows)-1].Values; !(last["db_user_threads"] >= 5) || !(opened >= 4) {
		t.Errorf("db_user_threads %v at the end, db_user_conns_opened %v in all: want ≥ 5 held (the leaked pool), ≥ 4 of them opened in the window",
			last["db_user_threads"], opened)
	}
}

// mustOne names the one run record under out.
func mustOne(t *testing.T, out string) string {
	t.Helper()
	dirs, _ := filepath.Glob(filepath.Join(out, "*"))
	if len(dirs) != 1 {
		t.Fatalf("want one run record under %s, got %v", out, dirs)
	}
	return filepath.Base(dirs[0])
}

// pgUser is the role dsn logs in as.
func pgUser(t *testing.T, dsn string) string {
	t.Helper()
	cc, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	return cc.User
}
