package collector

import (
	"math/bits"
	"sync/atomic"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// The histogram geometry of every metric: 1 ns resolution floor, up to one
// hour, 3 significant digits. Values above the ceiling are clamped to it so
// that an outlier is counted, not lost.
const (
	HistLowest  = 1
	HistHighest = int64(3600e9)
	HistSigFigs = 3
)

// With lowest=1 and 3 significant digits, hdrhistogram-go uses sub-buckets of
// 2048 (half 1024, magnitude 10) and unit magnitude 0. atomicHist reproduces
// its countsIndex so that its counts can be handed to hdr.Import unchanged;
// TestAtomicHistMatchesHdr holds the two together.
const (
	subBucketHalfCountMag = 10
	subBucketHalfCount    = 1 << subBucketHalfCountMag
	subBucketMask         = 2*subBucketHalfCount - 1
)

var countsLen = len(hdr.New(HistLowest, HistHighest, HistSigFigs).Export().Counts)

// atomicHist is an HDR histogram whose buckets are atomic counters, so that
// many VUs can record into it at once without a lock. It has no total count
// or min/max: those are rebuilt from the counts when it is drained.
type atomicHist struct {
	counts []atomic.Int64
}

func newAtomicHist() atomicHist {
	return atomicHist{counts: make([]atomic.Int64, countsLen)}
}

func countsIndex(v int64) int {
	bucket := 64 - bits.LeadingZeros64(uint64(v|subBucketMask)) - (subBucketHalfCountMag + 1)
	sub := v >> uint(bucket)
	return (bucket+1)<<subBucketHalfCountMag + int(sub) - subBucketHalfCount
}

// record adds one value in nanoseconds, clamped to [0, HistHighest].
func (h *atomicHist) record(v int64) {
	if v < 0 {
		v = 0
	} else if v > HistHighest {
		v = HistHighest
	}
	h.counts[countsIndex(v)].Add(1)
}

// drainInto adds the counts into dst and zeroes them. A value recorded while
// draining lands either in this interval or in the next, never in neither.
func (h *atomicHist) drainInto(dst []int64) {
	for i := range h.counts {
		if h.counts[i].Load() != 0 {
			dst[i] += h.counts[i].Swap(0)
		}
	}
}

// importCounts turns summed counts into an hdr.Histogram and zeroes counts.
func importCounts(counts []int64) *hdr.Histogram {
	h := hdr.Import(&hdr.Snapshot{
		LowestTrackableValue:  HistLowest,
		HighestTrackableValue: HistHighest,
		SignificantFigures:    HistSigFigs,
		Counts:                counts,
	})
	clear(counts)
	return h
}

// NewHistogram returns an empty histogram of the record's geometry.
func NewHistogram() *hdr.Histogram { return hdr.New(HistLowest, HistHighest, HistSigFigs) }
