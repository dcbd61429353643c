package http

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	nethttp "net/http"
	"os"
	"strconv"
	"strings"
	"testing"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/poolload/poolload/driver"
	"github.com/poolload/poolload/driver/mysqlserver"
	"github.com/poolload/poolload/driver/mysqlserver/mysqltest"
)

func sqlOpen(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	gc, err := gomysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := gomysql.NewConnector(gc)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(conn)
	t.Cleanup(func() { db.Close() })
	return db
}

// tempUser creates a user only this test connects as, so that no other
// test's connections change its count, and drops it at cleanup.
func tempUser(t *testing.T, admin *sql.DB) string {
	t.Helper()
	user := fmt.Sprintf("plhttp_%d_%d", os.Getpid(), rand.IntN(1_000_000))
	if _, err := admin.Exec("CREATE USER '" + user + "'@'%'"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec("DROP USER '" + user + "'@'%'"); err != nil {
			t.Error(err)
		}
	})
	return user
}

func TestDatabaseGauges(t *testing.T) {
	dsn := testDSN(t)
	user := tempUser(t, sqlOpen(t, dsn))
	s := server(t, func(nethttp.ResponseWriter, *nethttp.Request) {})
	cfg := Config{BaseURL: s.URL, Requests: one("/"), Database: &Database{DSN: dsn, User: user}}
	d := open(t, cfg)
	want := "db_threads_connected,db_threads_running,db_threads_created,db_connections,db_aborted_connects," +
		"db_aborted_clients,db_max_used_connections,db_questions,db_user_threads,db_user_conns_opened," +
		"http_conns_opened,http_conns_opened_by_pool,http_conns_opened_by_pool_ms"
	if got := strings.Join(d.GaugeNames(), ","); got != want || strings.Join(cfg.GaugeNames(), ",") != want {
		t.Fatalf("GaugeNames = %s, want %s", got, want)
	}
	g := sample(t, context.Background(), d)
	if !(g["db_threads_connected"] >= 1) || !(g["db_questions"] >= 1) || g["db_user_threads"] != 0 {
		t.Errorf("gauges %v, want threads_connected >= 1 (the monitor) and no thread of %s", g, user)
	}
	gc, _ := gomysql.ParseDSN(dsn)
	if err := sqlOpen(t, user+"@tcp("+gc.Addr+")/").Ping(); err != nil {
		t.Fatal(err)
	}
	if g := sample(t, context.Background(), d); g["db_user_threads"] != 1 || g["db_user_conns_opened"] != 1 {
		t.Errorf("db_user_threads = %v, db_user_conns_opened = %v after one connection as %s, want 1 and 1",
			g["db_user_threads"], g["db_user_conns_opened"], user)
	}
	desc := d.Describe(context.Background())
	for _, k := range []string{"db.server_version", "db.max_connections", "db.wait_timeout", "db.dsn", "db.user", "base_url", "no_reuse", "timeout"} {
		if desc[k] == "" {
			t.Errorf("Describe lacks %s: %v", k, desc)
		}
	}
	// The other clients' connections at open, for the headroom finding:
	// the monitor's own at least.
	if n, err := strconv.Atoi(desc["db.baseline_threads_connected"]); err != nil || n < 1 {
		t.Errorf("db.baseline_threads_connected = %q, want the connections other clients held at open (≥ 1)", desc["db.baseline_threads_connected"])
	}
}

func TestDatabaseOpenFails(t *testing.T) {
	const pw = "db-s3cret-pw"
	s := server(t, func(nethttp.ResponseWriter, *nethttp.Request) {})
	_, err := New(Config{BaseURL: s.URL, Requests: one("/"),
		Database: &Database{DSN: "app:" + pw + "@tcp(" + closedPort(t) + ")/test"}})
	var oe *mysqlserver.OpenError
	if !errors.As(err, &oe) || oe.Class != driver.ClassConnectRefused || !strings.Contains(err.Error(), "database") {
		t.Errorf("Open = %v, want a connect_refused from the database block", err)
	}
	noSecret(t, fmt.Sprint(err), pw)
	bad := Config{BaseURL: s.URL, Requests: one("/"), Database: &Database{DSN: "app:" + pw + "@tcp(127.0.0.1:3306/test"}}
	msg := bad.Validate()["database.dsn"]
	if msg == "" {
		t.Error("a DSN that does not parse passed Validate")
	}
	noSecret(t, msg, pw)
}

// testDSN is the test server (mysqltest.DSN).
func testDSN(t *testing.T) string { return mysqltest.DSN(t) }
