// Command merge measures poolload merge's own work (record.Merge): it
// writes the records of 16 segments of one 5-minute window at 1 s
// intervals, as 16 generators of a MySQL load would leave them (every
// timing histogram of every interval filled from realistic distributions,
// the pool's and the server's gauges), then merges them a few times and
// prints how long each merge took. `make bench` runs it; the README quotes
// it.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/poolload/poolload/collector"
	"github.com/poolload/poolload/record"
	"github.com/poolload/poolload/runner"
	"github.com/poolload/poolload/scenario"
	"github.com/poolload/poolload/units"
)

func main() {
	segments := flag.Int("segments", 16, "segment records to merge")
	length := flag.Duration("duration", 5*time.Minute, "the window each record holds")
	rate := flag.Int("rate", 1000, "iterations per second in each segment")
	reps := flag.Int("reps", 3, "merges to time")
	profile := flag.String("cpuprofile", "", "write a CPU profile of the first merge (not of writing the records) to this file")
	into := flag.String("merge-into", "", "(internal) merge the records given as arguments into this folder and print the time it took")
	flag.Parse()
	var err error
	if *into != "" {
		err = mergeOnce(*into, flag.Args(), *profile)
	} else {
		err = bench(*segments, *length, *rate, *reps, *profile)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "merge:", err)
		os.Exit(1)
	}
}

func bench(n int, length time.Duration, rate, reps int, profile string) error {
	dir, err := os.MkdirTemp("", "poolload-bench-merge")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	fmt.Printf("merge — %s, GOMAXPROCS=%d: %d segment records of one %v window at 1 s intervals, %d iterations/s each (%d/s merged)\n",
		runtime.Version(), runtime.GOMAXPROCS(0), n, length, rate, rate*n)
	t := time.Now()
	var dirs []string
	var size int64
	for i := 1; i <= n; i++ {
		d, err := writeSegment(dir, i, n, length, rate)
		if err != nil {
			return fmt.Errorf("segment %d: %w", i, err)
		}
		dirs = append(dirs, d)
		size += dirSize(d)
	}
	fmt.Printf("  wrote them in %v: %.1f MB in all\n\n", time.Since(t).Round(time.Millisecond), float64(size)/1e6)
	var took, cpus []time.Duration
	var peak int64
	for r := range reps {
		out := filepath.Join(dir, "merged-"+strconv.Itoa(r))
		// Each merge in a process of its own, as poolload merge is: a
		// second merge in this one would pay for the first's garbage, and
		// the peak memory is the process's.
		args := []string{"-merge-into", out}
		if r == 0 && profile != "" {
			args = append(args, "-cpuprofile", profile)
		}
		cmd := exec.Command(os.Args[0], append(args, dirs...)...)
		cmd.Stderr = os.Stderr
		b, err := cmd.Output()
		if err != nil {
			return fmt.Errorf("merge %d: %w", r+1, err)
		}
		var ns, cpuNs int64
		if _, err := fmt.Sscan(string(b), &ns, &cpuNs); err != nil {
			return fmt.Errorf("merge %d said %q: %w", r+1, b, err)
		}
		d, cpu := time.Duration(ns), time.Duration(cpuNs)
		rss := int64(0)
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			rss = ru.Maxrss << 10
		}
		rec, err := record.Open(out)
		if err != nil {
			return err
		}
		w := rec.Info.Windows[0]
		fmt.Printf("  merge %d: %v, CPU %v, peak memory %.0f MB (%d intervals, %d iterations started of %d planned)\n", r+1,
			d.Round(time.Millisecond), cpu.Round(time.Millisecond), float64(rss)/1e6, len(rec.Series(w.Variant, w.Rep)),
			w.Totals.Started(), w.Planned)
		took, cpus, peak = append(took, d), append(cpus, cpu), max(peak, rss)
	}
	slices.Sort(took)
	slices.Sort(cpus)
	// The CPU time is the steadier figure on a shared machine: the wall
	// time adds whatever else ran.
	fmt.Printf("\nmerge time, median of %d: %v (CPU %v); peak memory %.0f MB\n", reps,
		took[len(took)/2].Round(time.Millisecond), cpus[len(cpus)/2].Round(time.Millisecond), float64(peak)/1e6)
	return nil
}

// mergeOnce merges dirs into out and prints the wall and CPU time
// record.Merge took.
func mergeOnce(out string, dirs []string, profile string) error {
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	t, c := time.Now(), cpuTime()
	if _, err := record.Merge(out, dirs); err != nil {
		return err
	}
	fmt.Println(int64(time.Since(t)), int64(cpuTime()-c)) // nanoseconds, for the parent
	return nil
}

// benchScenario is the load the segments split: a MySQL pool, so that the
// records carry the pool's gauges (summed by merge) and the server's
// (taken once). Nothing connects to it.
const benchScenario = `name: merge_bench
target:
  driver: mysql
  mysql: {dsn: "bench@tcp(127.0.0.1:3306)/bench", max_open: 20, operations: [{sql: "SELECT 1"}]}
load: {executor: constant-arrival-rate, rate: %d, duration: %s, pre_allocated_vus: %d, max_vus: %d}
output: {interval: 1s}
`

