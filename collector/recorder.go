package collector

import (
	"runtime"
	"sync/atomic"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/poolload/poolload/driver"
	"github.com/poolload/poolload/redact"
)

// Counts are the counters of one interval (or of a whole window, summed).
type Counts struct {
	Iterations int64                    `json:"iterations"`
	Errors     [driver.NumClasses]int64 `json:"-"`
	Dropped    [NumDropCauses]int64     `json:"-"`
	// DroppedGrowing counts the drops, whatever their cause, that came
	// while VUs were still being allocated: allocation contributed.
	DroppedGrowing int64 `json:"-"`
	Interrupted    int64 `json:"interrupted"`
}

// Add adds o into c.
func (c *Counts) Add(o *Counts) {
	c.Iterations += o.Iterations
	c.Interrupted += o.Interrupted
	c.DroppedGrowing += o.DroppedGrowing
	for i := range c.Errors {
		c.Errors[i] += o.Errors[i]
	}
	for i := range c.Dropped {
		c.Dropped[i] += o.Dropped[i]
	}
}

// ErrorTotal is the number of failed iterations.
func (c *Counts) ErrorTotal() int64 {
	var n int64
	for _, e := range c.Errors[1:] {
		n += e
	}
	return n
}

// DroppedTotal is the number of dropped iterations.
func (c *Counts) DroppedTotal() int64 {
	var n int64
	for _, d := range c.Dropped {
		n += d
	}
	return n
}

// Interval is what one interval tick drains from the Recorder, plus the
// gauges sampled at that tick.
type Interval struct {
	Start, End time.Duration // offsets from the window's t0
	Hists      [NumMetrics]*hdr.Histogram
	Counts     Counts
	VUsBusy    int
	VUsAlloc   int
	Gauges     []float64
}

// bucket holds one phase of a shard's recordings: every metric and the
// per-iteration counters, so that an iteration lands whole in one interval.
type bucket struct {
	hists       [NumMetrics]atomicHist
	iterations  atomic.Int64
	interrupted atomic.Int64
	errors      [driver.NumClasses]atomic.Int64
}

// shard is recorded into by the VUs whose number maps to it. It has two
// buckets: VUs record into the active one while the interval tick drains
// the other. Everything is atomic, so a shard needs no lock even when two
// of its VUs record at once; sharding only keeps cores off each other's
// cache lines.
//
// The flip is a small writer-reader phaser. A writer announces itself in
// inflight[i] for the bucket i it read as active, then re-reads active: if
// it changed, the writer backs out and retries, so no writer enters a
// bucket after the flip. The reader flips active, then waits for
// inflight[old] to reach zero, after which old is its alone.
type shard struct {
	active   atomic.Int32
	inflight [2]atomic.Int64
	buckets  [2]*bucket
	_        [64]byte
}

func (s *shard) enter() (*bucket, *atomic.Int64) {
	for {
		i := s.active.Load()
		s.inflight[i].Add(1)
		if s.active.Load() == i {
			return s.buckets[i], &s.inflight[i]
		}
		s.inflight[i].Add(-1)
	}
}

// flip makes the other bucket active and returns the old one once no
// writer is left in it.
func (s *shard) flip() *bucket {
	old := s.active.Load()
	s.active.Store(1 - old)
	for s.inflight[old].Load() != 0 {
		runtime.Gosched() // a writer is between two atomic adds: nanoseconds
	}
	return s.buckets[old]
}

// Recorder takes every iteration's timings from the VUs. Record, Interrupt
// and Drop are safe for concurrent use and allocate nothing; Drain is called
// by one goroutine on the interval tick.
type Recorder struct {
	shards   []*shard
	dropped  [NumDropCauses]atomic.Int64
	growing  atomic.Int64
	examples [driver.NumClasses]atomic.Pointer[string]
	scratch  []int64
	// idle holds a token while no interval is frozen: Flip takes it and
	// Collect gives it back, because the next Flip reuses the buckets.
	idle chan struct{}
}

// NewRecorder returns a Recorder with n shards (at least 1).
func NewRecorder(n int) *Recorder {
	if n < 1 {
		n = 1
	}
	r := &Recorder{shards: make([]*shard, n), scratch: make([]int64, countsLen), idle: make(chan struct{}, 1)}
	r.idle <- struct{}{}
	for i := range r.shards {
		s := &shard{}
		for b := range s.buckets {
			s.buckets[b] = &bucket{}
			for m := range s.buckets[b].hists {
				s.buckets[b].hists[m] = newAtomicHist()
			}
		}
		r.shards[i] = s
	}
	return r
}

