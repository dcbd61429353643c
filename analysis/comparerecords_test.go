package analysis

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/poolload/poolload/analysis/testrecord"
	"github.com/poolload/poolload/record"
)

// tiny is a record of one second per variant at the given load.
func tiny(t *testing.T, executor string, rate float64, variants ...string) *record.Record {
	var ws []testrecord.Window
	for _, v := range variants {
		ws = append(ws, testrecord.Window{Variant: v, Rep: 1, Intervals: []testrecord.Interval{uniform(100*us, 200*us, 10)}})
	}
	return open(t, testrecord.Record{Executor: executor, Rate: rate, Windows: ws})
}

func TestCheckLoads(t *testing.T) {
	t.Parallel()
	const car, rar = "constant-arrival-rate", "ramping-arrival-rate"
	tests := []struct {
		name   string
		a, b   *record.Record
		refuse string
	}{
		{"same", tiny(t, car, 500, "cold"), tiny(t, car, 500, "cold"), ""},
		{"8% apart", tiny(t, car, 500, "cold"), tiny(t, car, 540, "cold"), ""},
		{"twice the rate", tiny(t, car, 500, "cold"), tiny(t, car, 1000, "cold"),
			"the loads differ: A offered 500/s, B 1000/s; a comparison would be meaningless"},
		{"11% apart", tiny(t, car, 560, "cold"), tiny(t, car, 500, "cold"),
			"the loads differ: A offered 560/s, B 500/s; a comparison would be meaningless"},
		{"executors", tiny(t, car, 500, "cold"), tiny(t, rar, 500, "cold"),
			"the loads differ: A runs constant-arrival-rate, B ramping-arrival-rate; a comparison would be meaningless"},
	}
	for _, tc := range tests {
		err := CheckLoads(tc.a, tc.b)
		switch {
		case tc.refuse == "" && err != nil:
			t.Errorf("%s: refused: %v", tc.name, err)
		case tc.refuse != "" && (err == nil || err.Error() != tc.refuse || !errors.Is(err, ErrLoadsDiffer)):
			t.Errorf("%s: %v\nwant %s", tc.name, err, tc.refuse)
		}
	}
}

func TestMatchVariants(t *testing.T) {
	t.Parallel()
	const car = "constant-arrival-rate"
	coldWarm, cold := tiny(t, car, 100, "cold", "warm"), tiny(t, car, 100, "cold")
	x, y, xy := tiny(t, car, 100, "x"), tiny(t, car, 100, "y"), tiny(t, car, 100, "x", "y")
	tests := []struct {
		name string
		a, b *record.Record
		want [][2]string
		err  string
	}{
		{"by name", coldWarm, cold, [][2]string{{"cold", "cold"}}, ""},
		{"both", coldWarm, coldWarm, [][2]string{{"cold", "cold"}, {"warm", "warm"}}, ""},
		{"one each", x, y, [][2]string{{"x", "y"}}, ""},
		{"nothing in common", xy, cold, nil, "the records have no variant in common (A: x, y; B: cold)"},
	}
	for _, tc := range tests {
		got, err := MatchVariants(tc.a, tc.b)
		if (err == nil) != (tc.err == "") || (err != nil && err.Error() != tc.err) || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %v, %v; want %v, %q", tc.name, got, err, tc.want, tc.err)
		}
	}
	rc, err := CompareRecords(coldWarm, cold)
	if err != nil || len(rc.Pairs) != 1 || rc.Pairs[0].A.Run != "A" || rc.SteadyA == nil || rc.SteadyB != nil {
		t.Fatalf("CompareRecords: %+v, %v", rc, err)
	}
	var out strings.Builder
	rc.WriteText(&out)
	for _, want := range []string{"COMPARISON  cold: A (1 repetition) vs B (1 repetition)", "B: no cold/warm pair"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, out.String())
		}
	}
}
