package record

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/poolload/poolload/collector"
	"github.com/poolload/poolload/driver"
)

// recordSome records n iterations with known timings into r.
func recordSome(r *collector.Recorder, n int, rng *rand.Rand) {
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
	rec := collector.NewRecorder(3)
	rng := rand.New(rand.NewPCG(3, 4))
	mem := map[collector.Metric]*collector.Interval{}
	totals := [collector.NumMetrics]int64{}
	var all [collector.NumMetrics][]*collector.Interval
	for sec := range 3 {
		recordSome(rec, 1000*(sec+1), rng)
		rec.Drop(collector.DropPool, false)
		iv := &collector.Interval{Start: time.Duration(sec) * time.Second, End: time.Duration(sec+1) * time.Second,
			Gauges: []float64{float64(sec)}}
		rec.Drain(iv)
		for m := range collector.NumMetrics {
			totals[m] += iv.Hists[m].TotalCount()
			all[m] = append(all[m], iv)
		}
		mem[collector.Latency] = iv
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
	for m := range collector.NumMetrics {
		got := r.Merged("cold", 1, m)
		want := collector.NewHistogram()
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
	if n := r.Merged("cold", 1, collector.Latency).TotalCount(); n != 6000 {
		t.Errorf("latency count %d, want 6000", n)
	}
	if n := r.Merged("cold", 1, collector.Dial).TotalCount(); n != 600 {
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
