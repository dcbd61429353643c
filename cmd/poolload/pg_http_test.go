package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/poolload/poolload/analysis"
	"github.com/poolload/poolload/driver/pgserver/pgtest"
)

// A service on PostgreSQL, loaded through HTTP, whose first requests each
// begin a transaction and never end it: the database block (a postgres://
// DSN) sees the service user's connections idle in transaction after the
// last request, and the leak finding names them from the server's side
// alone (the service shows poolload no pool gauges).
func TestHTTPServiceOnPostgresLeaksTransactions(t *testing.T) {
	dsn := pgtest.DSN(t)
	cc, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	const leaks = 4
	var mu sync.Mutex
	var held []*pgx.Conn
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			c.Close(context.Background())
		}
	})
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if len(held) == leaks {
			return // the rest of the requests are served without the database
		}
		c, err := pgx.Connect(r.Context(), dsn)
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		if _, err := c.Exec(r.Context(), "BEGIN; SELECT 1"); err != nil {
			c.Close(context.Background())
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		held = append(held, c) // never committed, never closed
	}))
	t.Cleanup(svc.Close)
	scen := fmt.Sprintf(`name: http-pg-leak
target:
  driver: http
  http:
    base_url: %s
    timeout: 2s
    requests:
      - {name: leaky, path: /}
    database:
      dsn: '%s'
      user: %s
load:
  executor: constant-arrival-rate
  rate: 10
  duration: 3s
  pre_allocated_vus: 2
  max_vus: 4
output:
  interval: 500ms
`, svc.URL, dsn, cc.User)
	dir := t.TempDir()
	file := filepath.Join(dir, "scenario.yaml")
	if err := os.WriteFile(file, []byte(scen), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	code, stdout, stderr := runCLI(t, "run", "--quiet", "--no-plots", "--out", out, file)
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	s := readSummary(t, out)
	f := finding(s, "connection-leak")
	if f == nil || f.Severity != analysis.SevWarning {
		t.Fatalf("want a connection-leak warning, got %+v", s.Findings)
	}
	t.Logf("%s: %s", f.ID, f.Evidence)
	// Other tests may hold connections of the same role at the same time:
	// at least this service's four.
	if !strings.Contains(f.Evidence, "of the service user's connections were idle in transaction (db_pg_load_idle_in_tx) at the end of the window") {
		t.Errorf("evidence %q: want the service user's connections idle in transaction named", f.Evidence)
	}
	if strings.Contains(f.Evidence, "the pool still counted") {
		t.Errorf("evidence %q: poolload sees no pool of this service", f.Evidence)
	}
}
