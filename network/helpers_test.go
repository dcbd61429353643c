package network

import (
	"context"
	"github.com/poolload/poolload/clock"
	"io"
	"net"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/poolload/poolload/clock/clocktest"
	"github.com/poolload/poolload/units"
)

// noLeaks fails t if goroutines started during the test outlive it. Call
// it first so that its cleanup runs after every other one.
func noLeaks(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(2 * time.Second)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > before {
			buf := make([]byte, 1<<16)
			t.Errorf("%d goroutines leaked:\n%s", n-before, buf[:runtime.Stack(buf, true)])
		}
	})
}

// server is a loopback TCP server running handle on each connection.
func server(t *testing.T, handle func(*net.TCPConn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() { defer wg.Done(); defer c.Close(); handle(c.(*net.TCPConn)) }()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

// echo copies what it reads back until EOF, then half-closes, with one
// buffer so that a round trip allocates nothing.
func echo(c *net.TCPConn) {
	buf := make([]byte, 64<<10)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if err == io.EOF {
				_ = c.CloseWrite()
			}
			return
		}
	}
}

func listen(t *testing.T, upstream string, c Conditions) *Proxy {
	t.Helper()
	p, err := Listen(context.Background(), upstream, c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func dial(t *testing.T, addr string) *net.TCPConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c.(*net.TCPConn)
}

// roundTrips returns the median of n ping-pongs of a small message.
func roundTrips(t *testing.T, c net.Conn, n int) time.Duration {
	t.Helper()
	msg, got := make([]byte, 16), make([]byte, 16)
	d := make([]time.Duration, n)
	for i := range d {
		start := time.Now()
		if _, err := c.Write(msg); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(c, got); err != nil {
			t.Fatal(err)
		}
		d[i] = time.Since(start)
	}
	slices.Sort(d)
	return d[n/2]
}

// waitFor polls cond for up to a second.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func ms(f float64) units.Duration { return units.Duration(f * float64(time.Millisecond)) }

// paths are the median round trips of connections timed in turns.
type paths []time.Duration

// wakeLate is how late, at the median, n waits of d on the clock the link
// uses end.
func wakeLate(d time.Duration, n int) time.Duration {
	w := clock.NewWaiter()
	defer w.Close()
	late := make([]time.Duration, n)
	for i := range late {
		t0 := time.Now()
		w.Until(context.Background(), t0, d)
		late[i] = time.Since(t0) - d
	}
	return median(late)
}

// interleaved times n round trips on each connection, taking turns one
// round trip at a time so that every path meets the machine in the same
// state, and returns each one's median.
func interleaved(t *testing.T, n int, cs ...net.Conn) paths {
	t.Helper()
	d := make([][]time.Duration, len(cs))
	for range n {
		for i, c := range cs {
			d[i] = append(d[i], roundTrips(t, c, 1))
		}
	}
	out := make(paths, len(cs))
	for i := range d {
		out[i] = median(d[i])
	}
	return out
}

func median(d []time.Duration) time.Duration {
	slices.Sort(d)
	return d[len(d)/2]
}

// judge takes readings until ok accepts one (clocktest.Require): outside
// load only ever makes a reading worse, so a rejected one is taken again,
// and the test skips, saying why, if the host starved every reading.
func judge(t *testing.T, measure func() paths, ok func(paths) bool, what func(paths) string) paths {
	t.Helper()
	return clocktest.Require(t, 10*time.Second, measure, ok, what)
}
