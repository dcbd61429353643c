package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

const testDSN = "root@tcp(127.0.0.1:3306)/test"

// start runs pooldemo in-process on a free loopback port with a table of
// its own, and stops it and drops the table when the test ends.
func start(t *testing.T, extra ...string) string {
	t.Helper()
	table := fmt.Sprintf("pooldemo_test_%d", time.Now().UnixNano())
	args := append([]string{"--addr", "127.0.0.1:0", "--dsn", testDSN, "--table", table}, extra...)
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
		t.Fatalf("pooldemo did not start (is MariaDB on 127.0.0.1:3306? make test starts it): %v", err)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
		dropTable(t, table)
	})
	return base
}

func dropTable(t *testing.T, table string) {
	db, err := sql.Open("mysql", testDSN)
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
	base := start(t, "--pool", "3", "--prewarm")
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
	base := start(t, "--pool", "2", "--leak-every", "1")
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
