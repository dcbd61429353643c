package analysis

import (
	"math"
	"math/rand/v2"
	"testing"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/poolload/poolload/collector"
)

func randomHist(rng *rand.Rand, n int) *hdr.Histogram {
	h := collector.NewHistogram()
	for range n {
		// Log-uniform from 1 ns to ~100 s, to cross every bucket size.
		_ = h.RecordValue(int64(1) << rng.IntN(37) * int64(1+rng.IntN(999)) / 1000)
	}
	return h
}

func TestSparseMatchesDistribution(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	h := randomHist(rng, 5000)
	vals, counts := sparse(h)
	var wantV, wantC []int64
	for _, b := range h.Distribution() {
		if b.Count > 0 {
			wantV, wantC = append(wantV, b.To), append(wantC, b.Count)
		}
	}
	if len(vals) != len(wantV) {
		t.Fatalf("%d buckets, Distribution has %d", len(vals), len(wantV))
	}
	for i := range vals {
		if vals[i] != wantV[i] || counts[i] != wantC[i] {
			t.Fatalf("bucket %d: %d×%d, Distribution %d×%d", i, counts[i], vals[i], wantC[i], wantV[i])
		}
	}
}

// A full draw of a spectrum must give exactly what the merged histogram
// gives, so that point estimates and bootstrap agree.
func TestSpectrumQuantilesMatchHdr(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	hs := []*hdr.Histogram{randomHist(rng, 300), nil, randomHist(rng, 1), randomHist(rng, 2000)}
	merged := collector.NewHistogram()
	for _, h := range hs {
		if h != nil {
			merged.Merge(h)
		}
	}
	s := newSpectrum(hs)
	qs := []float64{0.1, 50, 90, 99, 99.9, 100}
	out := make([]float64, len(qs))
	acc := make([]int64, len(s.values))
	s.quantiles(acc, s.merge([]int{0, 1, 2, 3}, acc), qs, out)
	for i, q := range qs {
		if want := float64(merged.ValueAtQuantile(q)); out[i] != want {
			t.Errorf("p%v: %v, hdr %v", q, out[i], want)
		}
	}
	if out[len(qs)-1] != float64(merged.Max()) {
		t.Errorf("max %v, hdr %v", out[len(qs)-1], merged.Max())
	}
	s.quantiles(acc, s.merge([]int{1}, acc), qs, out)
	for _, v := range out {
		if !math.IsNaN(v) {
			t.Errorf("an empty draw gave %v, want NaN", out)
			break
		}
	}
}
