package record

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/poolload/poolload/collector"
	"github.com/poolload/poolload/units"
)

// segSpec describes a small synthetic segment record: one window of two
// 1 s intervals, with gauges read by gauge(name, interval).
type segSpec struct {
	index, count int
	plan         string
	gauges       []string
	gauge        func(name string, i int) float64
}

// writeSegment writes the record of s into a new folder and returns it.
// Every interval holds 10 iterations of 1 ms latency.
func writeSegment(t *testing.T, s segSpec) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "seg")
	t0 := time.Now().Truncate(time.Second)
	info := RunInfo{ID: "seg", Started: t0, Status: StatusRunning, Interval: units.Duration(time.Second),
		Gauges: s.gauges, Scenario: []byte(`{"name":"x"}`),
		Segment: &Segment{Index: s.index, Count: s.count}, PlanHash: s.plan}
	w, err := Create(dir, info)
	if err != nil {
		t.Fatal(err)
	}
	w.Info.Windows = []WindowInfo{{Variant: "cold", Rep: 1, Status: StatusComplete, Start: t0,
		Length: units.Duration(2 * time.Second), Planned: 20, Offered: 10}}
	var total collector.Counts
	for i := range 2 {
		iv := &collector.Interval{Start: time.Duration(i) * time.Second, End: time.Duration(i+1) * time.Second}
		iv.Hists[collector.Latency] = collector.NewHistogram()
		for range 10 {
			_ = iv.Hists[collector.Latency].RecordValue(int64(time.Millisecond))
		}
		iv.Counts.Iterations = 10
		total.Add(&iv.Counts)
		for _, g := range s.gauges {
			iv.Gauges = append(iv.Gauges, s.gauge(g, i))
		}
		if err := w.WriteInterval("cold", 1, t0, iv); err != nil {
			t.Fatal(err)
		}
	}
	w.Info.Windows[0].Totals = TotalsOf(&total)
	if err := w.Close(StatusComplete, nil); err != nil {
		t.Fatal(err)
	}
	return dir
}

// constGauge reads every gauge as v, whatever the interval.
func constGauge(v float64) func(string, int) float64 { return func(string, int) float64 { return v } }

// Merge refuses what is not one load's segments, once each, of one plan,
// and its error names the records at fault.
func TestMergeRefuses(t *testing.T) {
	g := []string{PoolOpen}
	seg := func(i, n int, plan string) segSpec {
		return segSpec{index: i, count: n, plan: plan, gauges: g, gauge: constGauge(1)}
	}
	for _, tc := range []struct {
		name string
		segs []segSpec
		// want are what the error must say; "#k" stands for the k-th
		// record's folder.
		want []string
	}{
		{"different plans", []segSpec{seg(1, 2, "aaaa"), seg(2, 2, "bbbb")},
			[]string{"#1 ran another plan than #0", "plan bbbb, not aaaa", "merge only segments of one scenario"}},
		{"different plans, the odd one first", []segSpec{seg(2, 3, "aaaa"), seg(1, 3, "bbbb"), seg(3, 3, "aaaa")},
			[]string{"#0 ran another plan than #1", "plan aaaa, not bbbb"}},
		{"a segment missing", []segSpec{seg(1, 3, "p"), seg(3, 3, "p")}, []string{"segment 2/3 missing"}},
		{"given twice", []segSpec{seg(1, 2, "p"), seg(1, 2, "p"), seg(2, 2, "p")},
			[]string{"segment 1/2 is given twice: #0 and #1"}},
		{"of different N", []segSpec{seg(1, 2, "p"), seg(2, 3, "p")}, []string{"#1 is segment 2/3", "of 2 segments"}},
		{"different gauges", []segSpec{seg(1, 2, "p"), {index: 2, count: 2, plan: "p", gauges: []string{PoolIdle}, gauge: constGauge(1)}},
			[]string{"#1 and #0 have different gauges or windows"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var dirs []string
			for _, s := range tc.segs {
				dirs = append(dirs, writeSegment(t, s))
			}
			out := filepath.Join(t.TempDir(), "merged")
			_, err := Merge(out, dirs)
			if err == nil {
				t.Fatalf("Merge accepted %d records; want it refused", len(dirs))
			}
			for _, w := range tc.want {
				for k, d := range dirs {
					w = strings.ReplaceAll(w, "#"+string(rune('0'+k)), d)
				}
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Merge: %v\nwant it to say %q", err, w)
				}
			}
			if _, err := os.Stat(out); err == nil {
				t.Error("a refused merge left a record behind")
			}
		})
	}
	if _, err := Merge(filepath.Join(t.TempDir(), "m"), []string{writeEmpty(t)}); err == nil ||
		!strings.Contains(err.Error(), "is not a segment's record") {
		t.Errorf("merging a whole run's record: %v", err)
	}
}

