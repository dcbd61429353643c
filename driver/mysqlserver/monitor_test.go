package mysqlserver

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"strings"
	"testing"

	gomysql "github.com/go-sql-driver/mysql"

	pdriver "github.com/poolload/poolload/driver"
)

func openMonitor(t *testing.T, dsn string) *Monitor {
	t.Helper()
	m, err := OpenMonitor(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func TestMonitorSampleDescribe(t *testing.T) {
	m := openMonitor(t, testDSN(t))
	names := m.GaugeNames()
	want := "threads_connected,threads_running,threads_created,connections," +
		"aborted_connects,aborted_clients,max_used_connections,questions"
	if strings.Join(names, ",") != want || strings.Join(ServerGaugeNames(), ",") != want {
		t.Fatalf("GaugeNames = %v, want %s", names, want)
	}
	dst := make([]float64, len(names))
	m.Sample(context.Background(), dst)
	got := map[string]float64{}
	for i, n := range names {
		got[n] = dst[i]
		if math.IsNaN(dst[i]) {
			t.Errorf("%s is NaN", n)
		}
	}
	// Deltas since Open: this Sample's own query at least; the levels
	// count the monitor itself.
	if got["threads_connected"] < 1 || got["questions"] < 1 || got["max_used_connections"] < 1 {
		t.Errorf("gauges %v", got)
	}
	desc := m.Describe(context.Background())
	for _, k := range []string{"server_version", "max_connections", "wait_timeout", "thread_cache_size", "dsn"} {
		if desc[k] == "" {
			t.Errorf("Describe lacks %s: %v", k, desc)
		}
	}
}

// A user that exists only for this test, so no other test's connections
// change the counts.
func TestMonitorUserConns(t *testing.T) {
	dsn := testDSN(t)
	m := openMonitor(t, dsn)
	user := uniqueName("plmon")
	admin, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE USER '" + user + "'@'%'"); err != nil {
		t.Fatal(err)
	}
	defer admin.Exec("DROP USER '" + user + "'@'%'")
	ctx := context.Background()
	n, opened, last, err := m.UserConns(ctx, user, 0)
	if err != nil || n != 0 || opened != 0 {
		t.Fatalf("before: %d threads, %d opened, %v", n, opened, err)
	}
	as, err := sql.Open("mysql", user+"@tcp("+addrOf(t, dsn)+")/")
	if err != nil {
		t.Fatal(err)
	}
	defer as.Close()
	as.SetMaxIdleConns(0) // a released connection closes
	a, err := as.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n, opened, last, err = m.UserConns(ctx, user, last); err != nil || n != 1 || opened != 1 {
		t.Errorf("after one connection as %s: %d threads, %d opened, %v", user, n, opened, err)
	}
	if n, opened, _, err = m.UserConns(ctx, user, last); err != nil || n != 1 || opened != 0 {
		t.Errorf("nothing new since: %d threads, %d opened, %v", n, opened, err)
	}
	// As many connections as before, but a new one: counted by its id.
	a.Close()
	b, err := as.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if n, opened, _, err = m.UserConns(ctx, user, last); err != nil || n != 1 || opened != 1 {
		t.Errorf("after a connection replaced another: %d threads, %d opened, %v", n, opened, err)
	}
}

func TestMonitorErrorsHidePassword(t *testing.T) {
	cases := []struct {
		dsn  string
		want pdriver.ErrorClass
	}{
		{"root:" + secret + "@tcp(" + closedPort(t) + ")/test", pdriver.ClassConnectRefused},
		{"root:" + secret + "@tcp(127.0.0.1:1/test", pdriver.ClassNone}, // does not parse
	}
	for _, c := range cases {
		_, err := OpenMonitor(context.Background(), c.dsn)
		if err == nil || strings.Contains(err.Error(), secret) {
			t.Errorf("OpenMonitor(%s) = %v, want an error without the password", RedactDSN(c.dsn), err)
			continue
		}
		var oe *OpenError
		if c.want != pdriver.ClassNone && (!errors.As(err, &oe) || oe.Class != c.want) {
			t.Errorf("OpenMonitor(%s) = %v, want class %v", RedactDSN(c.dsn), err, c.want)
		}
		if c.want == pdriver.ClassNone && CheckDSN(c.dsn) == nil {
			t.Errorf("CheckDSN(%s) accepted it", RedactDSN(c.dsn))
		}
	}
}

func addrOf(t *testing.T, dsn string) string {
	t.Helper()
	gc, err := gomysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	return gc.Addr
}
