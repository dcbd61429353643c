package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/poolload/poolload/driver/pgserver/pgtest"
)

const testDSN = "root@tcp(127.0.0.1:3306)/test"

// start runs pooldemo in-process on a free loopback port with a table of
// its own, and stops it and drops the table when the test ends.
func start(t *testing.T, extra ...string) string {
	t.Helper()
	return startOn(t, testDSN, extra...)
}

// startOn is start on the database dsn names.
func startOn(t *testing.T, dsn string, extra ...string) string {
	t.Helper()
	table := fmt.Sprintf("pooldemo_test_%d", time.Now().UnixNano())
	args := append([]string{"--addr", "127.0.0.1:0", "--dsn", dsn, "--table", table}, extra...)
	o, err := parseFlags(args, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, o, func(a string) { addr <- a }) }()
	var base string
	select {
	case a := <-addr:
		base = "http://" + a
	case err := <-done:
		cancel()
		t.Fatalf("pooldemo did not start (is the database up? make test starts MariaDB and PostgreSQL): %v", err)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
		dropTable(t, dsn, table)
	})
	return base
}

func dropTable(t *testing.T, dsn, table string) {
	db, err := dialectOf(dsn).open(dsn, 0)
	if err != nil {
		t.Error(err)
		return
	}
	defer db.Close()
	if _, err := db.Exec("DROP TABLE IF EXISTS " + table); err != nil {
		t.Errorf("drop %s: %v", table, err)
	}
}

func get(t *testing.T, c *http.Client, url string) (int, string, error) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

func TestEndpointsAndPoolGauges(t *testing.T) {
	for name, dsn := range map[string]string{"mariadb": testDSN, "postgres": pgtest.DSN(t)} {
		t.Run(name, func(t *testing.T) { endpoints(t, dsn) })
	}
}

// endpoints checks every endpoint and the pool gauges of a prewarmed
// pooldemo on dsn's database.
func endpoints(t *testing.T, dsn string) {
	base := startOn(t, dsn, "--pool", "3", "--prewarm")
	c := &http.Client{Timeout: 5 * time.Second}
	for _, p := range []string{"/select", "/list", "/slow", "/healthz"} {
		if code, body, err := get(t, c, base+p); err != nil || code != 200 {
			t.Errorf("%s: %d %q %v", p, code, body, err)
		}
	}
	resp, err := c.Post(base+"/write", "", nil)
	if err != nil || resp.StatusCode != 200 {
		t.Errorf("/write: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	_, body, err := get(t, c, base+"/debug/pool")
	if err != nil {
		t.Fatal(err)
	}
	var s poolStats
	if err := json.Unmarshal([]byte(body), &s); err != nil {
		t.Fatalf("/debug/pool %q: %v", body, err)
	}
	if s.MaxOpen != 3 || s.Open != 3 || s.InUse != 0 {
		t.Errorf("/debug/pool = %+v, want max_open 3, open 3 (prewarmed), in_use 0", s)
	}
	if _, body, _ := get(t, c, base+"/metrics"); !strings.Contains(body, "pooldemo_pool_max_open 3\n") {
		t.Errorf("/metrics lacks max_open 3:\n%s", body)
	}
}

func TestLeakHangsWhenPoolIsGone(t *testing.T) {
	for name, dsn := range map[string]string{"mariadb": testDSN, "postgres": pgtest.DSN(t)} {
		t.Run(name, func(t *testing.T) { leakHangs(t, dsn) })
	}
}

// leakHangs: with --leak-every 1 and a pool of 2, the third request
// waits for a connection until its client gives up.
func leakHangs(t *testing.T, dsn string) {
	base := startOn(t, dsn, "--pool", "2", "--leak-every", "1")
	c := &http.Client{Timeout: 300 * time.Millisecond}
	for i := 1; i <= 2; i++ {
		if code, body, err := get(t, c, base+"/select"); err != nil || code != 200 {
			t.Fatalf("request %d: %d %q %v", i, code, body, err)
		}
	}
	startAt := time.Now()
	_, _, err := get(t, c, base+"/select")
	if err == nil || !strings.Contains(err.Error(), "Timeout") {
		t.Fatalf("3rd request: err %v, want a client timeout", err)
	}
	if el := time.Since(startAt); el < 250*time.Millisecond {
		t.Errorf("3rd request failed after %v, want it to hang until the timeout", el)
	}
	_, body, _ := get(t, &http.Client{Timeout: 2 * time.Second}, base+"/debug/pool")
	var s poolStats
	if err := json.Unmarshal([]byte(body), &s); err != nil || s.InUse != 2 {
		t.Errorf("/debug/pool = %q, want in_use 2 (both leaked)", body)
	}
}

func TestFlags(t *testing.T) {
	for _, bad := range [][]string{{"--pool", "0"}, {"--leak-every", "-1"}, {"--nope"}} {
		if _, err := parseFlags(bad, io.Discard); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

func TestPlaceholders(t *testing.T) {
	for _, c := range []struct{ dsn, in, want string }{
		{testDSN, "UPDATE t SET a = ? WHERE id = ?", "UPDATE t SET a = ? WHERE id = ?"},
		{"postgres://u@127.0.0.1/db", "UPDATE t SET a = ? WHERE id = ?", "UPDATE t SET a = $1 WHERE id = $2"},
		{"postgresql://u@127.0.0.1/db", "SELECT 1", "SELECT 1"},
	} {
		if got := dialectOf(c.dsn).q(c.in); got != c.want {
			t.Errorf("%s: q(%q) = %q, want %q", c.dsn, c.in, got, c.want)
		}
	}
}
