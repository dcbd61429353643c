package network

import (
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

var errTimeout = os.ErrDeadlineExceeded

// readErr reads until an error and returns it with the bytes read and when.
func readErr(c io.Reader) (int, error, time.Duration) {
	start := time.Now()
	n, err := io.Copy(io.Discard, c)
	if err == nil {
		err = io.EOF
	}
	return int(n), err, time.Since(start)
}

func TestIdleReset(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    Conditions
	}{
		{"direct, goroutines", Conditions{ResetIdleAfter: ms(100), Relay: RelayUser}},
		{"direct, the default: the kernel where allowed", Conditions{ResetIdleAfter: ms(100)}},
		{"delayed", Conditions{ResetIdleAfter: ms(100), Latency: ms(1), IdleAction: IdleReset}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			noLeaks(t)
			p := listen(t, server(t, echo), tc.c)
			c := dial(t, p.Addr())
			roundTrips(t, c, 3)
			c.SetReadDeadline(time.Now().Add(time.Second))
			_, err, d := readErr(c)
			if errors.Is(err, errTimeout) || d < 90*time.Millisecond || d > 500*time.Millisecond {
				t.Errorf("read ended after %v with %v, want a reset ~100ms after the last byte", d, err)
			}
			waitFor(t, "link to end", func() bool { return p.Stats().Active == 0 })
			if s := p.Stats(); s.IdleResets != 1 || s.IdleDrops != 0 {
				t.Errorf("stats %+v", s)
			}
		})
	}
}

// A dropped flow swallows writes and answers nothing: the client only
// learns through its own deadline.
func TestIdleDrop(t *testing.T) {
	for _, relay := range []string{RelayAuto, RelayUser} {
		t.Run(relay, func(t *testing.T) {
			noLeaks(t)
			p := listen(t, server(t, echo), Conditions{ResetIdleAfter: ms(50), IdleAction: IdleDrop, Relay: relay})
			c := dial(t, p.Addr())
			roundTrips(t, c, 3)
			waitFor(t, "idle drop", func() bool { return p.Stats().IdleDrops == 1 })
			if _, err := c.Write([]byte("anyone there?")); err != nil {
				t.Fatalf("write into a blackhole failed: %v", err)
			}
			c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
			if n, err, _ := readErr(c); n != 0 || !errors.Is(err, errTimeout) {
				t.Errorf("read %d bytes, %v; want nothing until the deadline", n, err)
			}
			if s := p.Stats(); s.IdleResets != 0 || s.BytesUp != 3*16 {
				t.Errorf("stats %+v", s)
			}
		})
	}
}

// 600 bytes up and their echo: the link dies after 1000 bytes in all, so
// 400 of the echo come back, then a reset.
func TestResetAfterBytes(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    Conditions
	}{
		{"direct", Conditions{ResetAfterBytes: 1000}},
		{"delayed", Conditions{ResetAfterBytes: 1000, Latency: ms(1)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			noLeaks(t)
			p := listen(t, server(t, echo), tc.c)
			c := dial(t, p.Addr())
			c.Write(make([]byte, 600))
			c.SetReadDeadline(time.Now().Add(time.Second))
			n, err, _ := readErr(c)
			if n != 400 || errors.Is(err, errTimeout) {
				t.Errorf("read %d bytes then %v; want 400 then a reset", n, err)
			}
			waitFor(t, "link to end", func() bool { return p.Stats().Active == 0 })
			if s := p.Stats(); s.ByteResets != 1 || s.BytesUp+s.BytesDown != 1000 {
				t.Errorf("stats %+v", s)
			}
		})
	}
}

// New connections in a window after Mark are reset at once; outside it
// they work.
func TestRefuseNew(t *testing.T) {
	windows := []Window{{From: ms(0), For: ms(200)}, {From: ms(1000), For: ms(200)}}
	for _, tc := range []struct {
		name    string
		sinceT0 time.Duration // how long before now Mark was
		refused bool
	}{
		{"in the first window", 50 * time.Millisecond, true},
		{"between windows", 500 * time.Millisecond, false},
		{"in the second window", 1050 * time.Millisecond, true},
		{"after", 5 * time.Second, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			noLeaks(t)
			p := listen(t, server(t, echo), Conditions{RefuseNew: windows})
			p.Mark(time.Now().Add(-tc.sinceT0))
			// The reset can beat connect()'s own completion on loopback.
			c, err := net.Dial("tcp", p.Addr())
			if err == nil {
				defer c.Close()
				c.SetDeadline(time.Now().Add(time.Second))
				c.Write([]byte("ping"))
				_, err = io.ReadFull(c, make([]byte, 4))
			}
			if refused := err != nil; refused != tc.refused || errors.Is(err, errTimeout) {
				t.Errorf("read: %v; want refused = %v", err, tc.refused)
			}
			if s := p.Stats(); s.Accepted != 1 || (s.Refused == 1) != tc.refused {
				t.Errorf("stats %+v", s)
			}
		})
	}
}
