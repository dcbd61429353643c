package http

import (
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/poolload/poolload/units"
)

// Each number in the block has a range; what is out of it is refused with
// one message about the field written (issue #14, item 4).
func TestOutOfRangeFields(t *testing.T) {
	base := func(c Config) Config {
		c.BaseURL = "http://127.0.0.1:8089"
		if c.Requests == nil {
			c.Requests = one("/")
		}
		return c
	}
	cases := []struct {
		name string
		cfg  Config
		want map[string]string
	}{
		{"weight 0 on every request", Config{Requests: []Request{{Path: "/a", Weight: new(0)}, {Path: "/b", Weight: new(0)}}},
			map[string]string{
				"requests[0].weight": "must be between 1 and 1000000 (leave it out for 1), got 0",
				"requests[1].weight": "must be between 1 and 1000000 (leave it out for 1), got 0"}},
		{"weights whose sum overflows", Config{Requests: []Request{{Path: "/a", Weight: new(math.MaxInt)}, {Path: "/b", Weight: new(math.MaxInt)}}},
			map[string]string{
				"requests[0].weight": "must be between 1 and 1000000 (leave it out for 1), got 9223372036854775807",
				"requests[1].weight": "must be between 1 and 1000000 (leave it out for 1), got 9223372036854775807"}},
		{"timeout", Config{Timeout: units.Duration(2562047 * time.Hour)},
			map[string]string{"timeout": "must be at most 24h, got 2562047h"}},
		{"max_conns", Config{MaxConns: maxConns + 1},
			map[string]string{"max_conns": "must be between 0 (no cap) and 100000, got 100001"}},
		{"every edge", Config{Timeout: units.Duration(24 * time.Hour), MaxConns: maxConns, ExpectStatus: []int{100, 599},
			Requests: []Request{{Path: "/a", Weight: new(maxWeight)}, {Path: "/b"}}}, map[string]string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := base(tc.cfg)
			if got := c.Validate(); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

// A request without a weight counts as 1.
func TestUnwrittenWeightIsOne(t *testing.T) {
	d := &Driver{cfg: Config{Requests: []Request{{Path: "/a"}, {Path: "/b", Weight: new(2)}}}}
	if err := d.prepare(); err != nil || !reflect.DeepEqual(d.cum, []int{1, 3}) {
		t.Fatalf("cumulative weights %v (%v), want [1 3]", d.cum, err)
	}
}
