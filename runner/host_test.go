package runner

import (
	"context"
	"math"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// /proc/stat as kernels of several ages write it. Steal cannot be forced
// on a test machine, so the parser is tested on recorded snapshots.
func TestParseCPULine(t *testing.T) {
	for _, tc := range []struct {
		name       string
		stat       string
		want       cpuTimes
		cpus       int
		wantErrSub string
	}{
		{name: "a 2-CPU KVM guest, 6.x (steal, guest)", cpus: 2,
			stat: "cpu  124268 0 42092 290957 915 0 1925 1514 0 0\n" +
				"cpu0 61609 0 20374 146849 158 0 864 731 0 0\ncpu1 62659 0 21717 144107 757 0 1060 782 0 0\n" +
				"intr 6935800 0 0 0\nctxt 14796154\nbtime 1700000000\nprocesses 51234\n",
			want: cpuTimes{busy: 124268 + 42092 + 1925, idle: 290957 + 915, steal: 1514}},
		{name: "a Xen guest under a noisy neighbour: guest time is inside user", cpus: 1,
			stat: "cpu  10132153 290696 3084719 46828483 16683 0 25195 4802661 175628 0\n" +
				"cpu0 10132153 290696 3084719 46828483 16683 0 25195 4802661 175628 0\n",
			want: cpuTimes{busy: 10132153 + 290696 + 3084719 + 25195, idle: 46828483 + 16683, steal: 4802661}},
		{name: "2.6.9: no steal field", cpus: 4,
			stat: "cpu  2255 34 2290 22625563 6290 127 456\ncpu0 1132 34 1441 11311718 3675 127 438\n" +
				"cpu1 1123 0 849 11313845 2614 0 18\ncpu2 0 0 0 0 0 0 0\ncpu3 0 0 0 0 0 0 0\n",
			want: cpuTimes{busy: 2255 + 34 + 2290 + 127 + 456, idle: 22625563 + 6290}},
		{name: "2.4: no iowait either", cpus: 0, stat: "cpu  2255 34 2290 22625563\n",
			want: cpuTimes{busy: 2255 + 34 + 2290, idle: 22625563}},
		{name: "cut short", stat: "cpu  2255 34 2290\n", wantErrSub: "not a cpu line"},
		{name: "not /proc/stat", stat: "intr 1 2 3\n", wantErrSub: "not a cpu line"},
		{name: "a field that is not a number", stat: "cpu  1 2 x 4 5 6 7 8\n", wantErrSub: "cpu field 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseCPULine([]byte(tc.stat))
			if tc.wantErrSub != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErrSub) {
					t.Fatalf("err = %v, want one with %q", err, tc.wantErrSub)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
			if n := countCPUs([]byte(tc.stat)); n != tc.cpus {
				t.Errorf("countCPUs = %d, want %d", n, tc.cpus)
			}
		})
	}
}

// The sampler turns two readings into shares of the time between them:
// the first call only reads, a counter that goes back counts nothing, and
// a failed read leaves the next interval unknown rather than wrong.
func TestHostSamplerShares(t *testing.T) {
	readings := []struct {
		c   cpuTimes
		err error
	}{
		{c: cpuTimes{busy: 5000, idle: 4000, steal: 1000}},
		{c: cpuTimes{busy: 5630, idle: 4100, steal: 1270}}, // 1000 ticks: 63% busy, 27% stolen
		{c: cpuTimes{busy: 6630, idle: 4050, steal: 1270}}, // iowait went back: idle counts 0
		{err: context.DeadlineExceeded},
		{c: cpuTimes{busy: 7000, idle: 5000, steal: 1300}}, // after a failed read: unknown
		{c: cpuTimes{busy: 7000, idle: 5000, steal: 1300}}, // no tick passed: unknown, not 0/0
	}
	h := newHostSampler()
	i := 0
	h.readCPU = func([]byte) (cpuTimes, error) { r := readings[i]; i++; return r.c, r.err }
	want := [][2]float64{{math.NaN(), math.NaN()}, {27, 63}, {0, 100}, {math.NaN(), math.NaN()},
		{math.NaN(), math.NaN()}, {math.NaN(), math.NaN()}}
	for k, w := range want {
		dst := make([]float64, len(hostGauges))
		h.Sample(context.Background(), dst)
		if !same(dst[0], w[0]) || !same(dst[1], w[1]) {
			t.Errorf("sample %d: steal %v busy %v, want %v %v", k, dst[0], dst[1], w[0], w[1])
		}
		if k == 0 && !math.IsNaN(dst[2]) {
			t.Errorf("first sample: harness_cpu_cores = %v, want unknown", dst[2])
		}
	}
}

func same(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }

// For real: a goroutine spinning between two samples shows as poolload's
// CPU, and the host cannot be idle while it spins.
func TestHostSamplerReal(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc/stat is Linux's")
	}
	h := newHostSampler()
	dst := make([]float64, len(hostGauges))
	h.Sample(context.Background(), dst)
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for n := 0; !stop.Load(); n++ {
		}
	}()
	time.Sleep(300 * time.Millisecond)
	stop.Store(true)
	wg.Wait()
	h.Sample(context.Background(), dst)
	steal, busy, cores := dst[0], dst[1], dst[2]
	// On a machine others load too, the spinner gets at least a fair
	// share of one CPU; it cannot get more than the CPUs there are.
	if !(cores >= 0.3 && cores <= float64(runtime.NumCPU())+0.2) {
		t.Errorf("harness_cpu_cores = %v while a goroutine spun for the whole interval", cores)
	}
	if n := HostCPUs(); !(busy+steal >= 100*0.3/float64(n)) || busy+steal > 100.001 || steal < 0 {
		t.Errorf("host busy %v%% + steal %v%% of %d CPUs while poolload used %v cores", busy, steal, n, cores)
	}
}
