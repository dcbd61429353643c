// Package clocktest helps tests that time things to the microsecond judge
// what they measure fairly on a shared 2-vCPU VM: against a baseline taken
// in the same run, taken again when outside load made a reading late, and
// not at all when the hypervisor starved the machine through every reading.
package clocktest

import (
	"bufio"
	"bytes"
	"os"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// NoisyShare is the share of the machine's CPU time stolen by the
// hypervisor above which timings of tens of microseconds mean nothing: a
// quiet host steals next to none, and a busy one enough to make loopback
// round trips many times slower (README: "The harness's own cost").
const NoisyShare = 0.05

// BusyShare is the share of the machine's CPU time that other processes
// (another test binary, a compiler) may use before a timing taken beside
// them is too noisy to judge: on two vCPUs, 20% is most of a core's
// bursts landing between the code's wake-ups and its measurements.
const BusyShare = 0.20

// Meter measures, over an interval, how much of the machine's CPU time
// went elsewhere than to this process: stolen by the hypervisor (steal
// time), or used by other processes. A timing taken while either was
// large says more about the machine than about the code under test.
type Meter struct {
	t0   time.Time
	cpu  cpuTimes
	self time.Duration
	ok   bool
}

// StartMeter starts a meter.
func StartMeter() Meter {
	c, ok := readCPU()
	return Meter{t0: time.Now(), cpu: c, self: selfCPU(), ok: ok}
}

// Stolen is the stolen share of all CPUs' time since StartMeter, 0 where
// it cannot be read. Steal time counts in 10 ms ticks: one tick is
// forgiven, or a short interval could look starved by the rounding alone.
func (m Meter) Stolen() float64 {
	c, ok := readCPU()
	return m.share(ok, c.steal-m.cpu.steal-tick)
}

// Others is the share of all CPUs' time since StartMeter that other
// processes used (busy time, less steal, less this process's own).
func (m Meter) Others() float64 {
	c, ok := readCPU()
	return m.share(ok, othersTime(m.cpu, c, selfCPU()-m.self))
}

// othersTime is the CPU time other processes used between two readings of
// /proc/stat, while this process used self. Two ticks are forgiven for
// the counters' rounding.
func othersTime(before, after cpuTimes, self time.Duration) time.Duration {
	return (after.busy - before.busy) - (after.steal - before.steal) - self - 2*tick
}

// Noisy reports whether the machine took too much from the interval for a
// timing in it to be judged.
func (m Meter) Noisy() bool { return m.Stolen() > NoisyShare || m.Others() > BusyShare }

func (m Meter) share(ok bool, d time.Duration) float64 {
	wall := time.Since(m.t0) * time.Duration(runtime.NumCPU())
	if !m.ok || !ok || wall <= 0 {
		return 0
	}
	return float64(max(d, 0)) / float64(wall)
}

// tick is USER_HZ, which Linux fixes at 100 per second for user space.
const tick = 10 * time.Millisecond

type cpuTimes struct{ busy, steal time.Duration }

// readCPU reads all CPUs' time from /proc/stat's first line ("cpu user
// nice system idle iowait irq softirq steal ..."): busy is everything but
// idle and iowait, steal included.
func readCPU() (cpuTimes, bool) {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return cpuTimes{}, false
	}
	defer f.Close()
	line, err := bufio.NewReader(f).ReadBytes('\n')
	if err != nil {
		return cpuTimes{}, false
	}
	fields := bytes.Fields(line)
	if len(fields) < 9 || string(fields[0]) != "cpu" {
		return cpuTimes{}, false
	}
	var v [8]int64
	for i := range v {
		if v[i], err = strconv.ParseInt(string(fields[i+1]), 10, 64); err != nil {
			return cpuTimes{}, false
		}
	}
	busy := v[0] + v[1] + v[2] + v[5] + v[6] + v[7]
	return cpuTimes{busy: time.Duration(busy) * tick, steal: time.Duration(v[7]) * tick}, true
}

// selfCPU is the CPU time this process has used, all threads.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Judge takes readings of measure until ok accepts one, and returns the
// last. Outside load (other tests, the race detector, a busy host) only
// ever makes a reading worse than the code under test would make it, so a
// rejected one is taken again: up to three times on a quiet machine, and
// for as long as patience allows while the machine is noisy (Meter.Noisy:
// the host steals its CPU, or other processes use it). noisy reports that
// every rejected reading was taken on a noisy machine, so that a test can
// say so and skip instead of failing on its host's account.
func Judge[R any](patience time.Duration, measure func() R, ok func(R) bool) (r R, pass, noisy bool) {
	deadline := time.Now().Add(patience)
	quiet := 0
	for {
		m := StartMeter()
		if r = measure(); ok(r) {
			return r, true, false
		}
		if !m.Noisy() {
			quiet++
		}
		if quiet >= 3 || time.Now().After(deadline) {
			return r, false, quiet == 0
		}
	}
}

// Require is Judge for a test: it fails t with what(r) when no reading
// passed on a quiet machine, and skips t saying why when the host starved
// every one.
func Require[R any](t testing.TB, patience time.Duration, measure func() R, ok func(R) bool, what func(R) string) R {
	t.Helper()
	r, pass, noisy := Judge(patience, measure, ok)
	switch {
	case pass:
	case noisy:
		t.Skipf("the host stole over %.0f%% of the CPU time, or other processes used over %.0f%%, during every reading, so no judgement is possible: %s",
			NoisyShare*100, BusyShare*100, what(r))
	default:
		t.Errorf("%s", what(r))
	}
	return r
}
