package noop

import (
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/poolload/poolload/units"
)

// The block's numbers have ranges (issue #14, item 4): durations up to a
// day, an error rate in [0, 1] that is a number.
func TestOutOfRangeFields(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want map[string]string
	}{
		{Config{Delay: units.Duration(1_000_000 * time.Hour), Jitter: units.Duration(25 * time.Hour), Blocked: units.Duration(48 * time.Hour)},
			map[string]string{"delay": "must be at most 24h, got 1000000h", "jitter": "must be at most 24h, got 25h",
				"blocked": "must be at most 24h, got 48h"}},
		{Config{ErrorRate: math.NaN()}, map[string]string{"error_rate": "must be between 0 and 1"}},
		{Config{Delay: units.Duration(24 * time.Hour), ErrorRate: 1}, map[string]string{}},
	} {
		if got := tc.cfg.Validate(); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%+v: got %q, want %q", tc.cfg, got, tc.want)
		}
	}
}
