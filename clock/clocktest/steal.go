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
	"testing"
	"time"
)

// NoisyShare is the share of the machine's CPU time stolen by the
// hypervisor above which timings of tens of microseconds mean nothing: a
// quiet host steals next to none, and a busy one enough to make loopback
// round trips many times slower (README: "The harness's own cost").
const NoisyShare = 0.05

// StealMeter measures how much of the machine's CPU time the hypervisor
// gave to other guests over an interval (steal time, /proc/stat), so that
// a timing taken on a starved VM can be told from a slow harness.
type StealMeter struct {
	t0     time.Time
	stolen time.Duration
	ok     bool
}

// StartSteal starts a meter.
func StartSteal() StealMeter {
	s, ok := stolen()
	return StealMeter{t0: time.Now(), stolen: s, ok: ok}
}

// Share is the stolen share of all CPUs' time since StartSteal, 0 where
// steal time cannot be read.
func (m StealMeter) Share() float64 {
	s, ok := stolen()
	wall := time.Since(m.t0) * time.Duration(runtime.NumCPU())
	if !m.ok || !ok || wall <= 0 {
		return 0
	}
	// Steal time counts in 10 ms ticks: one tick is forgiven, or a short
	// interval could look starved by the rounding alone.
	return float64(max(s-m.stolen-stealTick, 0)) / float64(wall)
}

const stealTick = 10 * time.Millisecond

// stolen reads the steal time of all CPUs together from /proc/stat's first
// line ("cpu user nice system idle iowait irq softirq steal ..."), in
// USER_HZ ticks, which Linux fixes at 100 per second for user space.
func stolen() (time.Duration, bool) {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	line, err := bufio.NewReader(f).ReadBytes('\n')
	if err != nil {
		return 0, false
	}
	fields := bytes.Fields(line)
	if len(fields) < 9 || string(fields[0]) != "cpu" {
		return 0, false
	}
	ticks, err := strconv.ParseInt(string(fields[8]), 10, 64)
	if err != nil {
		return 0, false
	}
	return time.Duration(ticks) * stealTick, true
}

// Judge takes readings of measure until ok accepts one, and returns the
// last. Outside load (other tests, the race detector, a busy host) only
// ever makes a reading worse than the code under test would make it, so a
// rejected one is taken again: up to three times on a quiet machine, and
// for as long as patience allows while the host steals more than
// NoisyShare of the CPU time. noisy reports that every rejected reading
// was taken on a starved VM, so that a test can say so and skip instead of
// failing on its host's account.
func Judge[R any](patience time.Duration, measure func() R, ok func(R) bool) (r R, pass, noisy bool) {
	deadline := time.Now().Add(patience)
	quiet := 0
	for {
		m := StartSteal()
		if r = measure(); ok(r) {
			return r, true, false
		}
		if m.Share() <= NoisyShare {
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
		t.Skipf("the host stole over %.0f%% of the CPU time during every reading, so no judgement is possible: %s", NoisyShare*100, what(r))
	default:
		t.Errorf("%s", what(r))
	}
	return r
}
