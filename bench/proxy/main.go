// Command proxy measures what the network emulator (package network) adds
// to a round trip when it is told to add nothing. An open-model client
// sends 16-byte requests at a fixed rate (default 10 000/s) over a few
// connections to an in-process responder, directly and through the proxy
// in alternating 250 ms blocks, and compares the two round-trip
// distributions.
//
// This VM's own noise is of the order of the budget (a bare 100µs
// nanosleep overshoots by ~70µs median and ~1ms at p99.9, and neighbours
// come and go), so besides the pooled percentiles the bench reports the
// p99 added per pair of adjacent blocks and takes the median over pairs:
// a burst of outside load spoils one pair rather than the verdict.
// `-check` exits non-zero when that median exceeds the 50µs budget.
package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/poolload/poolload/clock"
	"github.com/poolload/poolload/network"
)

const (
	frame  = 16                     // request = response: send instant (ns since t0), block+1 (0: warm-up)
	block  = 250 * time.Millisecond // one path has the load this long, then the other
	budget = 50 * time.Microsecond  // p99 the proxy may add at 10 000 req/s
)

func main() {
	if os.Getenv(responderEnv) != "" {
		serveResponder()
		return
	}
	rate := flag.Int("rate", 10000, "requests per second on the path under load")
	conns := flag.Int("conns", 8, "connections per path")
	dur := flag.Duration("duration", 5*time.Second, "measured time per path")
	warm := flag.Duration("warmup", time.Second, "unmeasured time before the measured blocks")
	check := flag.Bool("check", false, fmt.Sprintf("exit 1 if the median p99 added exceeds %v", budget))
	flag.Parse()

	upstream, stop := respond()
	defer stop()
	p, err := network.Listen(context.Background(), upstream, network.Conditions{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	defer p.Close()
	fmt.Printf("network proxy overhead — %s, GOMAXPROCS=%d, zero conditions\n"+
		"%d req/s over %d connections per path, %v per path in alternating %v blocks, after %v warm-up\n\n",
		runtime.Version(), runtime.GOMAXPROCS(0), *rate, *conns, *dur, block, *warm)

	l := load{rate: *rate, conns: *conns, warmBlocks: int(*warm / block), blocks: 2 * int(*dur/block)}
	paths := l.run([2]string{upstream, p.Addr()})
	added := report(paths[0], paths[1])
	st := p.Stats()
	fmt.Printf("\nproxy stats: accepted %d, bytes up %d, down %d\n", st.Accepted, st.BytesUp, st.BytesDown)
	if *check && added > budget {
		os.Exit(1)
	}
}

// report prints the table and returns the median over block pairs of the
// p99 added.
func report(direct, proxied *path) time.Duration {
	d, v := direct.pooled(), proxied.pooled()
	fmt.Printf("%-10s %9s %7s %10s %10s %10s %10s\n", "path", "requests", "lost", "p50", "p99", "p99.9", "max")
	row := func(name string, n, lost int, q [4]time.Duration) {
		fmt.Printf("%-10s %9v %7v %10v %10v %10v %10v\n", name, n, lost, q[0], q[1], q[2], q[3])
	}
	row("direct", len(d), direct.lost(), quantiles(d))
	row("via proxy", len(v), proxied.lost(), quantiles(v))
	qd, qv := quantiles(d), quantiles(v)
	fmt.Printf("%-10s %9s %7s %10v %10v %10v %10v\n", "added", "", "", qv[0]-qd[0], qv[1]-qd[1], qv[2]-qd[2], qv[3]-qd[3])

	// Block b+1 (proxy) is paired with block b (direct) just before it.
	var diffs []time.Duration
	for b := 0; b+1 < len(direct.blocks); b += 2 {
		diffs = append(diffs, quantiles(proxied.blocks[b+1])[1]-quantiles(direct.blocks[b])[1])
	}
	slices.Sort(diffs)
	med := diffs[len(diffs)/2]
	verdict := "within"
	if med > budget {
		verdict = "OVER"
	}
	fmt.Printf("\np99 added per block pair (%d pairs): min %v, median %v, max %v — median %s the %v budget\n",
		len(diffs), diffs[0], med, diffs[len(diffs)-1], verdict, budget)
	return med
}

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
	rate, conns        int
	warmBlocks, blocks int // blocks counts both paths' measured blocks
}

// path is one way to the responder (direct or via the proxy).
type path struct {
	cs     []net.Conn
	lat    [][][]time.Duration // [conn][measured block] round trips; readers share nothing
	blocks [][]time.Duration   // [measured block] merged after the run; odd or even ones empty
	sent   int64
	got    atomic.Int64
	wg     sync.WaitGroup
}

// run sends on schedule from one goroutine and never waits for a response
// (open model); one reader per connection records each round trip from its
// actual send, since the sender's own lateness is common to both paths.
func (l load) run(addrs [2]string) [2]*path {
	period := time.Second / time.Duration(l.rate)
	perBlock := int(block / period)
	t0 := time.Now()
	var ps [2]*path
	for k, addr := range addrs {
		ps[k] = l.open(addr, t0, perBlock)
	}
	send(ps, t0, period, (l.warmBlocks+l.blocks)*perBlock, l.warmBlocks)
	deadline := time.Now().Add(time.Second) // responses missing by then are lost
	for _, p := range ps {
		for p.got.Load() < p.sent && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
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

func (l load) open(addr string, t0 time.Time, perBlock int) *path {
	p := &path{cs: make([]net.Conn, l.conns), lat: make([][][]time.Duration, l.conns)}
	for i := range p.cs {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			panic(err)
		}
		p.cs[i] = c
		p.lat[i] = make([][]time.Duration, l.blocks)
		for b := range p.lat[i] {
			p.lat[i][b] = make([]time.Duration, 0, perBlock/l.conns+1)
		}
		p.wg.Add(1)
		go func() { defer p.wg.Done(); receive(c, t0, &p.got, p.lat[i]) }()
	}
	return p
}

// send writes tick i to the path whose block it falls in (even blocks
// direct, odd ones via the proxy), round-robin over its connections.
func send(ps [2]*path, t0 time.Time, period time.Duration, total, warmBlocks int) {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	var b [frame]byte
	for i := range total {
		at := time.Duration(i) * period
		clock.WaitUntil(context.Background(), timer, t0, at)
		blk := int(at / block)
		p := ps[blk%2]
		tag := uint64(0)
		if blk >= warmBlocks {
			tag = uint64(blk-warmBlocks) + 1
			p.sent++
		}
		binary.LittleEndian.PutUint64(b[:], uint64(time.Since(t0)))
		binary.LittleEndian.PutUint64(b[8:], tag)
		if _, err := p.cs[i%len(p.cs)].Write(b[:]); err != nil {
			panic(err)
		}
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

func (p *path) pooled() []time.Duration { return slices.Concat(p.blocks...) }
func (p *path) lost() int               { return int(p.sent - p.got.Load()) }

// quantiles returns p50, p99, p99.9 and max of d, sorting it.
func quantiles(d []time.Duration) [4]time.Duration {
	if len(d) == 0 {
		return [4]time.Duration{}
	}
	slices.Sort(d)
	q := func(f float64) time.Duration { return d[min(int(f*float64(len(d))), len(d)-1)] }
	return [4]time.Duration{q(0.50), q(0.99), q(0.999), d[len(d)-1]}
}
