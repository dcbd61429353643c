package main

import (
	"fmt"
	"math"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/poolload/poolload/analysis"
	"github.com/poolload/poolload/driver/mysqlserver/mysqltest"
	"github.com/poolload/poolload/record"
)

// hostRun runs a scenario and returns its record, its summary and what
// it printed.
func hostRun(t *testing.T, body string) (*record.Record, *analysis.Summary, string) {
	t.Helper()
	file := writeFile(t, "host.yaml", body)
	out := t.TempDir()
	code, stdout, stderr := runCLI(t, "run", "--no-plots", "--out", out, file)
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	dirs, _ := filepath.Glob(filepath.Join(out, "*"))
	if len(dirs) != 1 {
		t.Fatalf("want one record under %s, got %v", out, dirs)
	}
	rec, err := record.Open(dirs[0])
	if err != nil {
		t.Fatal(err)
	}
	return rec, readSummary(t, out), stdout
}

// median is a column's median over rec's rows (NaN when no row has it).
func median(rec *record.Record, col string) float64 {
	var vs []float64
	for _, r := range rec.Rows {
		if v, ok := r.Values[col]; ok && !math.IsNaN(v) {
			vs = append(vs, v)
		}
	}
	if len(vs) == 0 {
		return math.NaN()
	}
	slices.Sort(vs)
	return vs[len(vs)/2]
}

func processCPU(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

const hostNoop = `name: host
target: {driver: noop, noop: {delay: 1ms}}
load: {executor: constant-arrival-rate, rate: 200, duration: 2s, pre_allocated_vus: 20}
output: {interval: 500ms}
`

// poolload's own CPU, for real: goroutines spinning inside the process
// show in harness_cpu_cores, and the record never claims more CPU than
// the process used. The summary prints the host's line.
func TestHostCPUHarnessRealRun(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the host's CPU is read from Linux's /proc/stat")
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	for range runtime.NumCPU() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; !stop.Load(); n++ {
			}
		}()
	}
	before := processCPU(t)
	rec, s, stdout := hostRun(t, hostNoop)
	used := processCPU(t) - before
	stop.Store(true)
	wg.Wait()
	if rec.Info.HostCPUs < 1 || rec.Info.GoMaxProcs != runtime.GOMAXPROCS(0) {
		t.Errorf("run.json: host_cpus %d, gomaxprocs %d", rec.Info.HostCPUs, rec.Info.GoMaxProcs)
	}
	// The spinners get at least a fair share of a CPU beside whatever
	// else runs on this machine.
	if c := median(rec, record.HarnessCPUCores); !(c >= 0.5) {
		t.Errorf("harness_cpu_cores median %v while %d goroutines spun", c, runtime.NumCPU())
	}
	claimed := 0.0
	for _, r := range rec.Rows {
		claimed += r.Values[record.HarnessCPUCores] * (r.Values[record.TEnd] - r.Values[record.TStart])
	}
	if claimed > used.Seconds()*1.05+0.02 {
		t.Errorf("the record says poolload used %.2f CPU-seconds in its window; the process used %.2f in the whole run", claimed, used.Seconds())
	}
	if s.Host == nil || s.Host.HarnessP50 == nil || s.Host.BusyP50Pct == nil ||
		!strings.Contains(stdout, fmt.Sprintf("host (%d CPUs): steal max ", rec.Info.HostCPUs)) ||
		!strings.Contains(stdout, "poolload CPU p50 ") {
		t.Errorf("summary host %+v; output:\n%s", s.Host, stdout)
	}
}

// The host's CPU, for real: processes outside poolload spinning on every
// CPU show in host_busy_pct, not in poolload's own CPU.
func TestHostCPUBusyRealRun(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the host's CPU is read from Linux's /proc/stat")
	}
	var hogs []*exec.Cmd
	t.Cleanup(func() {
		for _, c := range hogs {
			_ = c.Process.Kill()
			_ = c.Wait()
		}
	})
	for range runtime.NumCPU() {
		c := exec.Command("sh", "-c", "while :; do :; done")
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		hogs = append(hogs, c)
	}
	rec, _, _ := hostRun(t, hostNoop)
	// Per interval, the CPU busy and the CPU stolen share the host's time:
	// their sum is at most all of it, and with every CPU spinning, most.
	var sums []float64
	for i, r := range rec.Rows {
		busy, steal := r.Values[record.HostBusyPct], r.Values[record.HostStealPct]
		if busy+steal > 100.01 || !(steal >= 0) {
			t.Errorf("interval %d: host busy %v%% + steal %v%%: more than the host's time", i+1, busy, steal)
		}
		sums = append(sums, busy+steal)
	}
	slices.Sort(sums)
	if len(sums) == 0 || !(sums[len(sums)/2] >= 85) {
		t.Errorf("host busy + steal per interval %v with a process spinning on each of %d CPUs: want a median of 85%% or more", sums, runtime.NumCPU())
	}
	self := median(rec, record.HarnessCPUCores)
	if !(self < 0.5) {
		t.Errorf("harness_cpu_cores median %v: the spinning processes are not poolload", self)
	}
}

// The run, bounded: SELECT 1 at 40 000/s offered on 16
// connections and 256 VUs, with the server on this host. The CPUs, not
// the pool, are the limit: the finding says the host saturated, and no
// finding asks for a bigger max_open.
func TestHostSaturatedRealRun(t *testing.T) {
	dsn := mysqltest.DSN(t)
	_, s, _ := hostRun(t, fmt.Sprintf(`name: saturated
target:
  driver: mysql
  mysql:
    dsn: %q
    max_open: 16
    operations: [{sql: SELECT 1}]
load: {executor: constant-arrival-rate, rate: 40000, duration: 3s, pre_allocated_vus: 256}
output: {interval: 500ms}
`, dsn))
	f := finding(s, "host-saturated")
	if f == nil || !strings.Contains(f.Statement, "CPUs were saturated") {
		t.Fatalf("want host-saturated saying the CPUs were saturated; got %+v (host %+v)", s.Findings, s.Host)
	}
	if strings.Contains(dsn, "tcp(127.0.0.1:") && !strings.Contains(f.Statement, "the database server (127.0.0.1:") {
		t.Errorf("statement %q does not name the server on this host", f.Statement)
	}
	for _, f := range s.Findings {
		if strings.Contains(f.Recommendation, "set max_open") || strings.Contains(f.Recommendation, "raise max_open") {
			t.Errorf("%s recommends a bigger pool on a saturated host: %q", f.ID, f.Recommendation)
		}
	}
	t.Logf("%s: %s\n  evidence: %s\n  do: %s", f.ID, f.Statement, f.Evidence, f.Recommendation)
}
