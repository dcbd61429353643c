// Command harness measures poolload's own cost with the noop driver: the
// highest arrival rate it sustains (no drops, achieved rate within 1% of
// the target), the schedule lag at a fixed rate, CPU per iteration, and the
// memory each idle VU costs. `make bench` runs it; the README quotes it.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"syscall"
	"time"

	"github.com/poolload/poolload/collector"
	"github.com/poolload/poolload/driver/noop"
	"github.com/poolload/poolload/engine"
)

func main() {
	dur := flag.Duration("duration", 3*time.Second, "length of each rate step")
	vus := flag.Int("vus", 64, "pre-allocated VUs for the rate steps")
	idle := flag.Int("idle-vus", 10000, "VUs for the memory-per-VU measurement")
	flag.Parse()

	fmt.Printf("poolload harness benchmark — %s, GOMAXPROCS=%d, noop driver, %v per step, %d VUs\n\n",
		runtime.Version(), runtime.GOMAXPROCS(0), *dur, *vus)
	fmt.Printf("%10s %12s %9s %9s %10s %10s %10s %12s\n",
		"target/s", "achieved/s", "ok", "dropped", "lag p50", "lag p99", "lag max", "proc CPU/iter")
	best := 0.0
	for _, rate := range []float64{5000, 20000, 50000, 100000, 150000, 200000, 300000} {
		r := step(rate, *dur, *vus)
		ok := r.dropped == 0 && r.achieved >= 0.99*rate
		if ok {
			best = rate
		}
		fmt.Printf("%10.0f %12.0f %9v %9d %10v %10v %10v %12v\n", rate, r.achieved, ok, r.dropped,
			r.lagP50, r.lagP99, r.lagMax, r.cpuPerIter)
	}
	fmt.Printf("\nmax sustainable rate: %.0f iterations/s (no drops, achieved within 1%%)\n", best)
	perVU := idleVUMemory(*idle)
	fmt.Printf("memory per idle VU: %.1f KiB (heap + stack, measured with %d VUs)\n", perVU/1024, *idle)
}

type stepResult struct {
	achieved               float64
	dropped                int64
	lagP50, lagP99, lagMax time.Duration
	cpuPerIter             time.Duration
}

func step(rate float64, d time.Duration, vus int) stepResult {
	rec := collector.NewRecorder(2 * runtime.GOMAXPROCS(0))
	w := &engine.Window{Driver: noop.New(noop.Config{}), Recorder: rec,
		Schedule: engine.NewConstant(rate, time.Second, d), PreVUs: vus, MaxVUs: vus, GracefulStop: time.Second}
	runtime.GC()
	cpu0 := cpuTime()
	w.Start()
	w.Run(context.Background())
	elapsed := w.Elapsed()
	cpu := cpuTime() - cpu0
	var iv collector.Interval
	rec.Drain(&iv)
	lag := iv.Hists[collector.ScheduleLag]
	n := iv.Counts.Iterations
	r := stepResult{achieved: float64(n) / elapsed.Seconds(), dropped: iv.Counts.DroppedTotal(),
		lagP50: time.Duration(lag.ValueAtQuantile(50)), lagP99: time.Duration(lag.ValueAtQuantile(99)),
		lagMax: time.Duration(lag.Max())}
	if n > 0 {
		r.cpuPerIter = cpu / time.Duration(n)
	}
	return r
}

// idleVUMemory allocates n VUs that wait for ticks and returns the bytes of
// heap and stack each one adds.
func idleVUMemory(n int) float64 {
	before := inUse()
	w := &engine.Window{Driver: noop.New(noop.Config{}), Recorder: collector.NewRecorder(1),
		Schedule: engine.NewConstant(1, time.Second, time.Nanosecond), PreVUs: n, MaxVUs: n, GracefulStop: time.Second}
	w.Start()
	time.Sleep(200 * time.Millisecond) // let every VU goroutine park
	after := inUse()
	w.Run(context.Background())
	// The recorder's histograms are a fixed cost of the window, not per VU.
	return float64(after-before-recorderBytes()) / float64(n)
}

func recorderBytes() uint64 {
	before := inUse()
	r := collector.NewRecorder(1)
	after := inUse()
	runtime.KeepAlive(r)
	return after - before
}

func inUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse + m.StackInuse
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		fmt.Fprintln(os.Stderr, "getrusage:", err)
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