// A client pool's gauges add up over the segments and each segment's own
// reading is kept beside the sum; the server's and the service's, which
// every segment reads from the same place, are taken once, from segment 1;
// a host's CPU share is the busiest generator's.
func TestMergeGauges(t *testing.T) {
	gauges := []string{PoolOpen, ConnsOpened, ThreadsConnected, DBThreadsConnected, SvcPoolOpen,
		PgBackends, HostBusyPct, InstanceColumn(PoolOpen, 1)}
	// Segment k reads a pool gauge as 10k + i in interval i, a shared one
	// as 100k + i (the server moved between the samples), a host share
	// as 30k.
	read := func(k int) func(string, int) float64 {
		return func(name string, i int) float64 {
			switch {
			case name == HostBusyPct:
				return float64(30 * k)
			case Shared(name):
				return float64(100*k + i)
			}
			return float64(10*k + i)
		}
	}
	// Given out of order: segment 1 is the one taken, not the first given.
	var dirs []string
	for _, k := range []int{3, 1, 2} {
		dirs = append(dirs, writeSegment(t, segSpec{index: k, count: 3, plan: "p", gauges: gauges, gauge: read(k)}))
	}
	out := filepath.Join(t.TempDir(), "merged")
	if _, err := Merge(out, dirs); err != nil {
		t.Fatal(err)
	}
	rec, err := Open(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Rows) != 2 {
		t.Fatalf("%d merged rows, want 2", len(rec.Rows))
	}
	for i, row := range rec.Rows {
		want := map[string]float64{
			PoolOpen:    float64(10+20+30) + 3*float64(i), // summed
			ConnsOpened: float64(10+20+30) + 3*float64(i),
			HostBusyPct: 90, // the busiest
			// a fleet's instance column is a generator's own: summed
			InstanceColumn(PoolOpen, 1): float64(60 + 3*i),
		}
		for _, g := range []string{ThreadsConnected, DBThreadsConnected, SvcPoolOpen, PgBackends} {
			want[g] = float64(100 + i) // segment 1's, once
		}
		for k := 1; k <= 3; k++ {
			want[PoolOpen+SegmentSuffix(k)] = float64(10*k + i)
			want[ConnsOpened+SegmentSuffix(k)] = float64(10*k + i)
		}
		for name, w := range want {
			if v, ok := row.Values[name]; !ok || v != w {
				t.Errorf("interval %d: %s = %v (present %v), want %v", i, name, v, ok, w)
			}
		}
		if row.Values[Iterations] != 30 {
			t.Errorf("interval %d: %v iterations, want 3 × 10", i, row.Values[Iterations])
		}
	}
	// Only a generator's own gauges get a column per segment: the
	// server's is one reading, and a fleet's instance column has one.
	for _, g := range rec.Info.Gauges {
		base, _, per := strings.Cut(g, "@seg")
		if per && (Shared(base) || strings.Contains(base, "@")) {
			t.Errorf("the merged record has a per-segment column %s of a gauge that is not a segment's own", g)
		}
	}
	for k := 1; k <= 3; k++ {
		if !slices.Contains(rec.Info.Gauges, PoolOpen+SegmentSuffix(k)) {
			t.Errorf("no %s among %v", PoolOpen+SegmentSuffix(k), rec.Info.Gauges)
		}
	}
	if n := rec.Merged("cold", 1, collector.Latency).TotalCount(); n != 60 {
		t.Errorf("merged latency histogram holds %d values, want 60", n)
	}
}

// A segment's histogram that does not decode fails the merge naming the
// file and line; merge decodes each only when it adds the interval.
func TestMergeNamesAHistogramThatDoesNotDecode(t *testing.T) {
	var dirs []string
	for k := 1; k <= 2; k++ {
		dirs = append(dirs, writeSegment(t, segSpec{index: k, count: 2, plan: "p"}))
	}
	path := filepath.Join(dirs[1], HlogFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(b), ",HISTF", ",HISTX", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Merge(filepath.Join(t.TempDir(), "merged"), dirs)
	if err == nil || !strings.Contains(err.Error(), path+":") || !strings.Contains(err.Error(), "does not decode") {
		t.Fatalf("Merge: %v; want an error naming %s and its line", err, path)
	}
}
