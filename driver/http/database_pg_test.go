package http

import (
	"context"
	"errors"
	"fmt"
	nethttp "net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/poolload/poolload/driver"
	"github.com/poolload/poolload/driver/pgserver"
	"github.com/poolload/poolload/driver/pgserver/pgtest"
)

// The database block on the machine's PostgreSQL: the service user's
// backends by state and the connections it opened, from the server side.
// Other tests may connect as the same role at the same time, so the
// counts are checked as lower bounds: what this test's own connections
// must add.
func TestDatabaseGaugesPostgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	cc, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	s := server(t, func(nethttp.ResponseWriter, *nethttp.Request) {})
	cfg := Config{BaseURL: s.URL, Requests: one("/"), Database: &Database{DSN: dsn, User: cc.User}}
	if errs := cfg.Validate(); len(errs) != 0 {
		t.Fatalf("Validate: %v", errs)
	}
	d := open(t, cfg)
	var want []string
	for _, n := range pgserver.GaugeNames() {
		want = append(want, "db_"+n)
	}
	want = append(want, "db_user_threads", "db_user_conns_opened", "http_conns_opened", "http_conns_opened_by_pool", "http_conns_opened_by_pool_ms")
	if got := strings.Join(d.GaugeNames(), ","); got != strings.Join(want, ",") || strings.Join(cfg.GaugeNames(), ",") != got {
		t.Fatalf("GaugeNames = %s, want %s", got, strings.Join(want, ","))
	}
	sample(t, context.Background(), d) // the mark new connections count from

	// Three connections of the service's user: one idle, one idle in
	// transaction, one idle in a failed transaction.
	ctx := context.Background()
	conns := make([]*pgx.Conn, 3)
	for i := range conns {
		c, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close(context.Background()) })
		conns[i] = c
	}
	if _, err := conns[1].Exec(ctx, "BEGIN"); err != nil {
		t.Fatal(err)
	}
	if _, err := conns[2].Exec(ctx, "BEGIN"); err != nil {
		t.Fatal(err)
	}
	if _, err := conns[2].Exec(ctx, "SELECT 1/0"); err == nil {
		t.Fatal("SELECT 1/0 did not fail")
	}
	g := sample(t, ctx, d)
	for col, least := range map[string]float64{"db_user_threads": 3, "db_user_conns_opened": 3, "db_pg_load_backends": 3,
		"db_pg_load_idle": 1, "db_pg_load_idle_in_tx": 1, "db_pg_load_idle_in_tx_aborted": 1, "db_pg_backends": 3} {
		if !(g[col] >= least) {
			t.Errorf("%s = %v after this test's connections, want at least %v", col, g[col], least)
		}
	}
	// The user's count is the load's, whatever the sessions' names.
	if g["db_user_threads"] != g["db_pg_load_backends"] {
		t.Logf("db_user_threads %v, db_pg_load_backends %v: another test connected in between", g["db_user_threads"], g["db_pg_load_backends"])
	}
	desc := d.Describe(ctx)
	for _, k := range []string{"db.server_version", "db.max_connections", "db.superuser_reserved_connections",
		"db.idle_session_timeout", "db.dsn", "db.user"} {
		if desc[k] == "" {
			t.Errorf("Describe lacks %s: %v", k, desc)
		}
	}
	if n, err := strconv.ParseFloat(desc["db.baseline_backends"], 64); err != nil || n < 0 {
		t.Errorf("db.baseline_backends = %q, want the backends other users held at open", desc["db.baseline_backends"])
	}
	if strings.Contains(desc["db.dsn"], cc.Password) {
		t.Errorf("db.dsn %q holds the password", desc["db.dsn"])
	}
}

func TestDatabaseOpenFailsPostgres(t *testing.T) {
	const pw = "db-s3cret-pw"
	s := server(t, func(nethttp.ResponseWriter, *nethttp.Request) {})
	_, err := New(Config{BaseURL: s.URL, Requests: one("/"),
		Database: &Database{DSN: fmt.Sprintf("postgres://app:%s@%s/app?sslmode=disable", pw, closedPort(t))}})
	var oe *pgserver.OpenError
	if !errors.As(err, &oe) || oe.Class != driver.ClassConnectRefused || !strings.Contains(err.Error(), "database") {
		t.Errorf("Open = %v, want a connect_refused from the database block", err)
	}
	noSecret(t, fmt.Sprint(err), pw)
	bad := Config{BaseURL: s.URL, Requests: one("/"), Database: &Database{DSN: "postgres://app:" + pw + "@127.0.0.1:notaport/app"}}
	msg := bad.Validate()["database.dsn"]
	if msg == "" {
		t.Error("a DSN that does not parse passed Validate")
	}
	noSecret(t, msg, pw)
}
