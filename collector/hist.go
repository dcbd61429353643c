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
//
// Its ~33 000 counters span a nanosecond to an hour, but an interval's
// values fill a few blocks of them, so each block of blockLen counters has
// a flag that the first value recorded into it raises, and a drain reads
// only the flagged blocks. On a loaded machine (or under the race
// detector) reading every counter of every metric took longer than a
// 250 ms interval.
type atomicHist struct {
	counts []atomic.Int64
	used   []atomic.Uint32 // per block of blockLen counts: recorded into since the last drain
}

const blockShift = subBucketHalfCountMag // a block is one half sub-bucket range: 1024 counts
const blockLen = 1 << blockShift

func newAtomicHist() atomicHist {
	// The flags are read on every record: a cache line of their own, so
	// that no other shard's writes share it.
	const pad = 64 / 4
	n := (countsLen + blockLen - 1) / blockLen
	used := make([]atomic.Uint32, pad+n+pad)
	return atomicHist{counts: make([]atomic.Int64, countsLen), used: used[pad : pad+n : pad+n]}
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
	i := countsIndex(v)
	h.counts[i].Add(1)
	if u := &h.used[i>>blockShift]; u.Load() == 0 { // read-mostly: stored once a drain
		u.Store(1)
	}
}

// drainInto adds the counts into dst and zeroes them. A value recorded while
// draining lands either in this interval or in the next, never in neither:
// a block's flag is lowered before its counts are read, and a writer raises
// it after it counts.
func (h *atomicHist) drainInto(dst []int64) {
	for b := range h.used {
		if h.used[b].Load() == 0 {
			continue
		}
		h.used[b].Store(0)
		lo := b << blockShift
		for i := lo; i < min(lo+blockLen, len(h.counts)); i++ {
			if h.counts[i].Load() != 0 {
				dst[i] += h.counts[i].Swap(0)
			}
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
