package engine

import (
	"context"
	"testing"
	"time"

	"github.com/poolload/poolload/collector"
	"github.com/poolload/poolload/driver"
	"github.com/poolload/poolload/driver/noop"
)

// BenchmarkIteration is the harness's cost per started iteration: the
// scheduler's handoff, the VU's timing and the record path, around a driver
// that does nothing. The schedule is due all at once, so the scheduler runs
// flat out; ticks that find no idle VU are dropped and not counted as ops.
func BenchmarkIteration(b *testing.B) {
	rec := collector.NewRecorder(4)
	w := &Window{Driver: noop.New(noop.Config{}), Recorder: rec, PreVUs: 8, MaxVUs: 8,
		Schedule: NewConstant(1e12, time.Second, time.Duration(b.N)), GracefulStop: time.Second}
	w.Schedule = &fixedCount{n: int64(b.N)}
	b.ReportAllocs()
	w.Start()
	b.ResetTimer()
	w.Run(context.Background())
	b.StopTimer()
	var iv collector.Interval
	rec.Drain(&iv)
	b.ReportMetric(float64(iv.Counts.Iterations)/float64(b.N), "started/op")
}

// fixedCount is a schedule of n iterations all due at t0.
type fixedCount struct{ n int64 }

func (f *fixedCount) At(i int64) (time.Duration, bool) { return 0, i < f.n }
func (f *fixedCount) Total() int64                     { return f.n }
func (f *fixedCount) Duration() time.Duration          { return time.Nanosecond }

var _ driver.Driver = (*noop.Driver)(nil)
