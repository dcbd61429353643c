package collector

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/poolload/poolload/driver"
)

// BenchmarkRecord is the record path of one iteration: every metric into the
// sharded atomic histograms, from as many goroutines as there are cores.
func BenchmarkRecord(b *testing.B) {
	rec := NewRecorder(4)
	var vu atomic.Uint32
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		t := driver.Trace{VU: vu.Add(1), Blocked: 3 * time.Microsecond, Wait: 800 * time.Microsecond}
		for pb.Next() {
			rec.Record(&t, 20*time.Microsecond, time.Millisecond)
		}
	})
}

// BenchmarkDrain is the interval tick's cost: draining every shard of every
// metric into hdr histograms.
func BenchmarkDrain(b *testing.B) {
	rec := NewRecorder(4)
	t := driver.Trace{VU: 1, Wait: time.Millisecond}
	var iv Interval
	for b.Loop() {
		rec.Record(&t, 0, time.Millisecond)
		rec.Drain(&iv)
	}
}
