package mysqlserver

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql" // registers "mysql" for testDSN
)

// testDSN is the shared local server, or POOLLOAD_TEST_DSN. Tests that need
// it fail, never skip, when it does not answer.
func testDSN(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv("POOLLOAD_TEST_DSN")
	if dsn == "" {
		dsn = "root@tcp(127.0.0.1:3306)/test"
	}
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		t.Fatalf("no MySQL at %s (make test starts the local MariaDB; tests that need it never skip): %v", RedactDSN(dsn), err)
	}
	return dsn
}

// uniqueName returns a name no other test run uses.
func uniqueName(prefix string) string {
	return fmt.Sprintf("%s_%d_%d", prefix, os.Getpid(), rand.IntN(1_000_000))
}

// closedPort returns a loopback port nobody listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
