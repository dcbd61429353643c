package collector

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/poolload/poolload/driver"
)

// recordSome records n iterations with known timings into r.
func recordSome(r *Recorder, n int, rng *rand.Rand) {
	var t driver.Trace
	for i := range n {
		t.VU = uint32(i % 7)
		t.Reset(uint64(i))
		t.Wait = time.Duration(rng.Int64N(int64(50 * time.Millisecond)))
		t.Blocked = time.Duration(rng.Int64N(int64(time.Millisecond)))
		if i%10 == 0 {
			t.Connecting = t.Blocked / 2
			t.Dial = t.Connecting / 2
		}
		if i%100 == 0 {
			t.Fail(driver.ClassBadConnection, errors.New("invalid connection"))
		}
		r.Record(&t, time.Duration(rng.Int64N(int64(time.Millisecond))), t.Blocked+t.Wait)
	}
}

func TestRecordRoundTrip(t *testing.T) {
	dir := t.TempDir()
	start := time.Now()
	w, err := Create(dir, RunInfo{ID: "test", Version: "dev", Started: start, Status: StatusRunning,
		Gauges: []string{"pool_open"}, Scenario: []byte(`{"name":"x"}`)})
	if err != nil {
		t.Fatal(err)
	}
	rec := NewRecorder(3)
	rng := rand.New(rand.NewPCG(3, 4))
	mem := map[Metric]*Interval{}
	totals := [NumMetrics]int64{}
	var all [NumMetrics][]*Interval
	for sec := range 3 {
		recordSome(rec, 1000*(sec+1), rng)
		rec.Drop(DropPool)
		iv := &Interval{Start: time.Duration(sec) * time.Second, End: time.Duration(sec+1) * time.Second,
			Gauges: []float64{float64(sec)}}
		rec.Drain(iv)
		for m := range NumMetrics {
			totals[m] += iv.Hists[m].TotalCount()
			all[m] = append(all[m], iv)
		}
		mem[Latency] = iv
		if err := w.WriteInterval("cold", 1, start, iv); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, HlogFile)); err == nil {
		t.Fatal("metrics.hlog must not exist under its final name before Close")
	}
	if err := w.Close(StatusComplete, nil); err != nil {
		t.Fatal(err)
	}

	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if r.Info.Status != StatusComplete || r.Info.ID != "test" {
		t.Errorf("run.json: %+v", r.Info)
	}
	for m := range NumMetrics {
		got := r.Merged("cold", 1, m)
		want := NewHistogram()
		for _, iv := range all[m] {
			want.Merge(iv.Hists[m])
		}
		if got.TotalCount() != want.TotalCount() || got.TotalCount() != totals[m] {
			t.Errorf("%v: read back %d values, recorded %d", m, got.TotalCount(), want.TotalCount())
		}
		for _, q := range []float64{50, 90, 99, 99.9, 100} {
			if got.ValueAtQuantile(q) != want.ValueAtQuantile(q) {
				t.Errorf("%v p%v: read back %d, in memory %d", m, q, got.ValueAtQuantile(q), want.ValueAtQuantile(q))
			}
		}
	}
	if n := r.Merged("cold", 1, Latency).TotalCount(); n != 6000 {
		t.Errorf("latency count %d, want 6000", n)
	}
	if n := r.Merged("cold", 1, Dial).TotalCount(); n != 600 {
		t.Errorf("dial recorded for %d iterations, want the 600 that connected", n)
	}
	rows := r.Series("cold", 1)
	if len(rows) != 3 || rows[2].Values["iterations"] != 3000 || rows[2].Values["dropped_pool"] != 1 ||
		rows[1].Values["pool_open"] != 1 || rows[0].Values["errors_bad_connection"] != 10 {
		t.Errorf("time series rows: %+v", rows)
	}
	if ex := rec.Examples()["bad_connection"]; ex != "invalid connection" {
		t.Errorf("error example %q", ex)
	}
}

func TestRecorderRecordAllocatesNothing(t *testing.T) {
	rec := NewRecorder(2)
	tr := driver.Trace{VU: 1, Wait: time.Millisecond, Connecting: time.Microsecond}
	allocs := testing.AllocsPerRun(1000, func() {
		rec.Record(&tr, time.Microsecond, 2*time.Millisecond)
	})
	if allocs != 0 {
		t.Fatalf("Record allocates %v times per call", allocs)
	}
}

// TestDrainKeepsIterationsWhole drains while many goroutines record: every
// interval's histograms must hold exactly the iterations its counter says.
func TestDrainKeepsIterationsWhole(t *testing.T) {
	rec := NewRecorder(2)
	stop := make(chan struct{})
	done := make(chan struct{})
	for g := range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			tr := driver.Trace{VU: uint32(g), Wait: time.Millisecond, Connecting: time.Microsecond}
			for {
				select {
				case <-stop:
					return
				default:
					rec.Record(&tr, time.Microsecond, time.Millisecond)
				}
			}
		}()
	}
	check := func(iv *Interval) {
		for m := range NumMetrics {
			if n := iv.Hists[m].TotalCount(); n != iv.Counts.Iterations {
				t.Fatalf("%v holds %d values for %d iterations", Metric(m), n, iv.Counts.Iterations)
			}
		}
	}
	var total int64
	for range 20 {
		time.Sleep(5 * time.Millisecond)
		var iv Interval
		rec.Drain(&iv)
		check(&iv)
		total += iv.Counts.Iterations
	}
	close(stop)
	for range 4 {
		<-done
	}
	var iv Interval
	rec.Drain(&iv)
	check(&iv)
	if total+iv.Counts.Iterations == 0 {
		t.Fatal("nothing recorded")
	}
}
