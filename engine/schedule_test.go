package engine

import (
	"math"
	"testing"
	"time"
)

func dur(d time.Duration) time.Duration { return d }

func TestConstantCountsAndOffsets(t *testing.T) {
	tests := []struct {
		rate  float64
		unit  time.Duration
		d     time.Duration
		total int64
	}{
		{1000, time.Second, 10 * time.Second, 10000},
		{1, time.Second, 10 * time.Second, 10},
		{3, time.Second, time.Second, 3},
		{100, time.Minute, time.Minute, 100},
		{0.5, time.Second, 3 * time.Second, 2}, // at 0 s and 2 s
		{7, time.Second, 1500 * time.Millisecond, 11},
	}
	for _, tc := range tests {
		s := NewConstant(tc.rate, tc.unit, tc.d)
		if s.Total() != tc.total {
			t.Errorf("rate %v/%v for %v: total %d, want %d", tc.rate, tc.unit, tc.d, s.Total(), tc.total)
		}
		last, ok := s.At(s.Total() - 1)
		if !ok || last >= tc.d {
			t.Errorf("rate %v: last start %v not inside %v", tc.rate, last, tc.d)
		}
		if _, ok := s.At(s.Total()); ok {
			t.Errorf("rate %v: iteration past the end exists", tc.rate)
		}
	}
}

func TestConstantDoesNotDrift(t *testing.T) {
	// 20 000/s for 24 h: the billion-and-something-th start must sit exactly
	// on its grid point; adding periods would be off by microseconds.
	s := NewConstant(20000, time.Second, 24*time.Hour)
	i := s.Total() - 1
	got, _ := s.At(i)
	want := time.Duration(i) * 50 * time.Microsecond
	if got != want {
		t.Fatalf("start of iteration %d = %v, want %v", i, got, want)
	}
}

func TestRampingTotalsMatchIntegral(t *testing.T) {
	tests := []struct {
		name   string
		start  float64
		stages []Stage
		area   float64 // iterations = area under the rate curve
	}{
		{"ramp up", 0, []Stage{{Target: 100, Duration: dur(10 * time.Second)}}, 500},
		{"up hold down", 10, []Stage{
			{Target: 50, Duration: dur(4 * time.Second)},  // 120
			{Target: 50, Duration: dur(10 * time.Second)}, // 500
			{Target: 0, Duration: dur(5 * time.Second)},   // 125
		}, 745},
		{"fractions carry", 0, []Stage{
			{Target: 1, Duration: dur(3 * time.Second)},        // 1.5
			{Target: 1, Duration: dur(500 * time.Millisecond)}, // 0.5
		}, 2},
		{"pause", 10, []Stage{
			{Target: 0, Duration: dur(time.Second)},  // 5
			{Target: 0, Duration: dur(time.Second)},  // 0
			{Target: 10, Duration: dur(time.Second)}, // 5
		}, 10},
	}
	for _, tc := range tests {
		s := NewRamping(tc.start, time.Second, tc.stages)
		if s.Total() != int64(math.Ceil(tc.area)) {
			t.Errorf("%s: total %d, want %v", tc.name, s.Total(), tc.area)
		}
		prev := time.Duration(-1)
		for i := range s.Total() {
			at, ok := s.At(i)
			if !ok || at < prev || at > s.Duration() {
				t.Fatalf("%s: iteration %d at %v (prev %v, ok %v)", tc.name, i, at, prev, ok)
			}
			prev = at
		}
	}
}

func TestRampingStartTimesFollowTheArea(t *testing.T) {
	// 0 → 100/s over 10 s: the area after t seconds is 5t², so iteration i
	// starts at √(i/5) s.
	s := NewRamping(0, time.Second, []Stage{{Target: 100, Duration: dur(10 * time.Second)}})
	for _, i := range []int64{1, 5, 20, 125, 499} {
		got, _ := s.At(i)
		want := time.Duration(math.Sqrt(float64(i)/5) * 1e9)
		if d := got - want; d < -time.Microsecond || d > time.Microsecond {
			t.Errorf("iteration %d at %v, want %v", i, got, want)
		}
	}
	// A flat stage after a ramp starts where the ramp's area ends: 0 → 10/s
	// over 2 s gives 10 iterations, then 10/s puts iteration 10+k at 2 s + k/10.
	s = NewRamping(0, time.Second, []Stage{
		{Target: 10, Duration: dur(2 * time.Second)},
		{Target: 10, Duration: dur(2 * time.Second)},
	})
	for k := int64(0); k < 20; k++ {
		got, _ := s.At(10 + k)
		want := 2*time.Second + time.Duration(k)*100*time.Millisecond
		if d := got - want; d < -time.Microsecond || d > time.Microsecond {
			t.Errorf("iteration %d at %v, want %v", 10+k, got, want)
		}
	}
}
