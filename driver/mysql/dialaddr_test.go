package mysql

import (
	"context"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/poolload/poolload/driver/mysqlserver"
)

// forwarder is a trivial TCP proxy standing in for the network emulator:
// it counts the connections it accepts and copies bytes both ways.
type forwarder struct {
	l        net.Listener
	target   string
	accepted atomic.Int64
	mu       sync.Mutex
	conns    []net.Conn
	wg       sync.WaitGroup
}

// startForwarder listens on listenHost (an ephemeral port) and forwards to
// target until the test ends.
func startForwarder(t *testing.T, listenHost, target string) *forwarder {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(listenHost, "0"))
	if err != nil {
		t.Fatal(err)
	}
	f := &forwarder{l: l, target: target}
	f.wg.Go(f.serve)
	t.Cleanup(f.close)
	return f
}

func (f *forwarder) addr() string { return f.l.Addr().String() }

func (f *forwarder) serve() {
	for {
		in, err := f.l.Accept()
		if err != nil {
			return
		}
		f.accepted.Add(1)
		out, err := net.Dial("tcp", f.target)
		if err != nil {
			in.Close()
			continue
		}
		f.mu.Lock()
		f.conns = append(f.conns, in, out)
		f.mu.Unlock()
		// Closing both ends when either direction ends lets the other
		// io.Copy return.
		f.wg.Go(func() { io.Copy(out, in); out.Close(); in.Close() })
		f.wg.Go(func() { io.Copy(in, out); out.Close(); in.Close() })
	}
}

func (f *forwarder) close() {
	f.l.Close()
	f.mu.Lock()
	for _, c := range f.conns {
		c.Close()
	}
	f.mu.Unlock()
	f.wg.Wait()
}

// TestDialAddr: with DialAddr set, the pool's connections go through the
// forwarder and the monitoring and setup connections do not.
func TestDialAddr(t *testing.T) {
	dsn := testDSN(t)
	tg := start(t, Config{DSN: dsn, MaxOpen: 3, Seed: &Seed{Table: uniqueName("dialaddr"), Rows: 10}})
	real, err := tg.ServerAddr()
	if err != nil {
		t.Fatal(err)
	}
	fw := startForwarder(t, "127.0.0.1", real)
	tg.DialAddr = fw.addr()
	d := openTarget(t, tg) // Setup (seed) and the monitor connect here
	if n := fw.accepted.Load(); n != 0 {
		t.Fatalf("%d connections through the forwarder before the pool dialed: setup or monitor went through it", n)
	}
	if n, err := d.Prewarm(context.Background(), 3); err != nil || n != 3 {
		t.Fatalf("Prewarm = %d, %v", n, err)
	}
	trs := runVUs(context.Background(), d, 3, 5)
	if n := classes(trs); n["none"] != len(trs) {
		t.Fatalf("errors through the forwarder: %v (%v)", n, firstErr(trs))
	}
	gauges(t, d) // the monitor reads server status: must not go through
	opened, _ := d.Opened()
	if n := fw.accepted.Load(); n != opened || n != 3 {
		t.Errorf("forwarder accepted %d connections, pool opened %d, want 3 each", n, opened)
	}
	if got := d.Describe(context.Background())["dial_addr"]; got != fw.addr() {
		t.Errorf("Describe dial_addr = %q", got)
	}
}

func TestServerAddr(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string // "" means an error containing errWant
		errW string
	}{
		{cfg: Config{DSN: "u:" + secret + "@tcp(db.example:3307)/x"}, want: "db.example:3307"},
		{cfg: Config{DSN: "root@tcp(10.0.0.1)/x"}, want: "10.0.0.1:3306"},
		{cfg: Config{DSN: "root@unix(/tmp/m.sock)/x"}, errW: "not TCP"},
		{cfg: Config{Server: ServerManaged}, errW: "Start"}, // not started, or closed
		{cfg: Config{}, errW: "no dsn"},
	} {
		got, err := (&Target{cfg: tc.cfg}).ServerAddr()
		switch {
		case tc.want != "" && (err != nil || got != tc.want):
			t.Errorf("%s: ServerAddr = %q, %v; want %s", mysqlserver.RedactDSN(tc.cfg.DSN), got, err, tc.want)
		case tc.want == "" && (err == nil || !strings.Contains(err.Error(), tc.errW)):
			t.Errorf("%s: ServerAddr = %q, %v; want an error about %s", mysqlserver.RedactDSN(tc.cfg.DSN), got, err, tc.errW)
		case err != nil && strings.Contains(err.Error(), secret):
			t.Errorf("error shows the password: %v", err)
		}
	}
	bad := start(t, Config{DSN: "root@tcp(127.0.0.1:3306)/test"})
	bad.DialAddr = "nowhere"
	if _, err := bad.open(context.Background()); err == nil || !strings.Contains(err.Error(), "DialAddr") {
		t.Errorf("open with DialAddr %q: %v", bad.DialAddr, err)
	}
}
