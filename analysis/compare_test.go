package analysis

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/poolload/poolload/analysis/testrecord"
	"github.com/poolload/poolload/record"
)

// Most tests use microseconds: histogram work under the race detector
// grows with the number of buckets below the largest value.
const (
	us = time.Microsecond
	ms = time.Millisecond
)

// open writes a synthetic record and reads it back from disk.
func open(t *testing.T, r testrecord.Record) *record.Record {
	t.Helper()
	dir := t.TempDir()
	if err := testrecord.Write(dir, r); err != nil {
		t.Fatal(err)
	}
	rec, err := record.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// The cold/warm record is read by several tests; writing and reading HDR
// logs is slow under the race detector, so it is made once. The tests only
// read it.
var (
	coldWarmOnce sync.Once
	coldWarmRec  *record.Record
	coldWarmErr  error
)

func sharedColdWarm(t *testing.T) *record.Record {
	t.Helper()
	coldWarmOnce.Do(func() {
		dir, err := os.MkdirTemp("", "poolload-analysis-")
		if err != nil {
			coldWarmErr = err
			return
		}
		defer os.RemoveAll(dir)
		if coldWarmErr = testrecord.Write(dir, coldWarm(3)); coldWarmErr == nil {
			coldWarmRec, coldWarmErr = record.Open(dir)
		}
	})
	if coldWarmErr != nil {
		t.Fatal(coldWarmErr)
	}
	return coldWarmRec
}

// uniform is n iterations spread evenly over [lo, hi] in one second.
func uniform(lo, hi time.Duration, n int) testrecord.Interval {
	return testrecord.Interval{N: n, Latency: testrecord.Spread(lo, hi, n)}
}

// coldWarm is the record of the package tests: each repetition of cold
// is 10× slower than warm for its first 2 of 5 seconds (5–10 ms against
// 0.5–1 ms), then equal. Repetition r shifts every value by r×50µs so that
// repetitions differ.
func coldWarm(reps int) testrecord.Record {
	var ws []testrecord.Window
	for rep := 1; rep <= reps; rep++ {
		d := time.Duration(rep) * 50 * us
		fast := uniform(500*us+d, 1*ms+d, 100)
		cold := append(testrecord.Seconds(2, uniform(5*ms+d, 10*ms+d, 100)), testrecord.Seconds(3, fast)...)
		ws = append(ws, testrecord.Window{Variant: "cold", Rep: rep, Intervals: cold},
			testrecord.Window{Variant: "warm", Rep: rep, Prelude: record.Prelude{Prewarmed: 10},
				Intervals: testrecord.Seconds(4, fast)})
	}
	return testrecord.Record{Name: "coldwarm", Windows: ws}
}

func row(t *testing.T, c *Comparison, name string) *CompareRow {
	t.Helper()
	for i := range c.Rows {
		if c.Rows[i].Name() == name {
			return &c.Rows[i]
		}
	}
	t.Fatalf("no row %q", name)
	return nil
}

func near(got, want, rel float64) bool { return math.Abs(got-want) <= rel*math.Abs(want) }

func TestCompareColdWarmMediansAndRatio(t *testing.T) {
	t.Parallel()
	rec := sharedColdWarm(t)
	a, b, err := DefaultPair(rec)
	if err != nil || a != "cold" || b != "warm" {
		t.Fatalf("pair %q %q %v", a, b, err)
	}
	c, err := CompareVariants(rec, a, b)
	if err != nil {
		t.Fatal(err)
	}
	if c.Method != MethodRepetitions || c.Resamples != 2000 {
		t.Errorf("method %q, %d resamples", c.Method, c.Resamples)
	}
	// Cold, rep 2 (the median): 200 slow values (each of 100 twice) and 300
	// fast. p99 is rank 495: the 195th slow value, k = 97 of 0..99.
	wantA := 5 + 5*97.0/99 + 0.1
	// Warm: 400 values, each of 100 four times; rank 396 is k = 98.
	wantB := 0.5 + 0.5*98.0/99 + 0.1
	p99 := row(t, c, "latency p99")
	if !near(p99.MedianA, wantA, 0.002) || !near(p99.MedianB, wantB, 0.002) {
		t.Errorf("p99 medians %v, %v; want %v, %v", p99.MedianA, p99.MedianB, wantA, wantB)
	}
	if p99.Ratio == nil || !near(*p99.Ratio, wantB/wantA, 0.004) {
		t.Errorf("ratio %v, want %v", p99.Ratio, wantB/wantA)
	}
	if p99.Verdict != VerdictLower || p99.CI == nil || p99.CI.High >= 0 {
		t.Errorf("p99: verdict %q, CI %+v; want lower with CI below 0", p99.Verdict, p99.CI)
	}
	if p50 := row(t, c, "latency p50"); len(p50.A) != 3 || p50.A[0] >= p50.A[1] || p50.A[1] >= p50.A[2] {
		t.Errorf("per-rep values %v should rise with the rep's shift", p50.A)
	}
	if r := row(t, c, "conns_opened"); r.Known || r.Verdict != VerdictUnknown {
		t.Errorf("conns_opened without the gauge: %+v", r)
	}
	if r := row(t, c, "dropped"); r.Verdict != VerdictNotSignificant || r.CI.Low != 0 || r.CI.High != 0 {
		t.Errorf("dropped, 0 on both sides: %+v", r)
	}
}

func TestSteadyStateAndPenalty(t *testing.T) {
	t.Parallel()
	rec := sharedColdWarm(t)
	st, err := SteadyState(rec, "cold", "warm")
	if err != nil {
		t.Fatal(err)
	}
	// The windows starting at 0 and 1 hold slow seconds; from 2 on all is
	// like warm (p99 ≈ 1.1 ms, band ±2 ms, the floor).
	if st.Seconds == nil || *st.Seconds != 2 || len(st.Reps) != 3 {
		t.Fatalf("steady after %v, reps %+v; want 2s", st.Seconds, st.Reps)
	}
	// Warm over all reps: 1200 values, rank 1188 is 13th from the top: rep
	// 3's fourth-largest value (each appears 4 times), 0.65 + 0.5×96/99 ms.
	if st.BandMs != SteadyBandAbsMs || !near(st.WarmP99Ms, 0.65+0.5*96.0/99, 0.002) {
		t.Errorf("band %v for warm p99 %v", st.BandMs, st.WarmP99Ms)
	}
	// Rep 2 (the median): two slow seconds of 100 iterations with mean
	// 7.5 + 0.1 ms against a warm mean of 0.75 + 0.1 ms (the mean shift over
	// all reps): 200 × 6.75 ms = 1.35 iteration-s.
	if !near(st.Penalty, 1.35, 0.005) {
		t.Errorf("penalty %v iteration-s, want 1.35", st.Penalty)
	}
}

// spiky is n seconds of 50 iterations at 20 ms, but for second at, where
// 4 of them take 130 ms.
func spiky(n, at int) []testrecord.Interval {
	out := testrecord.Seconds(n, testrecord.Interval{N: 50, Latency: testrecord.Const(20 * ms)})
	out[at].Latency = func(i int) time.Duration {
		if i < 4 {
			return 130 * ms
		}
		return 20 * ms
	}
	return out
}

func TestSteadyStateCases(t *testing.T) {
	t.Parallel()
	flat := func(secs int, d time.Duration) []testrecord.Interval {
		return testrecord.Seconds(secs, testrecord.Interval{N: 50, Latency: testrecord.Const(d)})
	}
	tests := []struct {
		name       string
		cold, warm []testrecord.Interval
		seconds    float64 // -1: never
		ended      string
		band       float64 // ms
		penalty    float64 // iteration-s
	}{
		// The case: p99 falls from 200 ms to 5 ms at second 4. The
		// window starting at 3 still holds a 200 ms second; the one at 4 does
		// not. Penalty: 4 s × 50 × (200 − 5) ms.
		{"falls at second 4", append(flat(4, 200*ms), flat(4, 5*ms)...), flat(4, 5*ms), 4, "", 2.5, 39},
		{"steady from the start", flat(4, 5*ms), flat(4, 5*ms), 0, "", 2.5, 0},
		// Never steady: the sum runs over every interval, 5 × 100 × (75 − 1.5) ms;
		// the band is the 2 ms floor, not 50% of 2 ms.
		{"never, above", testrecord.Seconds(5, uniform(50*ms, 100*ms, 100)), testrecord.Seconds(5, uniform(1*ms, 2*ms, 100)),
			-1, "above", SteadyBandAbsMs, 36.75},
		// Faster than warm throughout is steady: the limit is one-sided.
		{"faster than warm", flat(3, 2*ms), flat(3, 20*ms), 0, "", 10, 0},
		// A target whose p99 swings from second to second anyway: warm has
		// one second in ten with 4 slow iterations of 50 (p99 over the
		// window 20 ms, over a rolling window holding that second 130 ms).
		// Cold does the same two seconds later; measured against warm's
		// p99 alone it would never settle.
		{"as unsteady as warm", spiky(10, 7), spiky(10, 5), 0, "", 110, 0},
		// Drops and errors in the first two seconds: the latency is warm's,
		// but cold is not steady until it stops losing iterations; the
		// 40 dropped and 10 failed are its penalty.
		{"drops at the start", append(testrecord.Seconds(2, testrecord.Interval{N: 50, Latency: testrecord.Const(5 * ms), Dropped: 20, Errors: 5}),
			flat(4, 5*ms)...), flat(6, 5*ms), 2, "", 2.5, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := open(t, testrecord.Record{Windows: []testrecord.Window{
				{Variant: "cold", Rep: 1, Intervals: tc.cold}, {Variant: "warm", Rep: 1, Intervals: tc.warm}}})
			st, err := SteadyState(rec, "cold", "warm")
			if err != nil {
				t.Fatal(err)
			}
			secs := -1.0
			if st.Seconds != nil {
				secs = *st.Seconds
			}
			if secs != tc.seconds || st.Reps[0].Ended != tc.ended || !near(st.BandMs, tc.band, 0.002) {
				t.Errorf("steady %v (%q), band %v; want %v (%q), %v", secs, st.Reps[0].Ended, st.BandMs, tc.seconds, tc.ended, tc.band)
			}
			if math.Abs(st.Penalty-tc.penalty) > 0.002*math.Abs(tc.penalty)+1e-9 {
				t.Errorf("penalty %v iteration-s, want %v", st.Penalty, tc.penalty)
			}
		})
	}
}

