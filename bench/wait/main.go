//go:build linux

// Command wait measures what poolload's scheduler wait (clock.Waiter)
// costs the goroutines beside it, against the two plain waits it could
// use instead: a nanosleep with 1 ns of timer slack (which holds its Go
// processor while it sleeps) and Go's own timer (which frees it but wakes
// up to a millisecond late). At each rate one goroutine waits for the
// ticks and sends one message per tick, round robin over 8 loopback
// connections to an echo server in the same process, and a reader per
// connection times each echo, as poolload's scheduler and VUs do. The
// three waits take turns, in blocks, so that all meet the machine in the
// same state. `make bench` runs it; the README quotes it. Linux only: the
// nanosleep baseline lowers the thread's timer slack with prctl.
package main

import (
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/poolload/poolload/clock"
)

type wait func(t0 time.Time, at time.Duration)

func main() {
	block := flag.Duration("block", 200*time.Millisecond, "length of one block of ticks")
	blocks := flag.Int("blocks", 5, "blocks per wait and rate")
	flag.Parse()
	addr, err := echoServer()
	if err != nil {
		fmt.Fprintln(os.Stderr, "wait:", err)
		os.Exit(1)
	}
	w := clock.NewWaiter()
	defer w.Close()
	waits := []struct {
		name string
		f    wait
	}{
		{"clock.Waiter", func(t0 time.Time, at time.Duration) { w.Until(context.Background(), t0, at) }},
		{"nanosleep", nanosleep},
		{"Go timer", goTimer},
	}
	fmt.Printf("wait cost — %s, GOMAXPROCS=%d, 8 loopback echo connections, %d blocks of %v per wait and rate, taking turns\n\n",
		runtime.Version(), runtime.GOMAXPROCS(0), *blocks, *block)
	fmt.Printf("%9s  %-13s %10s %10s %10s %10s\n", "ticks/s", "wait", "rtt p50", "rtt p99", "lag p50", "lag p99")
	for _, rate := range []int{2000, 20000, 100000} {
		period := time.Second / time.Duration(rate)
		rtt, lag := make([][]time.Duration, len(waits)), make([][]time.Duration, len(waits))
		for range *blocks {
			for i, wt := range waits {
				r, l, err := tickAndEcho(addr, wt.f, period, int(*block/period))
				if err != nil {
					fmt.Fprintln(os.Stderr, "wait:", err)
					os.Exit(1)
				}
				rtt[i], lag[i] = append(rtt[i], r...), append(lag[i], l...)
			}
		}
		for i, wt := range waits {
			fmt.Printf("%9d  %-13s %10v %10v %10v %10v\n", rate, wt.name,
				q(rtt[i], 0.5), q(rtt[i], 0.99), q(lag[i], 0.5), q(lag[i], 0.99))
		}
	}
}

func q(d []time.Duration, p float64) time.Duration {
	slices.Sort(d)
	return d[int(p*float64(len(d)-1))].Round(100 * time.Nanosecond)
}

func nanosleep(t0 time.Time, at time.Duration) {
	const prSetTimerSlack = 29 // linux/prctl.h
	for left := at - time.Since(t0); left > 0; left = at - time.Since(t0) {
		_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, prSetTimerSlack, 1, 0)
		ts := syscall.NsecToTimespec(int64(left))
		_ = syscall.Nanosleep(&ts, nil)
		_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, prSetTimerSlack, 0, 0)
	}
}

func goTimer(t0 time.Time, at time.Duration) {
	if left := at - time.Since(t0); left > 0 {
		time.Sleep(left)
	}
}

// tickAndEcho plays ticks paced by f and returns every echo's round trip
// and every tick's lag.
func tickAndEcho(addr string, f wait, period time.Duration, ticks int) (rtts, lags []time.Duration, err error) {
	const conns = 8
	ticks -= ticks % conns
	t0 := time.Now()
	got := make([][]time.Duration, conns)
	cs := make([]net.Conn, conns)
	var wg sync.WaitGroup
	for i := range cs {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return nil, nil, err
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
				got[i] = append(got[i], time.Since(t0)-time.Duration(binary.LittleEndian.Uint64(b[:])))
			}
		}()
	}
	lags = make([]time.Duration, 0, ticks)
	var b [8]byte
	for i := range ticks {
		at := time.Duration(i) * period
		f(t0, at)
		now := time.Since(t0)
		lags = append(lags, now-at)
		binary.LittleEndian.PutUint64(b[:], uint64(now))
		if _, err := cs[i%conns].Write(b[:]); err != nil {
			return nil, nil, err
		}
	}
	wg.Wait()
	return slices.Concat(got...), lags, nil
}

func echoServer() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _, _ = io.Copy(c, c) }()
		}
	}()
	return ln.Addr().String(), nil
}
