package http

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	nethttp "net/http"
	"net/url"
	"testing"

	"github.com/poolload/poolload/driver"
)

// closingServer answers requests on a loopback port as act says: act gets
// each connection's n-th request (from 0), already read, and the
// connection, and returns whether to keep serving it.
func closingServer(t *testing.T, act func(n int, c *net.TCPConn) bool) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for n := 0; ; n++ {
					if _, err := nethttp.ReadRequest(br); err != nil || !act(n, c.(*net.TCPConn)) {
						return
					}
				}
			}()
		}
	}()
	return "http://" + l.Addr().String()
}

func answer(c net.Conn, raw string) bool { _, err := fmt.Fprint(c, raw); return err == nil }

const okResponse = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

// A server that closes the connection under a request (before its
// answer, by a reset, in the middle of the body, or on a connection that
// was reused) fails it as server_gone, the class the mysql driver gives a
// connection the server dropped; EOF is not `other`.
func TestServerClosedConnection(t *testing.T) {
	cases := []struct {
		name string
		act  func(n int, c *net.TCPConn) bool
	}{
		{"closed before the answer", func(int, *net.TCPConn) bool { return false }},
		{"reset before the answer", func(_ int, c *net.TCPConn) bool { c.SetLinger(0); return false }},
		{"closed in the body", func(_ int, c *net.TCPConn) bool {
			answer(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial")
			return false
		}},
		{"closed on reuse", func(n int, c *net.TCPConn) bool { return n == 0 && answer(c, okResponse) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			base := closingServer(t, tc.act)
			// POST: net/http retries an idempotent request on a reused
			// connection that closed, and a load test's writes are not.
			d := open(t, Config{BaseURL: base, Requests: []Request{{Name: "r", Method: "POST", Path: "/x", Body: "b"}}})
			tr := run(d, 0)
			if tc.name == "closed on reuse" {
				if tr.Err != nil {
					t.Fatalf("first request: %v", tr.Err)
				}
				tr = run(d, 1)
			}
			if tr.Class != driver.ClassServerGone {
				t.Errorf("class %v (%v), want %v", tr.Class, tr.Err, driver.ClassServerGone)
			}
		})
	}
}

// net/http says "server closed idle connection" when a pooled connection
// turned out to be closed as the request took it: a dead pooled
// connection, bad_connection in DESIGN.md's words. Its error is not
// exported, so its text is what tells it.
func TestClassifyClosedConnections(t *testing.T) {
	wrap := func(err error) error { return &url.Error{Op: "Post", URL: "http://h/x", Err: err} }
	cases := []struct {
		err  error
		want driver.ErrorClass
	}{
		{wrap(errors.New("http: server closed idle connection")), driver.ClassBadConnection},
		{wrap(fmt.Errorf("read: %w", net.ErrClosed)), driver.ClassOther},
		{errors.New("something else"), driver.ClassOther},
	}
	for _, tc := range cases {
		if got := classify(t.Context(), tc.err); got != tc.want {
			t.Errorf("classify(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
