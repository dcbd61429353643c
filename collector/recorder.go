package collector

import (
	"sync/atomic"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/poolload/poolload/driver"
)

// Counts are the counters of one interval (or of a whole window, summed).
type Counts struct {
	Iterations  int64                    `json:"iterations"`
	Errors      [driver.NumClasses]int64 `json:"-"`
	Dropped     [NumDropCauses]int64     `json:"-"`
	Interrupted int64                    `json:"interrupted"`
}

// Add adds o into c.
func (c *Counts) Add(o *Counts) {
	c.Iterations += o.Iterations
	c.Interrupted += o.Interrupted
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

// shard is recorded into by the VUs whose number maps to it. Its fields are
// atomics, so a shard needs no lock even when two of its VUs run at once;
// sharding only keeps cores from fighting over the same cache lines.
type shard struct {
	hists       [NumMetrics]atomicHist
	iterations  atomic.Int64
	interrupted atomic.Int64
	errors      [driver.NumClasses]atomic.Int64
	_           [64]byte
}

// Recorder takes every iteration's timings from the VUs. Record, Interrupt
// and Drop are safe for concurrent use and allocate nothing; Drain is called
// by one goroutine on the interval tick.
type Recorder struct {
	shards   []*shard
	dropped  [NumDropCauses]atomic.Int64
	examples [driver.NumClasses]atomic.Pointer[string]
	scratch  []int64
}

// NewRecorder returns a Recorder with n shards (at least 1).
func NewRecorder(n int) *Recorder {
	if n < 1 {
		n = 1
	}
	r := &Recorder{shards: make([]*shard, n), scratch: make([]int64, countsLen)}
	for i := range r.shards {
		s := &shard{}
		for m := range s.hists {
			s.hists[m] = newAtomicHist()
		}
		r.shards[i] = s
	}
	return r
}

// Record adds one finished iteration: its schedule lag and service time
// (latency is their sum) and what the driver put in t.
func (r *Recorder) Record(t *driver.Trace, lag, service time.Duration) {
	s := r.shards[int(t.VU)%len(r.shards)]
	s.hists[Latency].record(int64(lag + service))
	s.hists[Service].record(int64(service))
	s.hists[ScheduleLag].record(int64(lag))
	s.hists[Blocked].record(int64(t.Blocked))
	s.hists[Connecting].record(int64(t.Connecting))
	if t.Connecting > 0 {
		s.hists[DNS].record(int64(t.DNS))
		s.hists[Dial].record(int64(t.Dial))
		s.hists[Handshake].record(int64(t.Handshake))
	}
	s.hists[Wait].record(int64(t.Wait))
	s.hists[Receiving].record(int64(t.Receiving))
	s.iterations.Add(1)
	if t.Class != driver.ClassNone {
		s.errors[t.Class].Add(1)
		if r.examples[t.Class].Load() == nil && t.Err != nil {
			msg := t.Err.Error()
			r.examples[t.Class].CompareAndSwap(nil, &msg)
		}
	}
}

// Interrupt counts an iteration cut off by the end of the run; its timings
// are not recorded because it never finished.
func (r *Recorder) Interrupt(vu uint32) {
	r.shards[int(vu)%len(r.shards)].interrupted.Add(1)
}

// Drop counts a tick that found no free VU.
func (r *Recorder) Drop(c DropCause) { r.dropped[c].Add(1) }

// Drain moves everything recorded since the last Drain into iv (histograms
// and counters; gauges are the caller's).
func (r *Recorder) Drain(iv *Interval) {
	for m := range NumMetrics {
		for _, s := range r.shards {
			s.hists[m].drainInto(r.scratch)
		}
		iv.Hists[m] = importCounts(r.scratch)
	}
	iv.Counts = Counts{}
	for _, s := range r.shards {
		iv.Counts.Iterations += s.iterations.Swap(0)
		iv.Counts.Interrupted += s.interrupted.Swap(0)
		for c := range s.errors {
			iv.Counts.Errors[c] += s.errors[c].Swap(0)
		}
	}
	for c := range r.dropped {
		iv.Counts.Dropped[c] = r.dropped[c].Swap(0)
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
