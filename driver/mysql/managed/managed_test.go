package managed

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
)

func TestStartStop(t *testing.T) {
	if _, _, err := find(); err != nil {
		t.Fatalf("mariadbd is needed for this test (apt-get install mariadb-server): %v", err)
	}
	start := time.Now()
	s, err := Start(context.Background(), map[string]string{"max_connections": "5", "wait_timeout": "7"})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("managed mariadbd answered after %v at %s", time.Since(start), s.DSN())
	defer s.Stop()
	db, err := sql.Open("mysql", s.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var wt int
	if err := db.QueryRow("SELECT @@wait_timeout").Scan(&wt); err != nil || wt != 7 {
		t.Errorf("wait_timeout = %d, %v", wt, err)
	}
	if got := s.Adjusted["max_connections"]; got != "5 → 10" {
		t.Errorf("Adjusted = %v, want max_connections raised to MariaDB's minimum 10", s.Adjusted)
	}
	if _, err := db.Exec("CREATE TABLE test.t (id INT)"); err != nil {
		t.Errorf("database test: %v", err)
	}
	db.Close()
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if _, err := os.Stat(s.Dir()); !os.IsNotExist(err) {
		t.Errorf("directory %s still there: %v", s.Dir(), err)
	}
	if s.cmd.ProcessState == nil {
		t.Error("process not reaped")
	}
}

func TestNotInstalled(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	old := sbinDirs
	sbinDirs = nil
	defer func() { sbinDirs = old }()
	_, err := Start(context.Background(), nil)
	if !errors.Is(err, ErrNotInstalled) {
		t.Fatalf("Start = %v", err)
	}
	for _, want := range []string{"mariadb-server", "dsn"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q does not mention %s", err, want)
		}
	}
}
