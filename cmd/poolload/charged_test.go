package main

import (
	"fmt"
	"math"
	"net"
	nethttp "net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/poolload/poolload/collector"
	"github.com/poolload/poolload/record"
)

// The record keeps the rule that every connection is charged once, end to
// end through `poolload run`: the iterations that waited for a new
// connection (connecting > 0) plus the connections opened with no
// iteration waiting add up to the connections opened, and to those the
// server or the service accepted. The driver tests check the rule on
// traces; this one checks what a user reads, across interval boundaries
// and the drain.
func TestRecordChargesEveryConnectionOnce(t *testing.T) {
	t.Run("mysql", func(t *testing.T) {
		// A private server: its Connections counter is the load's alone
		// (the monitor connected before the window). 2 connections
		// busy 95% of the time with a 300ms conn_max_lifetime: a
		// connection often expires with acquires queued, and
		// database/sql's opener goroutine opens its replacement for them.
		rec := runRecord(t, writeFile(t, "charged.yaml", `name: charged
target:
  driver: mysql
  mysql:
    server: managed
    max_open: 2
    conn_max_lifetime: 300ms
    operations: [{sql: "SELECT 1", hold: 20ms}]
load: {executor: constant-arrival-rate, rate: 95, duration: 3s, pre_allocated_vus: 16}
output: {interval: 500ms}
`))
		rows := rec.Series("default", 1)
		waited := newConnIterations(t, rec)
		opened, byPool := sumColumn(t, rows, record.ConnsOpened), sumColumn(t, rows, record.ConnsOpenedByPool)
		server := sumColumn(t, rows, record.Connections)
		t.Logf("%d iterations waited for a new connection, %d opened by the pool, %d opened, the server saw %d", waited, byPool, opened, server)
		if waited+byPool != opened || opened != server {
			t.Errorf("iterations with connecting > 0 (%d) + conns_opened_by_pool (%d) = conns_opened (%d) = the server's connections (%d) does not hold",
				waited, byPool, opened, server)
		}
		if byPool == 0 {
			t.Error("no connection opened by the pool: the opener goroutine was not exercised")
		}
	})
	t.Run("http", func(t *testing.T) {
		// A cold transport at 800/s over a 2 ms link keeps dialling
		// while busy connections come back, so some dials end up serving
		// another request than the one they were started for.
		var accepted atomic.Int64
		s := httptest.NewUnstartedServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, _ *nethttp.Request) {
			w.Write([]byte("ok"))
		}))
		s.Config.ConnState = func(_ net.Conn, st nethttp.ConnState) {
			if st == nethttp.StateNew {
				accepted.Add(1)
			}
		}
		s.Start()
		t.Cleanup(s.Close)
		rec := runRecord(t, writeFile(t, "charged-http.yaml", fmt.Sprintf(`name: charged-http
target:
  driver: http
  http:
    base_url: %s
    requests: [{path: /}]
  network: {latency: 2ms}
load: {executor: constant-arrival-rate, rate: 800, duration: 2s, pre_allocated_vus: 64}
output: {interval: 500ms}
`, s.URL)))
		rows := rec.Series("default", 1)
		waited := newConnIterations(t, rec)
		opened, byPool := sumColumn(t, rows, record.HTTPConnsOpened), sumColumn(t, rows, record.HTTPConnsOpenedByPool)
		link, svc := sumColumn(t, rows, record.LinkConns), accepted.Load()
		t.Logf("%d requests waited for a new connection, %d opened with none waiting, %d opened; the link accepted %d, the service %d",
			waited, byPool, opened, link, svc)
		// The service accepts one connection more than the link: poolload's
		// check that it is up, made directly before anything is measured.
		if waited+byPool != opened || opened != link || svc != link+1 {
			t.Errorf("requests with connecting > 0 (%d) + http_conns_opened_by_pool (%d) = http_conns_opened (%d) = the link's (%d) = the service's accepted connections less the pre-run check (%d - 1) does not hold",
				waited, byPool, opened, link, svc)
		}
	})
}

// newConnIterations is how many iterations of the record's one window had
// connecting > 0: the dial histogram holds exactly those (it is recorded
// only for an iteration that set up a new connection).
func newConnIterations(t *testing.T, rec *record.Record) int64 {
	t.Helper()
	h := rec.Merged("default", 1, collector.Dial)
	if h == nil {
		return 0
	}
	return h.TotalCount()
}

// sumColumn sums a per-interval delta column over rows; a column that is
// absent or unknown in an interval fails the test.
func sumColumn(t *testing.T, rows []record.Row, col string) int64 {
	t.Helper()
	var n int64
	for i, row := range rows {
		v, ok := row.Values[col]
		if !ok || math.IsNaN(v) {
			t.Fatalf("the record has no %s in interval %d", col, i+1)
		}
		n += int64(v)
	}
	return n
}
