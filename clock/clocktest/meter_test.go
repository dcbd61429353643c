package clocktest

import (
	"testing"
	"time"
)

// Judge stops at the first reading accepted, and gives up after three
// rejected readings on a quiet machine. (A starved one cannot be staged
// here.)
func TestJudge(t *testing.T) {
	for _, tc := range []struct {
		name     string
		readings []time.Duration
		want     time.Duration
		pass     bool
		calls    int
	}{
		{"first accepted", []time.Duration{5, 9}, 5, true, 1},
		{"rejected, then accepted", []time.Duration{20, 30, 7}, 7, true, 3},
		{"rejected three times", []time.Duration{20, 30, 40, 1}, 40, false, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			d, pass, noisy := Judge(time.Minute,
				func() time.Duration { calls++; return tc.readings[calls-1] },
				func(d time.Duration) bool { return d <= 10 })
			if d != tc.want || pass != tc.pass || calls != tc.calls || noisy {
				t.Errorf("Judge = %v, pass %v, noisy %v after %d readings; want %v, %v after %d", d, pass, noisy, calls, tc.want, tc.pass, tc.calls)
			}
		})
	}
}

// A meter reads shares between 0 and 1; this process's own CPU time is
// its own, not other processes', and steal is the host's.
func TestMeter(t *testing.T) {
	m := StartMeter()
	time.Sleep(50 * time.Millisecond)
	if s, o := m.Stolen(), m.Others(); s < 0 || s > 1 || o < 0 || o > 1 {
		t.Errorf("stolen %v, others %v: want shares", s, o)
	}
	ms := time.Millisecond
	for _, tc := range []struct {
		busy, steal, self, want time.Duration
	}{
		{busy: 200 * ms, self: 200 * ms, want: -2 * tick},                  // all ours
		{busy: 300 * ms, self: 200 * ms, want: 100*ms - 2*tick},            // others ran 100 ms
		{busy: 300 * ms, steal: 100 * ms, self: 200 * ms, want: -2 * tick}, // the host took 100 ms
	} {
		got := othersTime(cpuTimes{}, cpuTimes{busy: tc.busy, steal: tc.steal}, tc.self)
		if got != tc.want {
			t.Errorf("busy %v, steal %v, self %v: others %v, want %v", tc.busy, tc.steal, tc.self, got, tc.want)
		}
	}
}
