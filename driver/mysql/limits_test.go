package mysql

import (
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/poolload/poolload/units"
)

// Each number in the block has a range, and what is out of it gets one
// message, about the field written (issue #14, item 4). The config is
// defaulted first, as a loaded scenario's is.
func TestOutOfRangeFields(t *testing.T) {
	const dsn = "root@tcp(127.0.0.1:3306)/test"
	h := func(n time.Duration) units.Duration { return units.Duration(n * time.Hour) }
	cases := []struct {
		name string
		cfg  Config
		want map[string]string
	}{
		{"max_open below 0, and not the max_idle it implies", Config{DSN: dsn, MaxOpen: -1},
			map[string]string{"max_open": "must be between 1 and 100000 (0 means 10), got -1"}},
		{"max_open too large, and not the max_idle it implies", Config{DSN: dsn, MaxOpen: 100_001},
			map[string]string{"max_open": "must be between 1 and 100000 (0 means 10), got 100001"}},
		{"max_idle below 0", Config{DSN: dsn, MaxIdle: new(-1)},
			map[string]string{"max_idle": "must be 0 or more, got -1; leave it unset to keep every connection"}},
		{"max_idle above max_open", Config{DSN: dsn, MaxOpen: 4, MaxIdle: new(5)},
			map[string]string{"max_idle": "must be between 0 and max_open (4); leave it unset to keep every connection"}},
		{"weight 0", Config{DSN: dsn, Operations: []Operation{{SQL: "SELECT 1", Weight: new(0)}}},
			map[string]string{"operations[0].weight": "must be between 1 and 1000000 (leave it out for 1), got 0"}},
		{"weights whose sum overflows", Config{DSN: dsn, Operations: []Operation{
			{SQL: "SELECT 1", Weight: new(math.MaxInt)}, {SQL: "SELECT 2", Weight: new(math.MaxInt)}}},
			map[string]string{
				"operations[0].weight": "must be between 1 and 1000000 (leave it out for 1), got 9223372036854775807",
				"operations[1].weight": "must be between 1 and 1000000 (leave it out for 1), got 9223372036854775807"}},
		{"durations beyond a day", Config{DSN: dsn, ConnMaxLifetime: h(1_000_000), ConnMaxIdleTime: h(25),
			AcquireTimeout: h(2562047), QueryTimeout: h(48), ConnectTimeout: h(25),
			Operations: []Operation{{SQL: "SELECT 1", Hold: h(25)}}},
			map[string]string{
				"conn_max_lifetime":  "must be at most 24h, got 1000000h",
				"conn_max_idle_time": "must be at most 24h, got 25h",
				"acquire_timeout":    "must be at most 24h, got 2562047h",
				"query_timeout":      "must be at most 24h, got 48h",
				"connect_timeout":    "must be at most 24h, got 25h",
				"operations[0].hold": "must be at most 24h, got 25h"}},
		{"seed rows", Config{DSN: dsn, Seed: &Seed{Table: "t", Rows: maxSeedRows + 1}},
			map[string]string{"seed.rows": "must be between 1 and 10000000"}},
		{"every edge", Config{DSN: dsn, MaxOpen: maxPoolSize, MaxIdle: new(maxPoolSize), ConnMaxLifetime: h(24),
			Operations: []Operation{{SQL: "SELECT 1", Weight: new(maxWeight), Hold: h(24)}, {SQL: "SELECT 2"}},
			Seed:       &Seed{Table: "t", Rows: maxSeedRows}}, map[string]string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.cfg
			c.SetDefaults()
			if got := c.Validate(); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

// An operation without a weight counts as 1.
func TestUnwrittenWeightIsOne(t *testing.T) {
	c := Config{Operations: []Operation{{SQL: "SELECT 1"}, {SQL: "SELECT 2", Weight: new(2)}}}
	errs := map[string]string{}
	if w := c.compile(errs); len(errs) > 0 || !reflect.DeepEqual(w.cum, []int{1, 3}) {
		t.Fatalf("cumulative weights %v, errors %v; want [1 3]", w.cum, errs)
	}
}
