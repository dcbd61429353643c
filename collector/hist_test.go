package collector

import (
	"math/rand/v2"
	"testing"
)

func TestAtomicHistMatchesHdr(t *testing.T) {
	ref := NewHistogram()
	h := newAtomicHist()
	r := rand.New(rand.NewPCG(1, 2))
	vals := []int64{0, 1, 2, 1023, 1024, 2047, 2048, 2049, 4095, 4096, 1e6, 20e6, 1e9, HistHighest}
	for range 20000 {
		vals = append(vals, r.Int64N(1<<uint(r.IntN(42))))
	}
	for _, v := range vals {
		if err := ref.RecordValue(v); err != nil {
			t.Fatalf("reference refused %d: %v", v, err)
		}
		h.record(v)
	}
	counts := make([]int64, countsLen)
	h.drainInto(counts)
	got := importCounts(counts)
	if !got.Equals(ref) {
		t.Fatalf("atomic histogram differs from hdrhistogram-go: total %d vs %d, p99 %d vs %d",
			got.TotalCount(), ref.TotalCount(), got.ValueAtQuantile(99), ref.ValueAtQuantile(99))
	}
	for _, c := range counts {
		if c != 0 {
			t.Fatal("importCounts must zero the buffer")
		}
	}
	h.drainInto(counts)
	if importCounts(counts).TotalCount() != 0 {
		t.Fatal("drain must zero the atomic counts")
	}
}

func TestAtomicHistClamps(t *testing.T) {
	h := newAtomicHist()
	h.record(-5)
	h.record(HistHighest * 10)
	counts := make([]int64, countsLen)
	h.drainInto(counts)
	got := importCounts(counts)
	if got.TotalCount() != 2 || got.Min() != 0 || !got.ValuesAreEquivalent(got.Max(), HistHighest) {
		t.Fatalf("clamping: total=%d min=%d max=%d", got.TotalCount(), got.Min(), got.Max())
	}
}
