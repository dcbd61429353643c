package engine

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Segment is one share of a load split over several generators: segment
// Index of Count plays iteration k of every window when k mod Count is
// Index−1. Each share keeps its arrivals evenly spaced (every Count-th
// start of the whole), and the union of all shares is exactly the
// one-process schedule. The zero value and 1/1 are the whole load.
type Segment struct {
	Index, Count int // 1 ≤ Index ≤ Count
}

// ParseSegment reads "i/N".
func ParseSegment(s string) (Segment, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(strings.TrimSpace(a))
	n, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil {
		return Segment{}, fmt.Errorf("segment %q: want i/N, e.g. 2/4", s)
	}
	if n < 1 || n > MaxSegments || i < 1 || i > n {
		return Segment{}, fmt.Errorf("segment %q: want 1 ≤ i ≤ N ≤ %d", s, MaxSegments)
	}
	return Segment{Index: i, Count: n}, nil
}

// MaxSegments bounds N: far beyond any fleet of generators, and small
// enough that a share of a window is never empty by accident of typing.
const MaxSegments = 1024

// Whole reports whether the segment is the entire load.
func (s Segment) Whole() bool { return s.Count <= 1 }

// First reports whether this segment runs what only one may (a service's
// restarts, a target's setup and teardown).
func (s Segment) First() bool { return s.Whole() || s.Index == 1 }

func (s Segment) String() string {
	if s.Whole() {
		return "1/1"
	}
	return strconv.Itoa(s.Index) + "/" + strconv.Itoa(s.Count)
}

// Of returns the segment's share of sched.
func (s Segment) Of(sched Schedule) Schedule {
	if s.Whole() {
		return sched
	}
	return &segmented{inner: sched, i: int64(s.Index - 1), n: int64(s.Count)}
}

// Share is this segment's part of n (VUs): the parts of all segments add
// up to n, the first n mod Count segments taking one more; at least 1.
func (s Segment) Share(n int) int {
	if s.Whole() || n <= 0 {
		return n
	}
	q, r := n/s.Count, n%s.Count
	if s.Index <= r {
		q++
	}
	return max(q, 1)
}

// segmented is every n-th iteration of inner from i.
type segmented struct {
	inner Schedule
	i, n  int64
}

func (g *segmented) At(j int64) (time.Duration, bool) {
	if j < 0 {
		return 0, false
	}
	return g.inner.At(j*g.n + g.i)
}

func (g *segmented) Total() int64 {
	t := g.inner.Total()
	if t <= g.i {
		return 0
	}
	return (t-g.i-1)/g.n + 1
}

func (g *segmented) Duration() time.Duration { return g.inner.Duration() }