// jittered is n seconds of the same uniform distribution, each value
// moved by a seeded random ±5%, so two variants drawn alike differ only by
// chance. The "same distribution" cases hold for these seeds; by design a
// 95% interval misses one time in twenty, so the identical cases are the
// ones that must hold whatever the data.
func jittered(rng *rand.Rand, secs int, lo, hi time.Duration) []testrecord.Interval {
	out := make([]testrecord.Interval, secs)
	for i := range out {
		seed := rng.Uint64()
		base := testrecord.Spread(lo, hi, 200)
		out[i] = testrecord.Interval{N: 200, Latency: func(k int) time.Duration {
			r := rand.New(rand.NewPCG(seed, uint64(k)))
			return time.Duration(float64(base(k)) * (0.95 + 0.1*r.Float64()))
		}}
	}
	return out
}

func TestCompareSignificance(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		reps, secs   int
		aLo, bLo     time.Duration // each side uniform over [lo, 2·lo]
		identical    bool
		method, want string // verdict of latency p99
	}{
		{"identical variants, by reps", 3, 1, 100 * us, 100 * us, true, MethodRepetitions, VerdictNotSignificant},
		{"identical variants, by intervals", 1, 4, 100 * us, 100 * us, true, MethodIntervals, VerdictNotSignificant},
		{"same distribution, by intervals", 1, 6, 100 * us, 100 * us, false, MethodIntervals, VerdictNotSignificant},
		// Five, not three: with three a side, all three of one above all
		// three of the other happens by chance one time in ten.
		{"same distribution, by reps", 5, 1, 100 * us, 100 * us, false, MethodRepetitions, VerdictNotSignificant},
		{"5x slower, by reps", 3, 1, 100 * us, 500 * us, false, MethodRepetitions, VerdictHigher},
		{"5x faster, by intervals", 1, 4, 500 * us, 100 * us, false, MethodIntervals, VerdictLower},
		{"p99 20ms vs 40ms, by intervals", 2, 3, 10 * ms, 20 * ms, false, MethodIntervals, VerdictHigher},
		{"5x but too few intervals", 1, 2, 100 * us, 500 * us, false, MethodNone, VerdictNotSignificant},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(7, 11))
			var ws []testrecord.Window
			for rep := 1; rep <= tc.reps; rep++ {
				a := jittered(rng, tc.secs, tc.aLo, 2*tc.aLo)
				b := jittered(rng, tc.secs, tc.bLo, 2*tc.bLo)
				if tc.identical {
					b = a
				}
				ws = append(ws, testrecord.Window{Variant: "a", Rep: rep, Intervals: a},
					testrecord.Window{Variant: "b", Rep: rep, Intervals: b})
			}
			c, err := CompareVariants(open(t, testrecord.Record{Windows: ws}), "a", "b")
			if err != nil {
				t.Fatal(err)
			}
			if c.Method != tc.method {
				t.Errorf("method %q (%s), want %q", c.Method, c.MethodNote, tc.method)
			}
			for _, name := range []string{"latency p50", "latency p99"} {
				if r := row(t, c, name); r.Verdict != tc.want {
					t.Errorf("%s: %s, CI %+v, medians %v %v; want %s", name, r.Verdict, r.CI, r.MedianA, r.MedianB, tc.want)
				}
			}
			if tc.identical {
				for _, r := range c.Rows {
					if r.Verdict == VerdictHigher || r.Verdict == VerdictLower {
						t.Errorf("identical variants: %s is %s", r.Name(), r.Verdict)
					}
				}
			}
		})
	}
}

