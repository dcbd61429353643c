package http

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	nethttp "net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// forwarder accepts connections and pipes each to target, counting them:
// a stand-in for the network emulator.
type forwarder struct {
	l     net.Listener
	conns atomic.Int64
	wg    sync.WaitGroup
}

func forward(t *testing.T, target string) *forwarder {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &forwarder{l: l}
	f.wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			f.conns.Add(1)
			f.wg.Go(func() { f.pipe(c, target) })
		}
	})
	t.Cleanup(func() { l.Close(); f.wg.Wait() })
	return f
}

func (f *forwarder) pipe(c net.Conn, target string) {
	defer c.Close()
	up, err := net.Dial("tcp", target)
	if err != nil {
		return
	}
	defer up.Close()
	go func() { io.Copy(up, c); up.(*net.TCPConn).CloseWrite() }()
	io.Copy(c, up)
}

// DialAddr sends the load through the forwarder while the URL (and so the
// Host header) stays base_url's; auth and pool_metrics connect directly.
func TestDialAddr(t *testing.T) {
	var hosts sync.Map
	s := server(t, func(w nethttp.ResponseWriter, r *nethttp.Request) {
		hosts.Store(r.URL.Path+" "+r.Host, true)
		switch r.URL.Path {
		case "/login":
			w.Write([]byte(`{"token":"t"}`))
		case "/debug/pool":
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"in_use":1,"idle":1,"wait_count":0,"max_open":2}`))
		}
	})
	f := forward(t, s.Listener.Addr().String())
	base := "http://svc.invalid:" + portOf(s.Listener.Addr().String())
	d := open(t, Config{BaseURL: base, Requests: one("/x"), DialAddr: f.l.Addr().String(), NoReuse: true})
	for i := range 3 {
		if tr := run(d, uint64(i)); tr.Err != nil {
			t.Fatal(tr.Err)
		}
	}
	if n := f.conns.Load(); n != 3 {
		t.Errorf("forwarder saw %d connections, want 3 (no_reuse)", n)
	}
	if _, ok := hosts.Load("/x " + strings.TrimPrefix(base, "http://")); !ok {
		t.Errorf("Host header changed: saw %v", keys(&hosts))
	}
	// Auth and scraping go straight to the service (a real host here).
	before := f.conns.Load()
	direct := open(t, Config{BaseURL: s.URL, Requests: one("/x"), DialAddr: f.l.Addr().String(),
		Auth: &Auth{Path: "/login", TokenJSON: "token"}, PoolMetrics: &PoolMetrics{}})
	if g := sample(t, context.Background(), direct); g["svc_pool_max"] != 2 {
		t.Errorf("pool_metrics: %v", g)
	}
	if f.conns.Load() != before {
		t.Error("auth or pool_metrics went through DialAddr")
	}
}

func portOf(addr string) string { _, p, _ := net.SplitHostPort(addr); return p }

func keys(m *sync.Map) []any {
	var out []any
	m.Range(func(k, _ any) bool { out = append(out, k); return true })
	return out
}

func TestValidateBlocks(t *testing.T) {
	c := Config{BaseURL: "http://127.0.0.1:8089", Requests: one("/"),
		Auth: &Auth{Method: "BREW", Path: "login", TokenJSON: "data..token", Header: "Bad Header", Format: "Bearer",
			ExpectStatus: []int{9}, Headers: map[string]string{"X": "${POOLLOAD_UNSET_VAR}"}, Body: "${POOLLOAD_UNSET_VAR}"},
		PoolMetrics: &PoolMetrics{URL: "http://example.com/metrics", Format: "xml"},
		Database:    &Database{},
		DialAddr:    "nope",
	}
	errs := c.Validate()
	for _, k := range []string{"auth.method", "auth.path", "auth.token_json", "auth.header", "auth.format",
		"auth.expect_status[0]", "auth.headers.X", "auth.body", "pool_metrics.url", "pool_metrics.format",
		"database.dsn", "dial_addr"} {
		if errs[k] == "" {
			t.Errorf("no error for %s (got %v)", k, errs)
		}
	}
	c2 := Config{BaseURL: "http://127.0.0.1:8089", Requests: one("/"), Auth: &Auth{Path: "/login"},
		PoolMetrics: &PoolMetrics{Format: FormatPrometheus, InUse: "x{a=b}", Idle: "ok"}}
	errs = c2.Validate()
	if !strings.Contains(errs["auth.token_json"], "is empty") || !strings.Contains(errs["pool_metrics.in_use"], "is not a selector") || len(errs) != 2 {
		t.Errorf("errs = %v", errs)
	}
	ok := Config{BaseURL: "http://svc:8089", Requests: one("/"), Auth: &Auth{Path: "/login", TokenJSON: "a.b"},
		PoolMetrics: &PoolMetrics{URL: "http://127.0.0.1:9090/metrics", Format: FormatPrometheus, InUse: `x{pool="a"}`},
		Database:    &Database{DSN: "app:pw@tcp(db:3306)/shop"}}
	if errs := ok.Validate(); len(errs) != 0 {
		t.Errorf("valid blocks: %v", errs)
	}
}

func TestRedacted(t *testing.T) {
	const pw, key = "s3cr3t-pw", "k3y-value"
	c := Config{BaseURL: "http://u:" + pw + "@127.0.0.1:8089",
		Requests: []Request{{Path: "/", Headers: map[string]string{"X-Api-Key": key, "Accept": "text/plain"}},
			{Path: "/items/{rand_int(1,9)}?page=2&api_key=" + key, Method: "POST", Body: `{"card":"` + key + `"}`}},
		Auth: &Auth{Path: "/login?token=" + key, TokenJSON: "t", Body: `{"password":"` + pw + `"}`,
			Headers: map[string]string{"Cookie": key, "Content-Type": "application/json"}},
		PoolMetrics: &PoolMetrics{URL: "http://m:" + pw + "@127.0.0.1:9/x"},
		Database:    &Database{DSN: "app:" + pw + "@tcp(db:3306)/shop", User: "app"},
	}
	r := c.Redacted()
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{string(b), c.String(), c.GoString(), mustJSON(t, r)} {
		noSecret(t, text, pw, key)
		for _, kept := range []string{"text/plain", "application/json", "app", "/login", "db:3306",
			"/items/{rand_int(1,9)}?page=2", fmt.Sprintf("[%d bytes redacted]", len(c.Requests[1].Body))} {
			if !strings.Contains(text, kept) {
				t.Errorf("%s lost %q", text, kept)
			}
		}
	}
	if c.Requests[0].Headers["X-Api-Key"] != key || c.Auth.Headers["Cookie"] != key || !strings.Contains(c.Database.DSN, pw) {
		t.Error("Redacted changed the original")
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
