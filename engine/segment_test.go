package engine

import (
	"slices"
	"testing"
	"time"
)

// The union of the segments' starts is exactly the whole schedule's, each
// start in one segment only, for constant and ramping schedules and for
// totals that do not divide evenly.
func TestSegmentsPartitionTheSchedule(t *testing.T) {
	scheds := map[string]Schedule{
		"constant 1000/s × 1s": NewConstant(1000, time.Second, time.Second),
		"constant 7/s × 1s":    NewConstant(7, time.Second, time.Second),
		"ramping":              NewRamping(0, time.Second, []Stage{{Target: 300, Duration: 2 * time.Second}, {Target: 0, Duration: time.Second}}),
	}
	for name, whole := range scheds {
		for _, n := range []int{1, 2, 3, 4, 10} {
			var union []time.Duration
			var total int64
			for i := 1; i <= n; i++ {
				seg := Segment{Index: i, Count: n}.Of(whole)
				total += seg.Total()
				var prev time.Duration = -1
				for j := int64(0); ; j++ {
					at, ok := seg.At(j)
					if !ok {
						if j != seg.Total() {
							t.Fatalf("%s %d/%d: At stops at %d, Total %d", name, i, n, j, seg.Total())
						}
						break
					}
					if at < prev {
						t.Fatalf("%s %d/%d: starts go back in time", name, i, n)
					}
					prev = at
					union = append(union, at)
				}
			}
			var want []time.Duration
			for k := int64(0); ; k++ {
				at, ok := whole.At(k)
				if !ok {
					break
				}
				want = append(want, at)
			}
			slices.Sort(union)
			if total != whole.Total() || !slices.Equal(union, want) {
				t.Errorf("%s in %d segments: %d starts (total %d), want the whole's %d", name, n, len(union), total, whole.Total())
			}
		}
	}
}

func TestParseSegment(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Segment
		ok   bool
	}{
		{"2/4", Segment{2, 4}, true},
		{" 1 / 1 ", Segment{1, 1}, true},
		{"0/4", Segment{}, false},
		{"5/4", Segment{}, false},
		{"4", Segment{}, false},
		{"a/b", Segment{}, false},
		{"1/99999", Segment{}, false},
	} {
		got, err := ParseSegment(tc.in)
		if (err == nil) != tc.ok || (tc.ok && got != tc.want) {
			t.Errorf("ParseSegment(%q) = %v, %v", tc.in, got, err)
		}
	}
}

func TestSegmentShare(t *testing.T) {
	sum := 0
	for i := 1; i <= 4; i++ {
		sum += Segment{i, 4}.Share(10)
	}
	if sum != 10 || (Segment{1, 4}).Share(10) != 3 || (Segment{4, 4}).Share(10) != 2 || (Segment{3, 4}).Share(1) != 1 {
		t.Errorf("shares of 10 over 4: sum %d", sum)
	}
}
