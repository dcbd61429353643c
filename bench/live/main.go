// Command live measures what --metrics-addr costs a run: the CPU that
// poolload's process spends per iteration on the same no-op load with and
// without the exporter, while a scraper reads /metrics every second as
// Prometheus would. The runs alternate so that drift in a busy machine hits
// both alike; the medians are compared. The target is under 5% more
// (issue #18). `make bench` runs it after `make build`.
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"time"
)

// scenario is a no-op load: the harness's own cost is all there is to see.
const scenario = `name: live-bench
target:
  driver: noop
  noop: {delay: 1ms}
load:
  executor: constant-arrival-rate
  rate: %d
  duration: %s
  pre_allocated_vus: 64
variants:
  - name: cold
  - name: warm
    warmup: {rate: 100, duration: 1s}
output:
  interval: 1s
`

func main() {
	bin := flag.String("poolload", "bin/poolload", "the poolload binary")
	rate := flag.Int("rate", 10000, "iterations per second")
	dur := flag.Duration("duration", 5*time.Second, "each variant's window")
	reps := flag.Int("reps", 3, "runs of each kind, alternating")
	flag.Parse()
	if err := run(*bin, *rate, *dur, *reps); err != nil {
		fmt.Fprintln(os.Stderr, "bench/live:", err)
		os.Exit(1)
	}
}

func run(bin string, rate int, dur time.Duration, reps int) error {
	dir, err := os.MkdirTemp("", "poolload-live-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "live-bench.yaml")
	if err := os.WriteFile(file, fmt.Appendf(nil, scenario, rate, dur), 0o644); err != nil {
		return err
	}
	iterations := float64(rate) * dur.Seconds() * 2 // two variants
	fmt.Printf("poolload --metrics-addr cost — noop load, %d/s, 2 windows of %v, %d runs each, scraped every second\n\n", rate, dur, reps)
	fmt.Printf("%-22s %14s\n", "run", "CPU/iteration")
	var without, with []float64
	for i := range reps {
		for _, live := range []bool{false, true} {
			cpu, err := once(bin, file, dir, live)
			if err != nil {
				return err
			}
			per := cpu.Seconds() / iterations
			name := "without"
			if live {
				name, with = "with --metrics-addr", append(with, per)
			} else {
				without = append(without, per)
			}
			fmt.Printf("%-22s %14v   (run %d)\n", name, time.Duration(per*1e9), i+1)
		}
	}
	a, b := median(without), median(with)
	fmt.Printf("\nmedian CPU per iteration: %v without, %v with --metrics-addr: %+.1f%% (target: under +5%%)\n",
		time.Duration(a*1e9), time.Duration(b*1e9), 100*(b-a)/a)
	return nil
}

// once runs the scenario and returns the CPU time (user + system) the
// poolload process used.
func once(bin, file, dir string, live bool) (time.Duration, error) {
	args := []string{"run", "--quiet", "--no-plots", "--out", filepath.Join(dir, "results")}
	var addr string
	if live {
		a, err := freeAddr()
		if err != nil {
			return 0, err
		}
		addr = a
		args = append(args, "--metrics-addr", addr)
	}
	cmd := exec.Command(bin, append(args, file)...)
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("starting %s: %w", bin, err)
	}
	stop := make(chan struct{})
	if live {
		go scrape(addr, stop)
	}
	err := cmd.Wait()
	close(stop)
	if err != nil {
		return 0, fmt.Errorf("%s %v: %w", bin, args, err)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}

// scrape reads /metrics every second, as a Prometheus with a 1 s scrape
// interval does, until stop.
func scrape(addr string, stop <-chan struct{}) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			if resp, err := http.Get("http://" + addr + "/metrics"); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}
	}
}

// freeAddr is a loopback address nobody listens on now.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}
