package network

import (
	"reflect"
	"testing"
	"time"

	"github.com/poolload/poolload/units"
)

// Each number of the link has a range; what is beyond it is refused with
// the field's own message (issue #14, item 4).
func TestOutOfRangeConditions(t *testing.T) {
	h := func(n time.Duration) units.Duration { return units.Duration(n * time.Hour) }
	cases := []struct {
		name string
		c    Conditions
		want map[string]string
	}{
		{"latency and jitter", Conditions{Latency: h(1_000_000), Up: &Direction{Jitter: units.Duration(2 * time.Minute)}},
			map[string]string{"latency": "must be at most 1m, got 1000000h", "up.jitter": "must be at most 1m, got 2m"}},
		{"bandwidth", Conditions{Down: &Direction{Bandwidth: 2 * maxBandwidth}},
			map[string]string{"down.bandwidth": "must be between 0 (unlimited) and 1Tbit, got 2Tbit"}},
		{"idle reset", Conditions{ResetIdleAfter: h(25)},
			map[string]string{"reset_idle_after": "must be 0 (never) or between 1ms and 24h, got 25h"}},
		{"bytes", Conditions{ResetAfterBytes: 2 * maxResetAfter},
			map[string]string{"reset_after_bytes": "must be between 0 (never) and 1TiB, got 2TiB"}},
		{"refusal windows", Conditions{RefuseNew: []Window{{From: h(25), For: h(2562047)}}},
			map[string]string{"refuse_new[0].from": "must be at most 24h, got 25h (it counts from the start of the measured window)",
				"refuse_new[0].for": "must be at most 24h, got 2562047h"}},
		{"every edge", Conditions{Latency: units.Duration(maxLatency), Jitter: units.Duration(maxLatency),
			Bandwidth: maxBandwidth, ResetIdleAfter: h(24), ResetAfterBytes: maxResetAfter,
			RefuseNew: []Window{{From: h(24), For: h(24)}}}, map[string]string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.c.Validate(); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}