func TestConnsOpenedFromTheGauge(t *testing.T) {
	t.Parallel()
	iv := func(opened float64) testrecord.Interval {
		x := uniform(5*ms, 10*ms, 10)
		x.Gauges = []float64{opened}
		return x
	}
	rec := open(t, testrecord.Record{Gauges: []string{"conns_opened"}, Windows: []testrecord.Window{
		{Variant: "cold", Rep: 1, Intervals: []testrecord.Interval{iv(8), iv(2), iv(0), iv(testrecord.NaN)}},
		{Variant: "warm", Rep: 1, Intervals: []testrecord.Interval{iv(0), iv(0), iv(1), iv(0)}},
	}})
	c, err := CompareVariants(rec, "cold", "warm")
	if err != nil {
		t.Fatal(err)
	}
	r := row(t, c, "conns_opened")
	if !r.Known || r.MedianA != 10 || r.MedianB != 1 {
		t.Errorf("conns_opened %+v; want known, 10 and 1", r)
	}
}

func TestSummaryCarriesTheComparison(t *testing.T) {
	t.Parallel()
	s := Summarize(sharedColdWarm(t))
	if s.Comparison == nil || s.Comparison.Steady == nil {
		t.Fatal("no comparison in the summary")
	}
	if _, err := json.Marshal(s); err != nil {
		t.Fatalf("summary.json: %v", err)
	}
	var out strings.Builder
	s.WriteText(&out)
	for _, want := range []string{"COMPARISON  A = cold (3 repetitions), B = warm (3 repetitions)",
		"bootstrap over repetitions (3 and 3), 2000 resamples", "latency p99", "B lower",
		"time to steady state (cold): 2s", "cold-start penalty (cold): 1.35 iteration-s"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, out.String())
		}
	}
}

