package units

import (
	"testing"
	"time"
)

func TestDurationCheck(t *testing.T) {
	for _, tc := range []struct {
		d        time.Duration
		max      time.Duration
		positive bool
		want     string
	}{
		{0, MaxDuration, false, ""},
		{MaxDuration, MaxDuration, true, ""},
		{0, MaxDuration, true, "must be greater than 0"},
		{-time.Second, MaxDuration, false, "must be 0 or more, got -1s"},
		{MaxDuration + time.Nanosecond, MaxDuration, false, "must be at most 24h, got 24h0m0.000000001s"},
		{2562047 * time.Hour, MaxDuration, true, "must be at most 24h, got 2562047h"},
		{90 * time.Second, time.Minute, false, "must be at most 1m, got 1m30s"},
	} {
		if got := Duration(tc.d).Check(tc.max, tc.positive); got != tc.want {
			t.Errorf("%v.Check(%v, %v) = %q, want %q", tc.d, tc.max, tc.positive, got, tc.want)
		}
	}
}
