package http

import (
	"context"
	"fmt"
	"io"
	"net"
	nethttp "net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/poolload/poolload/clock/clocktest"
	"github.com/poolload/poolload/driver"
	"github.com/poolload/poolload/units"
)

func open(t *testing.T, cfg Config) *Driver {
	t.Helper()
	d, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func server(t *testing.T, h nethttp.HandlerFunc) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s
}

func one(path string) []Request { return []Request{{Name: "r", Path: path}} }

func run(d *Driver, iter uint64) driver.Trace {
	tr := driver.Trace{VU: 1}
	tr.Reset(iter)
	d.Iterate(context.Background(), &tr)
	return tr
}

func TestNewThenReusedConnection(t *testing.T) {
	s := server(t, func(w nethttp.ResponseWriter, r *nethttp.Request) { w.Write([]byte("ok")) })
	d := open(t, Config{BaseURL: s.URL, Requests: one("/")})
	first := run(d, 0)
	if first.Err != nil {
		t.Fatal(first.Err)
	}
	if first.Blocked <= 0 || first.Connecting <= 0 || first.Dial <= 0 {
		t.Errorf("new conn: blocked %v connecting %v dial %v, want > 0", first.Blocked, first.Connecting, first.Dial)
	}
	if first.Blocked < first.Connecting {
		t.Errorf("blocked %v < connecting %v: blocked must include the dial", first.Blocked, first.Connecting)
	}
	second := run(d, 1)
	if second.Err != nil {
		t.Fatal(second.Err)
	}
	if second.Connecting != 0 || second.Dial != 0 {
		t.Errorf("reused conn: connecting %v dial %v, want 0", second.Connecting, second.Dial)
	}
}

func TestNoReuseDialsEveryTime(t *testing.T) {
	s := server(t, func(w nethttp.ResponseWriter, r *nethttp.Request) {})
	d := open(t, Config{BaseURL: s.URL, Requests: one("/"), NoReuse: true})
	for i := range 3 {
		if tr := run(d, uint64(i)); tr.Err != nil || tr.Connecting <= 0 {
			t.Fatalf("request %d: err %v connecting %v, want a new connection", i, tr.Err, tr.Connecting)
		}
	}
}

// A handler that sleeps 20 ms before its first byte has a wait of 20 ms
// plus the round trip: no less, and late by no more than an immediate
// handler's wait plus a plain 20 ms sleep's own lateness, both timed in
// turns with it, and a millisecond.
func TestWaitIsTimeToFirstByte(t *testing.T) {
	s := server(t, func(w nethttp.ResponseWriter, r *nethttp.Request) {
		if r.URL.Path == "/slow" {
			time.Sleep(20 * time.Millisecond)
		}
		w.Write([]byte("done"))
	})
	slow, fast := open(t, Config{BaseURL: s.URL, Requests: one("/slow")}), open(t, Config{BaseURL: s.URL, Requests: one("/fast")})
	run(slow, 0) // connect outside the measured requests
	run(fast, 0)
	type reading struct{ slow, fast, sleepLate time.Duration }
	measure := func() reading {
		var sl, f, late []time.Duration
		for i := range 7 {
			for _, d := range []*Driver{slow, fast} {
				tr := run(d, uint64(i+1))
				if tr.Err != nil {
					t.Fatal(tr.Err)
				}
				if d == slow {
					sl = append(sl, tr.Wait)
				} else {
					f = append(f, tr.Wait)
				}
			}
			start := time.Now()
			time.Sleep(20 * time.Millisecond)
			late = append(late, time.Since(start)-20*time.Millisecond)
		}
		return reading{medianOf(sl), medianOf(f), medianOf(late)}
	}
	r := clocktest.Require(t, 20*time.Second, measure,
		func(r reading) bool { return r.slow <= 20*time.Millisecond+r.fast+r.sleepLate+time.Millisecond },
		func(r reading) string {
			return fmt.Sprintf("wait p50 %v for a 20 ms handler, %v for an immediate one, a plain 20 ms sleep %v late: want 20 ms more, give or take the sleep's lateness", r.slow, r.fast, r.sleepLate)
		})
	if r.slow < 20*time.Millisecond {
		t.Errorf("wait p50 %v for a 20 ms handler: want at least 20 ms", r.slow)
	}
}