// The iterations a cold start dropped or failed are its penalty too.
func TestSteadyStatePenaltyCountsLostIterations(t *testing.T) {
	t.Parallel()
	lossy := testrecord.Seconds(2, testrecord.Interval{N: 50, Latency: testrecord.Const(5 * ms), Dropped: 20, Errors: 5})
	cold := append(lossy, testrecord.Seconds(4, testrecord.Interval{N: 50, Latency: testrecord.Const(5 * ms)})...)
	warm := testrecord.Seconds(6, testrecord.Interval{N: 50, Latency: testrecord.Const(5 * ms)})
	rec := open(t, testrecord.Record{Windows: []testrecord.Window{
		{Variant: "cold", Rep: 1, Intervals: cold}, {Variant: "warm", Rep: 1, Intervals: warm}}})
	st, err := SteadyState(rec, "cold", "warm")
	if err != nil {
		t.Fatal(err)
	}
	if st.Dropped != 40 || st.Failed != 10 || st.Reps[0].Dropped != 40 {
		t.Errorf("lost before steady state: %v dropped, %v failed; want 40 and 10", st.Dropped, st.Failed)
	}
	var b strings.Builder
	st.WriteText(&b)
	if !strings.Contains(b.String(), "0 iteration-s + 40 dropped, 10 failed") {
		t.Errorf("text:\n%s", b.String())
	}
}
