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

// A meter over a short sleep reads a share between 0 and 1.
func TestStealShare(t *testing.T) {
	m := StartSteal()
	time.Sleep(50 * time.Millisecond)
	if s := m.Share(); s < 0 || s > 1 {
		t.Errorf("stolen share %v", s)
	}
}
