package analysis

import (
	"math"
	"slices"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/poolload/poolload/collector"
)

// spectrum holds a window's interval histograms of one metric in sparse
// form: the union of their non-empty buckets, and each interval's counts on
// that union. Bootstrapping merges thousands of multisets of intervals; a
// record histogram has ~40k buckets, of which an interval uses a few
// hundred, so adding short sparse vectors is what keeps that fast.
type spectrum struct {
	values []int64   // bucket values (the histogram's highest equivalent value), ascending
	idx    [][]int32 // per interval: indices into values
	cnt    [][]int64 // per interval: counts at those indices
	n      []int64   // per interval: total count
}

// newSpectrum builds the spectrum of hs (nil entries are empty intervals).
func newSpectrum(hs []*hdr.Histogram) *spectrum {
	s := &spectrum{idx: make([][]int32, len(hs)), cnt: make([][]int64, len(hs)), n: make([]int64, len(hs))}
	vals := make([][]int64, len(hs))
	seen := map[int64]bool{}
	for i, h := range hs {
		if h == nil {
			continue
		}
		vals[i], s.cnt[i] = sparse(h)
		for _, v := range vals[i] {
			if !seen[v] {
				seen[v] = true
				s.values = append(s.values, v)
			}
		}
	}
	slices.Sort(s.values)
	pos := make(map[int64]int32, len(s.values))
	for i, v := range s.values {
		pos[v] = int32(i)
	}
	for i, vs := range vals {
		for k, v := range vs {
			s.idx[i] = append(s.idx[i], pos[v])
			s.n[i] += s.cnt[i][k]
		}
	}
	return s
}

// sparse returns the non-empty buckets of h, ascending: each bucket's
// highest equivalent value (what ValueAtQuantile reports) and its count.
// For the record's geometry it reads the exported counts directly, ten
// times faster than h.Distribution(), which allocates a bar for every
// bucket below the maximum; TestSparseMatchesDistribution holds the two
// together.
func sparse(h *hdr.Histogram) (vals, counts []int64) {
	snap := h.Export()
	if snap.LowestTrackableValue != collector.HistLowest || snap.SignificantFigures != collector.HistSigFigs {
		for _, b := range h.Distribution() {
			if b.Count > 0 {
				vals, counts = append(vals, b.To), append(counts, b.Count)
			}
		}
		return vals, counts
	}
	for idx, c := range snap.Counts {
		if c > 0 {
			vals, counts = append(vals, highestAt(idx)), append(counts, c)
		}
	}
	return vals, counts
}

// highestAt is hdrhistogram-go's value at a flat counts index, for lowest
// value 1 and 3 significant digits (sub-buckets of 2048, unit magnitude 0):
// the bucket's lowest value plus its width, less one.
func highestAt(idx int) int64 {
	const halfMag, half = 10, 1 << 10
	bucket := idx>>halfMag - 1
	sub := idx&(half-1) + half
	if bucket < 0 {
		sub -= half
		bucket = 0
	}
	return int64(sub)<<bucket + 1<<bucket - 1
}

// merge adds the drawn intervals (an interval may be drawn more than once)
// into acc, which must be zero and len(s.values) long, and returns the
// total count.
func (s *spectrum) merge(draw []int, acc []int64) int64 {
	var total int64
	for _, i := range draw {
		for k, j := range s.idx[i] {
			acc[j] += s.cnt[i][k]
		}
		total += s.n[i]
	}
	return total
}

// quantiles writes into out the values (ns) at the percentiles qs (ascending,
// 100 = max) of the merged counts acc, with hdrhistogram-go's nearest-rank
// rule so that a full draw gives exactly what ValueAtQuantile gives, or NaN
// when acc is empty. It zeroes acc for the next use.
func (s *spectrum) quantiles(acc []int64, total int64, qs []float64, out []float64) {
	k := 0
	var cum int64
	for j := range acc {
		cum += acc[j]
		for k < len(qs) && total > 0 && cum >= percentileRank(qs[k], total) {
			out[k] = float64(s.values[j])
			k++
		}
		acc[j] = 0
	}
	for ; k < len(qs); k++ {
		out[k] = math.NaN() // no samples
	}
}

// percentileRank is hdrhistogram-go's rank of percentile q among total
// values: nearest rank, at least 1, at most total.
func percentileRank(q float64, total int64) int64 {
	rank := (min(q, 100)/100)*float64(total) + 0.5
	if !(rank >= 1) {
		return 1
	}
	if rank >= float64(total) {
		return total
	}
	return int64(rank)
}
