package mysqlserver

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strings"
	"testing"

	_ "github.com/go-sql-driver/mysql" // registers "mysql" for testDSN

	"github.com/poolload/poolload/driver/mysqlserver/mysqltest"
)

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

// testDSN is the test server (mysqltest.DSN).
func testDSN(t *testing.T) string { return mysqltest.DSN(t) }