// writeSegment writes segment i of n: its share of every interval's
// iterations and their timings, drawn from a seeded generator.
func writeSegment(dir string, i, n int, length time.Duration, rate int) (string, error) {
	text := fmt.Sprintf(benchScenario, rate*n, length, 4*n, 8*n)
	s, err := scenario.Parse("merge_bench.yaml", []byte(text), nil)
	if err != nil {
		return "", err
	}
	sc, err := json.Marshal(s.Redacted())
	if err != nil {
		return "", err
	}
	t0 := time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)
	info := record.RunInfo{Tool: "poolload", Version: "bench", GoVersion: runtime.Version(), Host: "gen-" + strconv.Itoa(i),
		Scenario: sc, PlanHash: record.PlanHash(sc), Started: t0.Add(-10 * time.Second), Status: record.StatusRunning,
		Interval: s.Output.Interval, Gauges: runner.GaugeNames(s), ID: "seg-" + strconv.Itoa(i),
		Segment: &record.Segment{Index: i, Count: n}, StartAt: t0.Add(-5 * time.Second)}
	d := filepath.Join(dir, info.ID)
	w, err := record.Create(d, info)
	if err != nil {
		return "", err
	}
	rng := rand.New(rand.NewPCG(uint64(i), 7))
	// Each generator reaches its place on the timeline a little late.
	late := time.Duration(rng.IntN(2000)) * time.Microsecond
	var total collector.Counts
	secs := int(length / time.Second)
	for k := range secs {
		iv := interval(rng, k, rate, len(info.Gauges), info.Gauges, n)
		iv.Start, iv.End = time.Duration(k)*time.Second, time.Duration(k+1)*time.Second
		total.Add(&iv.Counts)
		if err := w.WriteInterval("default", 1, t0, iv); err != nil {
			return "", err
		}
	}
	w.Info.Windows = []record.WindowInfo{{Variant: "default", Rep: 1, Status: record.StatusComplete, Start: t0,
		Late: units.Duration(late), Length: units.Duration(length + 3*time.Millisecond), Planned: int64(secs * rate),
		Offered: float64(rate), VUsAlloc: 4, Totals: record.TotalsOf(&total)}}
	return d, w.Close(record.StatusComplete, nil)
}

// interval draws one second of a segment's iterations: a wait of about
// 1.5 ms with a long tail, a pool that mostly hands over a connection at
// once and now and then makes an iteration queue, a few new connections
// early on, and the scheduler's own lag.
func interval(rng *rand.Rand, k, rate, gauges int, names []string, n int) *collector.Interval {
	iv := &collector.Interval{Gauges: make([]float64, gauges)}
	for m := range collector.NumMetrics {
		switch collector.Metric(m) {
		case collector.DNS, collector.Sending, collector.TLS:
		default:
			iv.Hists[m] = collector.NewHistogram()
		}
	}
	rec := func(m collector.Metric, v time.Duration) { _ = iv.Hists[m].RecordValue(max(int64(v), 1)) }
	logn := func(median time.Duration, sigma float64) time.Duration {
		return time.Duration(float64(median) * math.Exp(sigma*rng.NormFloat64()))
	}
	for range rate {
		lag := time.Duration(rng.ExpFloat64() * 20e3)
		blocked := time.Duration(rng.ExpFloat64() * 2e3)
		if rng.IntN(100) == 0 {
			blocked += logn(3*time.Millisecond, 0.8)
		}
		if k < 3 && rng.IntN(50) == 0 { // the cold pool opens its connections
			dial, hs := logn(200*time.Microsecond, 0.3), logn(900*time.Microsecond, 0.3)
			rec(collector.Dial, dial)
			rec(collector.Handshake, hs)
			rec(collector.Connecting, dial+hs)
			blocked += dial + hs
		} else {
			rec(collector.Connecting, 0)
		}
		wait, recv := logn(1500*time.Microsecond, 0.5), logn(40*time.Microsecond, 0.4)
		rec(collector.ScheduleLag, lag)
		rec(collector.Blocked, blocked)
		rec(collector.Wait, wait)
		rec(collector.Receiving, recv)
		rec(collector.Service, blocked+wait+recv)
		rec(collector.Latency, lag+blocked+wait+recv)
	}
	iv.Counts.Iterations = int64(rate)
	iv.VUsBusy, iv.VUsAlloc = 2+rng.IntN(3), 4
	for g, name := range names {
		if record.Shared(name) {
			iv.Gauges[g] = float64(20*n + k%7) // the server: the same for every segment
		} else {
			iv.Gauges[g] = float64(rng.IntN(20))
		}
	}
	return iv
}

// cpuTime is the CPU this process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func dirSize(dir string) int64 {
	var n int64
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if fi, err := e.Info(); err == nil {
			n += fi.Size()
		}
	}
	return n
}
