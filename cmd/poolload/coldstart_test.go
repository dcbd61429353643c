package main

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/poolload/poolload/analysis"
	"github.com/poolload/poolload/driver/mysqlserver/mysqltest"
)

// coldStartService is pooldemo restarted before each window, loaded
// through HTTP with no pool gauges: only the server's view (the database
// sampler, watching the service's own user) says when the service opened
// connections. The verbs are the name, the pooldemo binary, its address,
// its user, its table, its extra flags, its address again, its user again
// and the VUs.
const coldStartService = `name: %s
service:
  run: exec %s --addr %s --dsn '%s:pw@tcp(127.0.0.1:3306)/test' --pool 16 --table %s --drop-table %s
  ready: /healthz
  timeout: 30s
target:
  driver: http
  http:
    base_url: http://%s
    timeout: 5s
    requests: [{path: /slow}]
    database: {dsn: "root@tcp(127.0.0.1:3306)/test", user: %s}
load: {executor: constant-arrival-rate, rate: 200, duration: 2s, pre_allocated_vus: %d}
variants:
  - {name: cold, before: {restart: true}}
  - {name: warm, before: {restart: true}, warmup: {rate: 200, duration: 2s}}
output: {interval: 500ms}
`

func coldStartRun(t *testing.T, name, flags string, vus int) *analysis.Summary {
	t.Helper()
	addr := freeAddr(t)
	id := time.Now().UnixNano() % 1e9
	table, user := fmt.Sprintf("pl_cs_%d", id), fmt.Sprintf("plcs%d", id)
	// The service's own user, so that no other client's connections are
	// counted as the service's.
	db, err := sql.Open("mysql", mysqltest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{"CREATE USER '" + user + "'@'%' IDENTIFIED BY 'pw'", "GRANT ALL ON test.* TO '" + user + "'@'%'"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		if db, err := sql.Open("mysql", mysqltest.DSN(t)); err == nil {
			db.Exec("DROP USER '" + user + "'@'%'")
			db.Close()
		}
	})
	return runSummary(t, name, fmt.Sprintf(coldStartService, name, pooldemoBinary(t), addr, user, table, flags, addr, user, vus))
}

// A service whose pool starts with one connection, each new one costing
// 30 ms (a database across a network), loaded with 50 ms queries at 200/s
// so that it needs about 10: the cold window's slow seconds
// open connections, which the server's Connections counter shows, so the
// finding blames the pool and the comparison knows conns_opened.
func TestColdStartSeenFromTheServer(t *testing.T) {
	s := coldStartRun(t, "pool", "--connect-delay 30ms", 40)
	f := finding(s, "cold-start-penalty")
	if f == nil || !strings.Contains(f.Evidence, "counted by the server's new connections of the service's user") {
		t.Fatalf("want a cold-start-penalty counted by the server, got %+v", s.Findings)
	}
	if finding(s, "cold-start-warm-up") != nil {
		t.Errorf("the pool's cold start read as the process warming up: %+v", s.Findings)
	}
	if s.Comparison == nil {
		t.Fatal("no comparison")
	}
	for _, r := range s.Comparison.Rows {
		if r.Metric == "conns_opened" && (!r.Known || !(r.MedianA > 0) || r.MedianB != 0) {
			t.Errorf("conns_opened: %+v; want known, some cold and none warm", r)
		}
	}
	if s.Comparison.A.ConnsSource != "the server's new connections of the service's user" {
		t.Errorf("conns_opened counted by %q", s.Comparison.A.ConnsSource)
	}
}

// A service whose pool is full before it serves, but whose requests are
// slow for its first second and a half (a JIT, cold caches): the cold
// window is slow with no connection opened, which is not the pool.
func TestColdStartOfTheProcessIsNotThePool(t *testing.T) {
	s := coldStartRun(t, "warmup", "--prewarm --warm-up 1500ms", 40)
	if f := finding(s, "cold-start-penalty"); f != nil {
		t.Errorf("the process's warm-up blamed on the pool: %+v", f)
	}
	f := finding(s, "cold-start-warm-up")
	if f == nil || !strings.Contains(f.Evidence, "with no connection opened") {
		t.Fatalf("want a cold-start-warm-up finding, got %+v", s.Findings)
	}
}

// The same cold pool with VUs for the warm load only: while the pool
// opens its connections the cold window runs out of VUs and drops
// iterations. They are part of what the cold start cost, so the penalty
// counts them and the finding says so. The premise is a warm window that
// loses nothing; a busy machine can stall it into drops, so such a run is
// taken again once.
func TestColdStartPenaltyCountsDrops(t *testing.T) {
	var s *analysis.Summary
	for try := 1; ; try++ {
		s = coldStartRun(t, fmt.Sprintf("drops%d", try), "--connect-delay 30ms", 12)
		warm := variant(t, s, "warm").Totals
		if warm.Dropped+warm.Errors == 0 {
			break
		}
		if try == 2 {
			t.Skipf("the machine is too busy for this test: the warm window lost iterations twice (%+v)", warm)
		}
	}
	cold := variant(t, s, "cold").Totals
	if cold.Dropped == 0 {
		t.Fatalf("the cold window dropped nothing (%+v): 12 VUs should not cover 30 ms connections opened under 50 ms requests at 200/s", cold)
	}
	st := s.Comparison.Steady
	if st == nil || !(st.Dropped > 0) {
		t.Errorf("cold dropped %d: want them in the cold-start penalty, got %+v", cold.Dropped, st)
	}
	f := finding(s, "cold-start-penalty")
	if f == nil || !strings.Contains(f.Evidence, "dropped iterations vs warm") {
		t.Errorf("want a cold-start-penalty finding counting the drops, got %+v", s.Findings)
	}
}
