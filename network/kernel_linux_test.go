package network

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cilium/ebpf/asm"
)

// needKernel fails a test that needs the kernel relay when poolload runs
// as root (where it must work) and skips it, saying why, otherwise.
func needKernel(t *testing.T) {
	t.Helper()
	k, err := newKernelRelay()
	if err == nil {
		k.Close()
		return
	}
	if os.Geteuid() == 0 {
		t.Fatalf("the kernel relay is unavailable as root: %v", err)
	}
	t.Skipf("the kernel relay needs CAP_BPF and CAP_NET_ADMIN (run the tests as root): %v", err)
}

func TestRelayChoice(t *testing.T) {
	needKernel(t)
	for _, tc := range []struct {
		name string
		c    Conditions
		want string
	}{
		{"zero link, default", Conditions{}, RelayKernel},
		{"zero link, auto", Conditions{Relay: RelayAuto}, RelayKernel},
		{"zero link with faults", Conditions{Relay: RelayAuto, ResetIdleAfter: ms(100), RefuseNew: []Window{{From: ms(3.6e6), For: ms(1)}}}, RelayKernel},
		{"same-host preset", Conditions{Relay: RelayKernel, Preset: "same-host"}, RelayKernel},
		{"asked for user space", Conditions{Relay: RelayUser}, RelayUser},
		{"latency", Conditions{Relay: RelayAuto, Latency: ms(1)}, RelayUser},
		{"one direction's bandwidth", Conditions{Relay: RelayAuto, Down: &Direction{Bandwidth: 8e6}}, RelayUser},
		{"reset_after_bytes counts bytes", Conditions{Relay: RelayAuto, ResetAfterBytes: 1 << 20}, RelayUser},
	} {
		t.Run(tc.name, func(t *testing.T) {
			noLeaks(t)
			p := listen(t, server(t, echo), tc.c)
			if p.Relay() != tc.want || p.RelayNote() != "" {
				t.Errorf("relay %q (note %q), want %q", p.Relay(), p.RelayNote(), tc.want)
			}
			roundTrips(t, dial(t, p.Addr()), 3)
		})
	}
}

func TestRelayKernelRefusesADelayedLink(t *testing.T) {
	c := Conditions{Relay: RelayKernel, Latency: ms(1)}
	if err := c.Validate()["relay"]; !strings.Contains(err, "no latency") {
		t.Errorf("validate: %q", err)
	}
	if c := (Conditions{Relay: "fast"}); c.Validate()["relay"] == "" {
		t.Error(`relay "fast" validated`)
	}
}

// A server that speaks first may do so before the link joins the kernel
// relay (its greeting then waits in the receive queue) or after: either
// way the greeting arrives, before the answer to the client's first bytes.
func TestKernelRelayServerFirst(t *testing.T) {
	needKernel(t)
	for _, delay := range []time.Duration{0, 20 * time.Millisecond} {
		t.Run(delay.String(), func(t *testing.T) {
			noLeaks(t)
			greetThenEcho := func(c *net.TCPConn) {
				time.Sleep(delay)
				c.Write([]byte("hello"))
				echo(c)
			}
			p := listen(t, server(t, greetThenEcho), Conditions{Relay: RelayKernel})
			// Many links: a greeting landing in the middle of a join once
			// got dropped (the first socket to join could not yet find
			// its peer).
			for range 30 {
				c := dial(t, p.Addr())
				c.SetDeadline(time.Now().Add(2 * time.Second))
				got := make([]byte, 5)
				if _, err := io.ReadFull(c, got); err != nil || string(got) != "hello" {
					t.Fatalf("greeting %q, %v", got, err)
				}
				roundTrips(t, c, 10)
				c.Close()
			}
		})
	}
}

// Numbered messages sent back to back by the server, with the client
// reading slowly so that the kernel's queues fill, arrive whole and in
// order, and the server's close reaches the client after the last one.
func TestKernelRelayOrderUnderBackpressure(t *testing.T) {
	needKernel(t)
	noLeaks(t)
	const n = 200_000 // 1.6 MB of 8-byte counters
	source := func(c *net.TCPConn) {
		buf := make([]byte, 8*1000)
		for i := 0; i < n; i += 1000 {
			for j := range 1000 {
				binary.LittleEndian.PutUint64(buf[8*j:], uint64(i+j))
			}
			if _, err := c.Write(buf); err != nil {
				return
			}
		}
	}
	p := listen(t, server(t, source), Conditions{Relay: RelayKernel})
	c := dial(t, p.Addr())
	c.SetDeadline(time.Now().Add(10 * time.Second))
	time.Sleep(50 * time.Millisecond) // let the buffers fill
	got, err := io.ReadAll(c)
	if err != nil || len(got) != 8*n {
		t.Fatalf("read %d bytes, %v; want %d then EOF", len(got), err, 8*n)
	}
	for i := range n {
		if v := binary.LittleEndian.Uint64(got[8*i:]); v != uint64(i) {
			t.Fatalf("message %d is %d", i, v)
		}
	}
	c.Close()
	waitFor(t, "link to end", func() bool { return p.Stats().Active == 0 })
	if s := p.Stats(); s.BytesDown != 8*n || s.BytesUp != 0 {
		t.Errorf("stats %+v", s)
	}
}

// A reset from the server reaches the client as a reset.
func TestKernelRelayPassesAReset(t *testing.T) {
	needKernel(t)
	noLeaks(t)
	resetAfterPing := func(c *net.TCPConn) {
		buf := make([]byte, 4)
		io.ReadFull(c, buf)
		c.Write(buf)
		resetConn(c)
	}
	for _, relay := range []string{RelayKernel, RelayUser} {
		t.Run(relay, func(t *testing.T) {
			p := listen(t, server(t, resetAfterPing), Conditions{Relay: relay})
			c := dial(t, p.Addr())
			c.SetDeadline(time.Now().Add(2 * time.Second))
			c.Write([]byte("ping"))
			got := make([]byte, 4)
			if _, err := io.ReadFull(c, got); err != nil || !bytes.Equal(got, []byte("ping")) {
				t.Fatalf("echo %q, %v", got, err)
			}
			if _, err := c.Read(got); !errors.Is(err, syscall.ECONNRESET) {
				t.Errorf("after the server's reset the client read %v, want a reset", err)
			}
		})
	}
}

// The self-test catches a relay that loses bytes: here one whose verdict
// drops every segment (SK_DROP).
func TestKernelRelaySelfTestCatchesLoss(t *testing.T) {
	needKernel(t)
	drop := func(int) asm.Instructions { return asm.Instructions{asm.Mov.Imm(asm.R0, 0), asm.Return()} }
	k, err := loadKernelRelay(drop)
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	if err := k.relayOnce(300 * time.Millisecond); err == nil || !strings.Contains(err.Error(), "came back") {
		t.Errorf("self-test of a dropping relay: %v", err)
	}
	good, err := newKernelRelay()
	if err != nil {
		t.Fatal(err)
	}
	defer good.Close()
	if err := good.selfTest(); err != nil {
		t.Errorf("self-test of the real relay: %v", err)
	}
}
