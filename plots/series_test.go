package plots

import (
	"math"
	"slices"
	"testing"

	"gonum.org/v1/plot/plotter"

	"github.com/poolload/poolload/collector"
	"github.com/poolload/poolload/record"
)

func TestPercentileXY(t *testing.T) {
	tests := []struct {
		name      string
		values    []int64 // recorded, in ns
		perDecade int
		wantLen   int
		wantLastX float64
	}{
		{"empty", nil, 20, 0, 0},
		{"one sample: only q = 0", []int64{5e6}, 20, 1, 1},
		{"ten samples stop at 90%", seq(10), 1, 2, 10},
		{"1000 samples stop at 99.9%", seq(1000), 1, 4, 1000},
		{"1500 samples: last point exactly at count", seq(1500), 1, 5, 1500},
		{"finer sampling", seq(1000), 20, 61, 1000},
		{"no sampling asked", seq(10), 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := collector.NewHistogram()
			for _, v := range tt.values {
				if err := h.RecordValue(v); err != nil {
					t.Fatal(err)
				}
			}
			xys := percentileXY(h, tt.perDecade)
			if len(xys) != tt.wantLen {
				t.Fatalf("%d points, want %d: %v", len(xys), tt.wantLen, xys)
			}
			if len(xys) == 0 {
				return
			}
			if xys[0].X != 1 || xys[len(xys)-1].X != tt.wantLastX {
				t.Errorf("x runs %v..%v, want 1..%v", xys[0].X, xys[len(xys)-1].X, tt.wantLastX)
			}
			for i := 1; i < len(xys); i++ {
				if xys[i].X <= xys[i-1].X || xys[i].Y < xys[i-1].Y {
					t.Errorf("point %d %v after %v: x must rise and y never fall", i, xys[i], xys[i-1])
				}
			}
			// Beyond the last point fewer than one sample would remain.
			if n := float64(h.TotalCount()); n/xys[len(xys)-1].X < 1-1e-9 {
				t.Errorf("last x %v leaves %v samples beyond it", xys[len(xys)-1].X, n/xys[len(xys)-1].X)
			}
		})
	}
}

// seq is 1..n milliseconds in ns.
func seq(n int) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = int64(i+1) * 1e6
	}
	return out
}

func TestPercentileXYValues(t *testing.T) {
	h := collector.NewHistogram()
	for _, v := range seq(1000) {
		_ = h.RecordValue(v)
	}
	xys := percentileXY(h, 1)
	want := []float64{1, 900, 990, 999} // ms at 0%, 90%, 99%, 99.9%
	for i, w := range want {
		if math.Abs(xys[i].Y-w)/w > 0.01 { // HDR keeps 3 significant digits
			t.Errorf("at x = %v: %v ms, want %v", xys[i].X, xys[i].Y, w)
		}
	}
}

