package analysis

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
)

// Resamples is the number of bootstrap resamples behind every interval.
const Resamples = 2000

// bootstrapSeed makes every comparison of the same record give the same
// intervals, run after run.
const bootstrapSeed = 0x706f6f6c6c6f6164 // "poolload"

// MinIntervals is the fewest intervals per repetition the interval
// bootstrap accepts: with one or two, resampling can only shuffle the same
// values and would make a single noisy second look like a sure difference.
const MinIntervals = 3

// chooseMethod picks how to resample and says so in words.
func chooseMethod(a, b *sideData) (method, note string) {
	ra, rb := len(a.reps), len(b.reps)
	if ra >= 3 && rb >= 3 {
		note = fmt.Sprintf("bootstrap over repetitions (%d and %d), %d resamples", ra, rb, Resamples)
		if min(ra, rb) < 5 {
			// With n repetitions a resampled median is one of n values, so
			// the interval's ends are the extreme repetitions: at 3 a side it
			// excludes 0 whenever all of one side beat all of the other,
			// which chance alone does one time in ten.
			note += fmt.Sprintf("; with only %d repetitions a side the interval is coarse (at 3, about a 90%% one): "+
				"repeat 5 or more for a sharper one", min(ra, rb))
		}
		return MethodRepetitions, note
	}
	few := min(a.minUnits(), b.minUnits())
	if few < MinIntervals {
		return MethodNone, fmt.Sprintf("none: %d and %d repetitions (fewer than 3) and only %d intervals in a repetition "+
			"(fewer than %d), too few to resample; no difference is called significant", ra, rb, few, MinIntervals)
	}
	return MethodIntervals, fmt.Sprintf("bootstrap over the interval histograms within each repetition "+
		"(%d and %d repetitions, fewer than 3; %d resamples): blind to run-to-run noise, so read it as rough", ra, rb, Resamples)
}

// bootstrap returns, per row, Resamples values of median(B*) − median(A*),
// where A* and B* are drawn independently from each side.
//
// With 3 or more repetitions on both sides (byReps), a resample draws as
// many repetitions as the side has, with replacement, and takes the median
// of their values: the repetitions are the independent units, and the
// spread between them (a noisy machine, process age) is exactly what the
// interval must cover.
//
// With fewer, there are too few repetitions to resample, so the resampling
// goes one level down: within each repetition, draw as many intervals as it
// has, with replacement, merge their histograms and recompute the
// percentiles (counters are summed); the side's value is then the median
// over its repetitions as for the point estimate. Such an interval cannot
// see what varies from run to run (only repetitions show that), so it can
// be narrower than the truth; and it treats a window's seconds as
// exchangeable, which a cold start is not. The method note says so.
//
// The 95% interval is the 2.5th and 97.5th percentiles of these values
// (the percentile bootstrap). Each resample k draws from its own generator
// seeded with (bootstrapSeed, k), so the result does not depend on how the
// resamples are spread over goroutines.
func bootstrap(a, b *sideData, pa, pb [][]float64, byReps bool) [][]float64 {
	diffs := make([][]float64, numRows)
	for i := range diffs {
		diffs[i] = make([]float64, Resamples)
	}
	workers := min(runtime.GOMAXPROCS(0), 8)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ra, rb := newResampler(a, pa, byReps), newResampler(b, pb, byReps)
			for k := w; k < Resamples; k += workers {
				rng := rand.New(rand.NewPCG(bootstrapSeed, uint64(k)))
				ma, mb := ra.medians(rng), rb.medians(rng)
				for row := range numRows {
					diffs[row][k] = mb[row] - ma[row]
				}
			}
		}()
	}
	wg.Wait()
	return diffs
}

// resampler holds one goroutine's scratch space for one side.
type resampler struct {
	sd     *sideData
	point  [][]float64
	byReps bool
	acc    []int64
	draw   []int
	vals   [][]float64 // per drawn repetition, per row
	col    []float64
	out    []float64
}

func newResampler(sd *sideData, point [][]float64, byReps bool) *resampler {
	r := &resampler{sd: sd, point: point, byReps: byReps, acc: make([]int64, sd.accLen()),
		vals: make([][]float64, len(sd.reps)), col: make([]float64, len(sd.reps)), out: make([]float64, numRows)}
	for i := range r.vals {
		r.vals[i] = make([]float64, numRows)
	}
	return r
}

// medians draws one resample of the side and returns its per-row medians.
func (r *resampler) medians(rng *rand.Rand) []float64 {
	n := len(r.sd.reps)
	for i := range n {
		if r.byReps {
			copy(r.vals[i], r.point[rng.IntN(n)])
			continue
		}
		d := r.sd.reps[i]
		r.draw = r.draw[:0]
		for range d.n {
			r.draw = append(r.draw, rng.IntN(d.n))
		}
		d.stats(r.draw, r.acc, r.vals[i])
	}
	for row := range numRows {
		nan := false
		for i := range n {
			r.col[i] = r.vals[i][row]
			nan = nan || math.IsNaN(r.col[i])
		}
		r.out[row] = medianInPlace(r.col)
		if nan {
			r.out[row] = math.NaN() // a repetition without samples: no median
		}
	}
	return r.out
}

func medianInPlace(s []float64) float64 {
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// percentileCI is the 95% percentile-bootstrap interval of ds, interpolating
// between order statistics. A resample in which a side had no samples of
// the metric at all (it drew only intervals where nothing finished) has no
// value and is left out rather than counted as 0 ms.
func percentileCI(ds []float64) (lo, hi float64) {
	ds = slices.DeleteFunc(ds, math.IsNaN)
	if len(ds) == 0 {
		return 0, 0
	}
	slices.Sort(ds)
	return quantileSorted(ds, 0.025), quantileSorted(ds, 0.975)
}

func quantileSorted(s []float64, p float64) float64 {
	if len(s) == 0 {
		return math.NaN()
	}
	x := p * float64(len(s)-1)
	i := int(x)
	if i+1 >= len(s) {
		return s[len(s)-1]
	}
	return s[i] + (x-float64(i))*(s[i+1]-s[i])
}
