// Package pgtest gives tests the PostgreSQL server they run against: the
// local one (make test starts it and creates the poolload role), or
// POOLLOAD_TEST_PG_DSN.
package pgtest

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultDSN is the local server as .ci/ensure-postgres prepares it.
const DefaultDSN = "postgres://poolload:pl-test-pw@127.0.0.1:5432/poolload?sslmode=disable"

// DSN returns the test server's DSN. A test that needs the server fails,
// never skips, when it does not answer.
func DSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("POOLLOAD_TEST_PG_DSN")
	if dsn == "" {
		dsn = DefaultDSN
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("no PostgreSQL for the tests (make test runs .ci/ensure-postgres, which starts the local one "+
			"and creates its role; tests that need it never skip): %v", err)
	}
	conn.Close(ctx)
	return dsn
}