func medianOf(d []time.Duration) time.Duration {
	slices.Sort(d)
	return d[len(d)/2]
}

func TestErrorClasses(t *testing.T) {
	s := server(t, func(w nethttp.ResponseWriter, r *nethttp.Request) {
		switch r.URL.Path {
		case "/503":
			w.WriteHeader(503)
		case "/404":
			w.WriteHeader(404)
		case "/slow":
			time.Sleep(200 * time.Millisecond)
		}
	})
	cases := []struct {
		url  string
		path string
		want driver.ErrorClass
	}{
		{s.URL, "/ok", driver.ClassNone},
		{s.URL, "/503", driver.ClassHTTP5xx},
		{s.URL, "/404", driver.ClassHTTP4xx},
		{s.URL, "/slow", driver.ClassTimeout},
		{"http://" + closedPort(t), "/", driver.ClassConnectRefused},
	}
	for _, c := range cases {
		d := open(t, Config{BaseURL: c.url, Requests: one(c.path), Timeout: units.Duration(50 * time.Millisecond)})
		if tr := run(d, 0); tr.Class != c.want {
			t.Errorf("%s: class %v (%v), want %v", c.path, tr.Class, tr.Err, c.want)
		}
	}
}

func TestExpectStatusAcceptsListed(t *testing.T) {
	s := server(t, func(w nethttp.ResponseWriter, r *nethttp.Request) { w.WriteHeader(404) })
	d := open(t, Config{BaseURL: s.URL, Requests: one("/"), ExpectStatus: []int{404}})
	if tr := run(d, 0); tr.Err != nil {
		t.Errorf("404 listed in expect_status: got %v", tr.Err)
	}
}

func TestInterrupted(t *testing.T) {
	s := server(t, func(w nethttp.ResponseWriter, r *nethttp.Request) { time.Sleep(200 * time.Millisecond) })
	d := open(t, Config{BaseURL: s.URL, Requests: one("/")})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	tr := driver.Trace{VU: 1}
	d.Iterate(ctx, &tr)
	if tr.Class != driver.ClassInterrupted {
		t.Errorf("class %v (%v), want interrupted", tr.Class, tr.Err)
	}
}

// closedPort returns a loopback address nothing listens on.
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

func BenchmarkIterate(b *testing.B) {
	s := httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) { w.Write([]byte("ok")) }))
	defer s.Close()
	d, err := New(Config{BaseURL: s.URL, Requests: one("/items/{rand_int(1,1000)}")})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	tr := driver.Trace{VU: 1}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		tr.Reset(uint64(i))
		d.Iterate(context.Background(), &tr)
		if tr.Err != nil {
			b.Fatal(tr.Err)
		}
	}
}

// sending is connection held → request written: a 4 MB body takes longer
// to write than an empty GET, and neither counts in wait.
func TestSendingIsWritingTheRequest(t *testing.T) {
	s := server(t, func(w nethttp.ResponseWriter, r *nethttp.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	})
	body := strings.Repeat("x", 4<<20)
	d := open(t, Config{BaseURL: s.URL, Requests: []Request{{Name: "up", Method: "POST", Path: "/", Body: body}}})
	run(d, 0) // open the connection first
	up := run(d, 1)
	g := open(t, Config{BaseURL: s.URL, Requests: one("/")})
	run(g, 0)
	get := run(g, 1)
	if up.Err != nil || get.Err != nil {
		t.Fatal(up.Err, get.Err)
	}
	if up.Sending <= get.Sending || up.Sending <= 0 {
		t.Errorf("sending: 4 MB POST %v, empty GET %v; want the POST longer and > 0", up.Sending, get.Sending)
	}
}
