package analysis

import (
	"strings"
	"testing"

	"github.com/poolload/poolload/analysis/testrecord"
)

// Connections opened with no iteration waiting are summed per window and
// shown under the count they are part of, only when there are some.
func TestSummaryShowsConnsOpenedByPool(t *testing.T) {
	t.Parallel()
	gauges := []string{"conns_opened", "conns_opened_by_pool", "http_conns_opened", "http_conns_opened_by_pool"}
	iv := func(g ...float64) testrecord.Interval {
		x := uniform(5*ms, 10*ms, 10)
		x.Gauges = g
		return x
	}
	rec := open(t, testrecord.Record{Gauges: gauges, Windows: []testrecord.Window{
		{Variant: "cold", Rep: 1, Intervals: []testrecord.Interval{iv(8, 0, 4, 1), iv(3, 2, 1, 0)}},
		{Variant: "warm", Rep: 1, Intervals: []testrecord.Interval{iv(0, 0, 0, 0), iv(1, 1, 0, 0)}},
	}})
	s := Summarize(rec)
	cold, warm := s.Variants[0], s.Variants[1]
	if *cold.ConnsOpened != 11 || *cold.ConnsOpenedByPool != 2 || *warm.ConnsOpenedByPool != 1 ||
		*cold.HTTPConnsOpened != 5 || *cold.HTTPConnsOpenedByPool != 1 || *warm.HTTPConnsOpenedByPool != 0 {
		t.Errorf("cold %+v, warm %+v", cold, warm)
	}
	var out strings.Builder
	s.WriteText(&out)
	for _, want := range []string{"of which by the pool  2  1", "client conns opened  5  0", "of which none waiting  1  0"} {
		if !strings.Contains(strings.Join(strings.Fields(out.String()), "  "), strings.Join(strings.Fields(want), "  ")) {
			t.Errorf("text lacks %q:\n%s", want, out.String())
		}
	}

	none := open(t, testrecord.Record{Gauges: gauges[:2], Windows: []testrecord.Window{
		{Variant: "cold", Rep: 1, Intervals: []testrecord.Interval{iv(8, 0), iv(3, 0)}},
	}})
	out.Reset()
	Summarize(none).WriteText(&out)
	if strings.Contains(out.String(), "of which") {
		t.Errorf("a row of zeros:\n%s", out.String())
	}
}
