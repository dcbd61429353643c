package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"strconv"
	"time"

	"github.com/poolload/poolload/driver"
	"github.com/poolload/poolload/record"
)

// hostGauges are the host's CPU and poolload's own, sampled on every run:
// a shared VM's hypervisor or a busy machine inflates every latency with
// no change in the target, and only these columns tell the two apart.
var hostGauges = []string{record.HostStealPct, record.HostBusyPct, record.HarnessCPUCores}

// procStat is where Linux keeps the host's CPU times. Elsewhere it is
// missing and the host's columns stay empty; poolload's own CPU is still
// read.
const procStat = "/proc/stat"

// cpuTimes are the host's CPU times summed over its CPUs (the first line
// of /proc/stat), in the kernel's ticks.
type cpuTimes struct {
	busy  uint64 // user, nice, system, irq, softirq (guest time is inside user and nice)
	idle  uint64 // idle, iowait
	steal uint64 // taken by the hypervisor for other guests
}

// since is the CPU time spent between prev and c. A field that went back
// (iowait does, on some kernels) counts nothing rather than wrapping.
func (c cpuTimes) since(prev cpuTimes) cpuTimes {
	sub := func(a, b uint64) uint64 {
		if a < b {
			return 0
		}
		return a - b
	}
	return cpuTimes{busy: sub(c.busy, prev.busy), idle: sub(c.idle, prev.idle), steal: sub(c.steal, prev.steal)}
}

func (c cpuTimes) total() uint64 { return c.busy + c.idle + c.steal }

// parseCPULine reads the aggregate "cpu" line of /proc/stat. Kernels
// before 2.6.11 have no steal field; from 2.6.24 guest time follows,
// already counted in user and nice.
func parseCPULine(b []byte) (cpuTimes, error) {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	f := bytes.Fields(line)
	if len(f) < 5 || string(f[0]) != "cpu" {
		return cpuTimes{}, fmt.Errorf("%s: the first line is not a cpu line of 4 or more times: %.60q", procStat, line)
	}
	var v [8]uint64 // user nice system idle iowait irq softirq steal
	for i := 0; i < len(v) && i+1 < len(f); i++ {
		n, err := strconv.ParseUint(string(f[i+1]), 10, 64)
		if err != nil {
			return cpuTimes{}, fmt.Errorf("%s: cpu field %d: %w", procStat, i+1, err)
		}
		v[i] = n
	}
	return cpuTimes{busy: v[0] + v[1] + v[2] + v[5] + v[6], idle: v[3] + v[4], steal: v[7]}, nil
}

// countCPUs counts the per-CPU lines (cpu0, cpu1, …) of /proc/stat.
func countCPUs(b []byte) int {
	n := 0
	for line := range bytes.Lines(b) {
		if len(line) > 3 && bytes.HasPrefix(line, []byte("cpu")) && line[3] >= '0' && line[3] <= '9' {
			n++
		}
	}
	return n
}

// HostCPUs is how many CPUs the host has, as /proc/stat counts them (the
// shares in host_busy_pct and host_steal_pct are of all of them), or as
// Go sees them where there is no /proc/stat.
func HostCPUs() int {
	if b, err := os.ReadFile(procStat); err == nil {
		if n := countCPUs(b); n > 0 {
			return n
		}
	}
	return runtime.NumCPU()
}

// hostSampler reads the host's CPU times and poolload's own CPU time on
// the interval tick and turns them into shares of the time since the
// last tick. It reads one small file and makes one system call per
// interval, on the interval goroutine, never on the VUs' path.
type hostSampler struct {
	buf     []byte
	prev    cpuTimes
	prevOK  bool
	self    time.Duration // poolload's user + system CPU time
	selfOK  bool
	at      time.Time
	readCPU func(buf []byte) (cpuTimes, error) // the host's times; a test replaces it
}

func newHostSampler() *hostSampler {
	return &hostSampler{buf: make([]byte, 512), readCPU: readProcStat}
}

// readProcStat reads the first line of /proc/stat into buf (the rest, the
// per-CPU lines and interrupt counts, can be long and is not needed).
func readProcStat(buf []byte) (cpuTimes, error) {
	f, err := os.Open(procStat)
	if err != nil {
		return cpuTimes{}, err
	}
	defer f.Close()
	n, err := io.ReadFull(f, buf)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return cpuTimes{}, fmt.Errorf("reading %s: %w", procStat, err)
	}
	return parseCPULine(buf[:n])
}

func (h *hostSampler) GaugeNames() []string { return append([]string(nil), hostGauges...) }

// Sample writes the shares since the previous call; the first call only
// takes the starting readings and writes NaN (unknown).
func (h *hostSampler) Sample(_ context.Context, dst []float64) {
	for i := range dst {
		dst[i] = math.NaN()
	}
	now := time.Now()
	wall := now.Sub(h.at)
	first := h.at.IsZero()
	h.at = now
	cur, err := h.readCPU(h.buf)
	if err == nil {
		if d := cur.since(h.prev); h.prevOK && d.total() > 0 {
			dst[0] = 100 * float64(d.steal) / float64(d.total())
			dst[1] = 100 * float64(d.busy) / float64(d.total())
		}
		h.prev = cur
	}
	h.prevOK = err == nil
	self, ok := selfCPU()
	if ok && h.selfOK && !first && wall > 0 {
		dst[2] = float64(self-h.self) / float64(wall)
	}
	h.self, h.selfOK = self, ok
}

var _ driver.Sampler = (*hostSampler)(nil)
