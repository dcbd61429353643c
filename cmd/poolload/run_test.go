package main

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
)

// An output path that cannot hold a record (a regular file, or a path
// through one) fails at once with exit 1, and before anything touches the
// target: the scenario's setup statement never runs.
func TestOutputPathThatCannotHoldARecord(t *testing.T) {
	db, err := sql.Open("mysql", "root@tcp(127.0.0.1:3306)/test")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	table := fmt.Sprintf("pl_out_%d", time.Now().UnixNano()%1e9)
	t.Cleanup(func() { _, _ = db.Exec("DROP TABLE IF EXISTS " + table) })
	file := writeFile(t, "setup.yaml", fmt.Sprintf(`name: setup
target:
  driver: mysql
  mysql:
    dsn: root@tcp(127.0.0.1:3306)/test
    setup: ["CREATE TABLE %s (id INT)"]
    operations: [{sql: "SELECT 1"}]
load: {executor: constant-arrival-rate, rate: 10, duration: 1s, pre_allocated_vus: 2}
`, table))
	regular := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(regular, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{regular, filepath.Join(regular, "below")} {
		type result struct {
			code   int
			stderr string
		}
		done := make(chan result, 1)
		go func() {
			code, _, stderr := runCLI(t, "run", "-q", "--no-plots", "--out", out, file)
			done <- result{code, stderr}
		}()
		var r result
		select {
		case r = <-done:
		case <-time.After(20 * time.Second):
			t.Fatalf("--out %s: still running after 20 s", out)
		}
		if r.code != exitFailed || !strings.Contains(r.stderr, "creating the") || !strings.Contains(r.stderr, "not a directory") {
			t.Errorf("--out %s: exit %d, stderr %q; want exit 1 saying the record cannot be created", out, r.code, r.stderr)
		}
		var n int
		if err := db.QueryRow("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'test' AND table_name = ?", table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Fatalf("--out %s: the setup ran (table %s exists) before the output path was checked", out, table)
		}
	}
}