func TestPercentileLabels(t *testing.T) {
	want := map[int]string{0: "0%", 1: "90%", 2: "99%", 3: "99.9%", 4: "99.99%", 6: "99.9999%"}
	for k, w := range want {
		if got := percentileLabel(k); got != w {
			t.Errorf("percentileLabel(%d) = %q, want %q", k, got, w)
		}
	}
	var labels []string
	for _, tk := range (percentileTicks{}).Ticks(1, 2000) {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	if !slices.Equal(labels, []string{"0%", "50%", "90%", "99%", "99.9%"}) {
		t.Errorf("labels up to x = 2000: %v", labels)
	}
}

func TestNiceTicks(t *testing.T) {
	tests := []struct {
		lo, hi  float64
		target  int
		integer bool
		want    []string
	}{
		{0, 10, 10, false, []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10"}},
		{0, 3.25, 8, false, []string{"0.0", "0.5", "1.0", "1.5", "2.0", "2.5", "3.0"}},
		{0, 60, 10, false, []string{"0", "10", "20", "30", "40", "50", "60"}},
		{0, 1, 6, true, []string{"0", "1"}},
		{0, 930, 6, false, []string{"0", "200", "400", "600", "800"}},
	}
	for _, tt := range tests {
		var got []string
		for _, tk := range (niceTicks{target: tt.target, integer: tt.integer}).Ticks(tt.lo, tt.hi) {
			if tk.Label != "" {
				got = append(got, tk.Label)
			}
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("ticks %v..%v: %v, want %v", tt.lo, tt.hi, got, tt.want)
		}
	}
}

func TestLogTicks(t *testing.T) {
	labels := func(lo, hi float64) []string {
		var out []string
		for _, tk := range (log10Ticks{logTicks{}}).Ticks(math.Log10(lo), math.Log10(hi)) {
			if tk.Label != "" {
				out = append(out, tk.Label)
			}
		}
		return out
	}
	if got := labels(3, 900); !slices.Equal(got, []string{"5", "10", "20", "50", "100", "200", "500"}) {
		t.Errorf("3..900 ms: %v", got)
	}
	if got := labels(0.05, 2000); !slices.Equal(got, []string{"0.1", "1", "10", "100", "1000"}) {
		t.Errorf("0.05..2000 ms: %v", got)
	}
}

func TestColumnSeries(t *testing.T) {
	rows := []record.Row{
		{Values: map[string]float64{"t_end_s": 1, "a": 5}},
		{Values: map[string]float64{"t_end_s": 2}}, // "a" empty: not measured
		{Values: map[string]float64{"t_end_s": 2.5, "a": math.NaN()}},
		{Values: map[string]float64{"t_end_s": 2.5, "a": 2}},
	}
	if got := column(rows, "a"); !slices.Equal(got, plotter.XYs{{X: 1, Y: 5}, {X: 2.5, Y: 2}}) {
		t.Errorf("column: %v", got)
	}
	if got := logY(plotter.XYs{{X: 1, Y: 100}, {X: 2, Y: 0}}); !slices.Equal(got, plotter.XYs{{X: 1, Y: 2}}) {
		t.Errorf("logY: %v", got)
	}
}

// A variant keeps its colour whatever the plot, fixed by run.json's order
// even when its rows come first in the file.
func TestRunOrderAndColours(t *testing.T) {
	rec := &record.Record{
		Info: record.RunInfo{Windows: []record.WindowInfo{
			{Variant: "cold", Rep: 1}, {Variant: "warm", Rep: 1}, {Variant: "cold", Rep: 2}, {Variant: "idle", Rep: 1},
		}},
		Rows: []record.Row{
			{Variant: "warm", Rep: 1, Values: map[string]float64{"t_end_s": 1}},
			{Variant: "cold", Rep: 2, Values: map[string]float64{"t_end_s": 3}},
			{Variant: "cold", Rep: 1, Values: map[string]float64{"t_end_s": 2}},
		},
	}
	r := newRun(rec)
	if !slices.Equal(r.variants, []string{"cold", "warm", "idle"}) {
		t.Errorf("variants %v", r.variants)
	}
	if r.colors["cold"] != palette[0] || r.colors["warm"] != palette[1] {
		t.Errorf("colours %v", r.colors)
	}
	var got []string
	for _, w := range r.windows {
		got = append(got, w.variant+repList([]int{w.rep}))
	}
	if !slices.Equal(got, []string{"cold1", "cold2", "warm1"}) || r.maxRep != 2 || r.tEnd != 3 {
		t.Errorf("windows %v, max rep %d, end %v", got, r.maxRep, r.tEnd)
	}
	if o := windowOrder(r); o != "cold 1–2, warm 1" {
		t.Errorf("bar order %q", o)
	}
}

func TestRepList(t *testing.T) {
	for _, tt := range []struct {
		reps []int
		want string
	}{{[]int{1}, "1"}, {[]int{1, 2, 3}, "1–3"}, {[]int{1, 3}, "1, 3"}} {
		if got := repList(tt.reps); got != tt.want {
			t.Errorf("repList(%v) = %q, want %q", tt.reps, got, tt.want)
		}
	}
}

func TestDropBars(t *testing.T) {
	rec := synthRecord(t, synthOpts{seconds: 3, reps: 1, rate: 100})
	r := newRun(rec)
	bars, causes := r.dropBarsOf()
	slices.Sort(causes)
	// cold drops in seconds 0, 1 and 2; warm never.
	if len(bars) != 3 || !slices.Equal(causes, []collector.DropCause{collector.DropVUs, collector.DropPool, collector.DropTarget}) {
		t.Fatalf("%d bars, causes %v", len(bars), causes)
	}
	first := bars[0]
	if first.x0 <= 0 || first.x1 >= 0.5 || len(first.segs) != 2 || first.segs[0].h != 70 || first.segs[1].h != 10 {
		t.Errorf("cold's first bar: %+v (want the left half of 0..1 s, pool 70/s under VUs 10/s)", first)
	}
	if _, _, _, ymax := bars.DataRange(); ymax != 80 {
		t.Errorf("bars reach %v, want 80", ymax)
	}
}
