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
// connections. %s are the name, the pooldemo binary, its address, its
// user, its table, its extra flags, its address again and its user again.
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
load: {executor: constant-arrival-rate, rate: 200, duration: 2s, pre_allocated_vus: 40}
variants:
  - {name: cold, before: {restart: true}}
  - {name: warm, before: {restart: true}, warmup: {rate: 200, duration: 2s}}
output: {interval: 500ms}
`

func coldStartRun(t *testing.T, name, flags string) *analysis.Summary {
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
	return runSummary(t, name, fmt.Sprintf(coldStartService, name, pooldemoBinary(t), addr, user, table, flags, addr, user))
}

// A service whose pool starts with one connection, each new one costing
// 30 ms (a database across a network), loaded with 50 ms queries at 200/s
// so that it needs about 10: the cold window's slow seconds
// open connections, which the server's Connections counter shows, so the
// finding blames the pool and the comparison knows conns_opened.
func TestColdStartSeenFromTheServer(t *testing.T) {
	s := coldStartRun(t, "pool", "--connect-delay 30ms")
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
	s := coldStartRun(t, "warmup", "--prewarm --warm-up 1500ms")
	if f := finding(s, "cold-start-penalty"); f != nil {
		t.Errorf("the process's warm-up blamed on the pool: %+v", f)
	}
	f := finding(s, "cold-start-warm-up")
	if f == nil || !strings.Contains(f.Evidence, "with no connection opened") {
		t.Fatalf("want a cold-start-warm-up finding, got %+v", s.Findings)
	}
}
