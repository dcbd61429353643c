package clock

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"slices"
	"sync"
	"testing"
	"time"
)

func stoppedTimer() *time.Timer {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return t
}

// WaitUntil never returns early, and at the median it is late by far less
// than Go's timers (up to a millisecond here). The bound is loose for a
// loaded CI machine under -race; the bench measures the real figure.
func TestWaitUntilIsNeverEarlyAndRarelyLate(t *testing.T) {
	timer := stoppedTimer()
	t0 := time.Now()
	late := make([]time.Duration, 200)
	for i := range late {
		at := time.Duration(i+1) * 500 * time.Microsecond
		if !WaitUntil(context.Background(), timer, t0, at) {
			t.Fatal("WaitUntil gave up without a cancelled context")
		}
		late[i] = time.Since(t0) - at
		if late[i] < 0 {
			t.Fatalf("wait %d returned %v early", i, -late[i])
		}
	}
	slices.Sort(late)
	if p50 := late[len(late)/2]; p50 > 250*time.Microsecond {
		t.Errorf("median lateness %v, want well under a millisecond", p50)
	}
	t.Logf("lateness p50 %v, p90 %v, max %v", late[len(late)/2], late[len(late)*9/10], late[len(late)-1])
}

func TestWaitUntilStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	if WaitUntil(ctx, stoppedTimer(), start, time.Hour) {
		t.Fatal("WaitUntil reached an hour away")
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("cancel took %v to end the wait", d)
	}
}

// A fast schedule must not starve the network poller. The goroutine that
// waits for the ticks (20 000/s, 0.5 s) sends one message per tick, round
// robin over 8 loopback connections to an echo server, and one reader per
// connection times each echo, as poolload's scheduler and VUs do. A spin
// that yields (runtime.Gosched) put these round trips' p99 above a
// millisecond here (0.4–1.2 ms under -race); without, 0.06–0.1 ms.
func TestWaitingLeavesTheNetworkPolled(t *testing.T) {
	if testing.Short() {
		t.Skip("timing test")
	}
	addr := echoServer(t)
	bound := 250 * time.Microsecond
	p99, noisy := Settle(bound, 20*time.Second, func() time.Duration { return tickAndEcho(t, addr) })
	switch {
	case noisy:
		t.Skipf("the host stole over %.0f%% of the CPU time during every reading (last p99 %v): no judgement possible", NoisyShare*100, p99)
	case p99 > bound:
		t.Errorf("round trip p99 %v beside a schedule of 20 000 ticks/s: want < %v (is the network poller starved?)", p99, bound)
	}
}

// tickAndEcho runs the schedule and returns the round trips' p99.
func tickAndEcho(t *testing.T, addr string) time.Duration {
	const conns, ticks, period = 8, 10000, 50 * time.Microsecond
	t0 := time.Now()
	rtts := make([][]time.Duration, conns)
	cs := make([]net.Conn, conns)
	var wg sync.WaitGroup
	for i := range cs {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		cs[i] = c
		wg.Add(1)
		go func() {
			defer wg.Done()
			var b [8]byte
			for range ticks / conns {
				if _, err := io.ReadFull(c, b[:]); err != nil {
					return
				}
				rtts[i] = append(rtts[i], time.Since(t0)-time.Duration(binary.LittleEndian.Uint64(b[:])))
			}
		}()
	}
	timer := stoppedTimer()
	var b [8]byte
	for i := range ticks {
		WaitUntil(context.Background(), timer, t0, time.Duration(i)*period)
		binary.LittleEndian.PutUint64(b[:], uint64(time.Since(t0)))
		if _, err := cs[i%conns].Write(b[:]); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	all := slices.Concat(rtts...)
	if len(all) != ticks {
		t.Fatalf("%d of %d echoes came back", len(all), ticks)
	}
	slices.Sort(all)
	p99 := all[len(all)*99/100]
	t.Logf("round trip p50 %v, p99 %v, max %v", all[len(all)/2], p99, all[len(all)-1])
	return p99
}

func echoServer(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _, _ = io.Copy(c, c) }()
		}
	}()
	return ln.Addr().String()
}

// Settle stops at the first reading in bound, and gives up after three
// late readings on a quiet machine. (A starved one cannot be staged here.)
func TestSettle(t *testing.T) {
	for _, tc := range []struct {
		name     string
		readings []time.Duration
		want     time.Duration
		calls    int
	}{
		{"first in bound", []time.Duration{5, 9}, 5, 1},
		{"late, then in bound", []time.Duration{20, 30, 7}, 7, 3},
		{"late three times", []time.Duration{20, 30, 40, 1}, 40, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			d, noisy := Settle(10, time.Minute, func() time.Duration { calls++; return tc.readings[calls-1] })
			if d != tc.want || calls != tc.calls || noisy {
				t.Errorf("Settle = %v, noisy %v after %d readings; want %v after %d", d, noisy, calls, tc.want, tc.calls)
			}
		})
	}
}
