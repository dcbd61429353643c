// Package mysqltest gives tests the MySQL/MariaDB server they run against:
// the local one (make test starts it), or POOLLOAD_TEST_DSN.
package mysqltest

import (
	"context"
	"database/sql"
	"os"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
)

// DSN returns the test server's DSN. A test that needs the server fails,
// never skips, when it does not answer.
func DSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("POOLLOAD_TEST_DSN")
	if dsn == "" {
		dsn = "root@tcp(127.0.0.1:3306)/test"
	}
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatalf("POOLLOAD_TEST_DSN: %v", err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		t.Fatalf("no MySQL at %s (make test starts the local MariaDB; tests that need it never skip): %v", redacted(dsn), err)
	}
	return dsn
}

// redacted is dsn without its password. (mysqlserver.RedactDSN says the
// same, but its own tests use this package.)
func redacted(dsn string) string {
	c, err := gomysql.ParseDSN(dsn)
	if err != nil {
		return "(an unreadable DSN)"
	}
	if c.Passwd != "" {
		c.Passwd = "*****"
	}
	return c.FormatDSN()
}
