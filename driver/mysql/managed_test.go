package mysql

import (
	"context"
	"database/sql"
	"io"
	"strings"
	"testing"
	"time"

	pdriver "github.com/poolload/poolload/driver"
)

// TestManagedServer runs the scenarios that need server settings nobody may
// change on a shared server, on one private mariadbd: max_connections 5
// (which MariaDB raises to its minimum, 10) and wait_timeout 1.
func TestManagedServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a mariadbd")
	}
	begin := time.Now()
	base := start(t, Config{Server: ServerManaged,
		ServerVars: map[string]string{"max_connections": "5", "wait_timeout": "1"}})
	t.Logf("managed server ready after %v; adjusted: %v", time.Since(begin), base.Managed().Adjusted)

	t.Run("too many connections", func(t *testing.T) { tooManyConnections(t, base) })
	t.Run("settle", func(t *testing.T) { settle(t, base) })
	t.Run("wait_timeout", func(t *testing.T) { waitTimeout(t, base) })
}

// tooManyConnections: a pool of 20 against a server that takes 10 (plus one
// for a SUPER user, minus our monitor) gives 1040 errors, classified.
func tooManyConnections(t *testing.T, base *Target) {
	cfg := base.Config()
	cfg.MaxOpen = 20
	cfg.Operations = []Operation{{SQL: "SELECT SLEEP(0.2)"}}
	d, err := variant(base, cfg).open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	trs := runVUs(context.Background(), d, 20, 1)
	n := classes(trs)
	t.Logf("20 concurrent on max_connections %s: %v", d.facts["max_connections"], n)
	if n["too_many_connections"] == 0 || n["none"] == 0 || n["too_many_connections"]+n["none"] != 20 {
		t.Errorf("want a mix of successes and too_many_connections: %v (%v)", n, firstErr(trs))
	}
	if g := gauges(t, d); g["aborted_connects"] < 1 {
		t.Logf("note: aborted_connects %v", g["aborted_connects"])
	}
}

// settle: after a pool is closed, a new driver's Settle returns once the
// server has let its connections go.
func settle(t *testing.T, base *Target) {
	cfg := base.Config()
	cfg.MaxOpen = 5
	run := variant(base, cfg) // both pools belong to one run: one baseline
	d1, err := run.open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d1.Prewarm(context.Background(), 5); err != nil {
		t.Fatal(err)
	}
	d1.Close()
	d2, err := run.open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	start := time.Now()
	if err := d2.Settle(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Logf("settled in %v (baseline %d)", time.Since(start), d2.baseline)
	if _, err := d2.Prewarm(context.Background(), 3); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := d2.Settle(ctx); err != nil {
		t.Errorf("Settle with our own pool open: %v", err)
	}
}

// waitTimeout: a warm pool left idle past the server's wait_timeout. With
// the driver's liveness check (the default) dead connections are noticed at
// checkout and replaced, so iterations succeed and bad_conn_checks counts
// them; without it the first use of each fails with bad_connection.
func waitTimeout(t *testing.T, base *Target) {
	open := func(cfg Config, log io.Writer) *Driver {
		cfg.MaxOpen = 3
		run := variant(base, cfg)
		run.Log = log
		d, err := run.open(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		if n, err := d.Prewarm(context.Background(), 3); err != nil || n != 3 {
			t.Fatalf("Prewarm = %d, %v", n, err)
		}
		gauges(t, d) // reset the deltas
		return d
	}
	// The checked pool logs in as a user with a password, to show that the
	// driver's log lines and Describe never carry it.
	var log strings.Builder
	checked := open(Config{DSN: userWithPassword(t, base)}, &log)
	// The monitoring session sets its own wait_timeout; run.json must get
	// the server's.
	if got := checked.Describe(context.Background())["wait_timeout"]; got != "1" {
		t.Errorf("Describe wait_timeout = %q, want the server's 1", got)
	}
	uncheckedCfg := base.Config()
	uncheckedCfg.Params = map[string]string{"checkConnLiveness": "false"}
	unchecked := open(uncheckedCfg, nil)
	time.Sleep(3 * time.Second)

	trs := runVUs(context.Background(), checked, 3, 2)
	g := gauges(t, checked)
	n := classes(trs)
	t.Logf("liveness check on: classes %v, bad_conn_checks %v, conns_opened %v", n, g["bad_conn_checks"], g["conns_opened"])
	switch {
	case g["bad_conn_checks"] > 0 && n["none"] == len(trs):
		t.Log("→ the liveness check found the dead idle connections and database/sql replaced them: no errors")
	case n["bad_connection"] > 0:
		t.Log("→ dead idle connections surfaced as bad_connection errors")
	default:
		t.Errorf("neither bad_conn_checks nor bad_connection errors: %v %v (%v)", g, n, firstErr(trs))
	}

	if !strings.Contains(log.String(), badIdleLine) || strings.Contains(log.String(), secret) {
		t.Errorf("driver log: %q", log.String())
	}
	for k, v := range checked.Describe(context.Background()) {
		if strings.Contains(v, secret) {
			t.Errorf("Describe %s shows the password: %s", k, v)
		}
	}

	trs = runVUs(context.Background(), unchecked, 3, 2)
	n = classes(trs)
	t.Logf("liveness check off: classes %v (%v)", n, firstErr(trs))
	if n["bad_connection"] == 0 && n["server_gone"] == 0 {
		t.Errorf("without the liveness check, dead connections should fail: %v", n)
	}
	for _, tr := range trs {
		if tr.Class != pdriver.ClassNone && tr.Class != pdriver.ClassBadConnection && tr.Class != pdriver.ClassServerGone {
			t.Errorf("unexpected class %s: %v", tr.Class, tr.Err)
		}
	}
}

// userWithPassword creates a user with a password on the managed server and
// returns a DSN for it.
func userWithPassword(t *testing.T, base *Target) string {
	t.Helper()
	db, _, err := base.admin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		"CREATE USER IF NOT EXISTS 'pl'@'127.0.0.1' IDENTIFIED BY '" + secret + "'",
		"GRANT ALL ON test.* TO 'pl'@'127.0.0.1'",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	return "pl:" + secret + "@tcp(" + base.Managed().Addr() + ")/test"
}

// Another client's connection never goes: Settle says so once the count
// stops falling, well before its timeout, rather than waiting it out.
func TestSettleGivesUpOnOtherClients(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a mariadbd")
	}
	base := start(t, Config{Server: ServerManaged})
	d, err := variant(base, base.Config()).open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	other, err := sql.Open("mysql", base.Managed().DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	// Three held connections: a baseline taken while the server was still
	// letting the start-up probe go could hide one.
	for range 3 {
		c, err := other.Conn(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	begin := time.Now()
	err = d.Settle(context.Background())
	if err == nil || !strings.Contains(err.Error(), "stayed at") || time.Since(begin) > SettleTimeout/2 {
		t.Errorf("Settle beside another client's connection: %v after %v; want it to give up after about %v", err, time.Since(begin), settleStall)
	}
}