// Record adds one finished iteration: its schedule lag and service time
// (latency is their sum) and what the driver put in t.
func (r *Recorder) Record(t *driver.Trace, lag, service time.Duration) {
	b, inflight := r.shards[int(t.VU)%len(r.shards)].enter()
	b.hists[Latency].record(int64(lag + service))
	b.hists[Service].record(int64(service))
	b.hists[ScheduleLag].record(int64(lag))
	b.hists[Blocked].record(int64(t.Blocked))
	b.hists[Connecting].record(int64(t.Connecting))
	if t.Connecting > 0 {
		b.hists[DNS].record(int64(t.DNS))
		b.hists[Dial].record(int64(t.Dial))
		b.hists[Handshake].record(int64(t.Handshake))
		if t.TLS > 0 {
			b.hists[TLS].record(int64(t.TLS))
		}
	}
	b.hists[Wait].record(int64(t.Wait))
	b.hists[Receiving].record(int64(t.Receiving))
	b.hists[Sending].record(int64(t.Sending))
	b.iterations.Add(1)
	if t.Class != driver.ClassNone {
		b.errors[t.Class].Add(1)
	}
	inflight.Add(-1)
	if t.Class != driver.ClassNone && r.examples[t.Class].Load() == nil && t.Err != nil {
		// The example goes to stdout, run.json and summary.json; a
		// driver's error may quote a URL with its secrets (net/http's
		// do). Redacting here, once per class and window, covers every
		// driver and everything downstream.
		msg := redact.Text(t.Err.Error())
		r.examples[t.Class].CompareAndSwap(nil, &msg)
	}
}

// Interrupt counts an iteration cut off by the end of the run; its timings
// are not recorded because it never finished.
func (r *Recorder) Interrupt(vu uint32) {
	b, inflight := r.shards[int(vu)%len(r.shards)].enter()
	b.interrupted.Add(1)
	inflight.Add(-1)
}

// Drop counts a tick that found no free VU, charged to c; growing says VUs
// were still being allocated at the time.
func (r *Recorder) Drop(c DropCause, growing bool) {
	r.dropped[c].Add(1)
	if growing {
		r.growing.Add(1)
	}
}

// Drain moves everything recorded since the last Drain into iv (histograms
// and counters; gauges are the caller's). Every iteration recorded before
// Drain is in iv whole, or (if it raced with the flip) in the next one
// whole, never split across the two.
func (r *Recorder) Drain(iv *Interval) { r.Flip().Collect(iv) }

// Frozen is an interval that Flip ended: what it recorded, waiting to be
// collected.
type Frozen struct {
	r       *Recorder
	old     []*bucket
	dropped [NumDropCauses]int64
	growing int64
}

// Flip ends an interval at once: what is recorded from now on counts in
// the next one. Reading the ended interval's histograms is the slow part
// of an interval tick, so it is left to Collect, which may run on another
// goroutine; the next Flip waits for it, because it reuses the buckets.
// Every Flip must be followed by exactly one Collect.
func (r *Recorder) Flip() *Frozen {
	<-r.idle
	f := &Frozen{r: r, old: make([]*bucket, len(r.shards))}
	for i, s := range r.shards {
		f.old[i] = s.flip()
	}
	for c := range r.dropped {
		f.dropped[c] = r.dropped[c].Swap(0)
	}
	f.growing = r.growing.Swap(0)
	return f
}

// Collect moves the frozen interval's histograms and counters into iv and
// gives the buckets back to the Recorder.
func (f *Frozen) Collect(iv *Interval) {
	r := f.r
	defer func() { r.idle <- struct{}{} }()
	for m := range NumMetrics {
		for _, b := range f.old {
			b.hists[m].drainInto(r.scratch)
		}
		iv.Hists[m] = importCounts(r.scratch)
	}
	iv.Counts = Counts{Dropped: f.dropped, DroppedGrowing: f.growing}
	for _, b := range f.old {
		iv.Counts.Iterations += b.iterations.Swap(0)
		iv.Counts.Interrupted += b.interrupted.Swap(0)
		for c := range b.errors {
			iv.Counts.Errors[c] += b.errors[c].Swap(0)
		}
	}
}

// Examples returns the first error message seen per class since the last
// ResetExamples, keyed by class name.
func (r *Recorder) Examples() map[string]string {
	out := map[string]string{}
	for c := range r.examples {
		if p := r.examples[c].Load(); p != nil {
			out[driver.ErrorClass(c).String()] = *p
		}
	}
	return out
}

// ResetExamples forgets the error examples (a new window starts).
func (r *Recorder) ResetExamples() {
	for c := range r.examples {
		r.examples[c].Store(nil)
	}
}
