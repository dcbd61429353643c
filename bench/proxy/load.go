package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/poolload/poolload/clock"
)

// responderEnv makes the bench binary a responder only, in a process of
// its own: the real target of the proxy (mariadbd, a service) runs apart
// from poolload, so the bench's responder must not take the client's and
// the proxy's processors.
const responderEnv = "POOLLOAD_BENCH_RESPONDER"

// respond starts the responder process and returns its address.
func respond() (addr string, stop func()) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), responderEnv+"=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		panic(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		panic(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		panic(fmt.Sprintf("the responder did not start: %v", err))
	}
	return strings.TrimSpace(line), func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }
}

// serveResponder answers each frame with itself until killed; it prints
// its address first.
func serveResponder() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	fmt.Println(ln.Addr().String())
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			var b [frame]byte
			for {
				if _, err := io.ReadFull(c, b[:]); err != nil {
					return
				}
				if _, err := c.Write(b[:]); err != nil {
					return
				}
			}
		}()
	}
}

type load struct {
	rate, control      int // requests/s on the path under test (B) and on the control path (A)
	conns              int // connections per path
	warmBlocks, blocks int
}

// every is how many ticks make one control tick: the sender ticks at
// rate+control and gives every every-th tick to the control path.
func (l load) every() int { return (l.rate + l.control) / l.control }

// path is one way to the responder (direct or via the proxy).
type path struct {
	cs     []net.Conn
	lat    [][][]time.Duration // [conn][measured block] round trips; readers share nothing
	blocks [][]time.Duration   // [measured block] merged after the run
	sent   int64
	got    atomic.Int64
	wg     sync.WaitGroup
}

// run sends on schedule from one goroutine and never waits for a response
// (open model); one reader per connection records each round trip from its
// actual send, since the sender's own lateness is common to both paths.
func (l load) run(addrs [2]string) [2]*path {
	period := time.Second / time.Duration(l.rate+l.control) // both paths' ticks
	perConn := int(block/period)/l.conns + 2                // at most a connection's share of a block
	total := int(time.Duration(l.warmBlocks+l.blocks) * block / period)
	t0 := time.Now()
	var ps [2]*path
	for k, addr := range addrs {
		ps[k] = l.open(addr, t0, perConn)
	}
	send(ps, t0, period, total, l.warmBlocks, l.every())
	deadline := time.Now().Add(time.Second) // responses missing by then are lost
	for _, p := range ps {
		for p.got.Load() < p.sent && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
	}
	for _, p := range ps {
		for _, c := range p.cs {
			c.Close()
		}
		p.wg.Wait()
		p.blocks = make([][]time.Duration, l.blocks)
		for b := range p.blocks {
			for _, lat := range p.lat {
				p.blocks[b] = append(p.blocks[b], lat[b]...)
			}
		}
	}
	return ps
}

func (l load) open(addr string, t0 time.Time, perConn int) *path {
	p := &path{cs: make([]net.Conn, l.conns), lat: make([][][]time.Duration, l.conns)}
	for i := range p.cs {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			panic(err)
		}
		p.cs[i] = c
		p.lat[i] = make([][]time.Duration, l.blocks)
		for b := range p.lat[i] {
			p.lat[i][b] = make([]time.Duration, 0, perConn)
		}
		p.wg.Add(1)
		go func() { defer p.wg.Done(); receive(c, t0, &p.got, p.lat[i]) }()
	}
	return p
}

// send writes every every-th tick to the control path A and the others to
// path B, round-robin over each path's connections, so that both paths see
// the machine at the same instants.
func send(ps [2]*path, t0 time.Time, period time.Duration, total, warmBlocks, every int) {
	wait := clock.NewWaiter()
	defer wait.Close()
	var b [frame]byte
	var n [2]int // ticks so far per path, for the round robin
	for i := range total {
		at := time.Duration(i) * period
		wait.Until(context.Background(), t0, at)
		k := 1
		if i%every == 0 {
			k = 0
		}
		p := ps[k]
		tag := uint64(0)
		if blk := int(at / block); blk >= warmBlocks {
			tag = uint64(blk-warmBlocks) + 1
			p.sent++
		}
		binary.LittleEndian.PutUint64(b[:], uint64(time.Since(t0)))
		binary.LittleEndian.PutUint64(b[8:], tag)
		if _, err := p.cs[n[k]%len(p.cs)].Write(b[:]); err != nil {
			panic(err)
		}
		n[k]++
	}
}

// receive reads responses until its connection is closed and files the
// round trip of each measured one under its block.
func receive(c net.Conn, t0 time.Time, got *atomic.Int64, lat [][]time.Duration) {
	var b [frame]byte
	for {
		if _, err := io.ReadFull(c, b[:]); err != nil {
			return
		}
		if tag := binary.LittleEndian.Uint64(b[8:]); tag > 0 {
			rtt := time.Since(t0) - time.Duration(binary.LittleEndian.Uint64(b[:]))
			lat[tag-1] = append(lat[tag-1], rtt)
			got.Add(1)
		}
	}
}

func (p *path) lost() int { return int(p.sent - p.got.Load()) }
