package runner

import (
	"time"

	"github.com/poolload/poolload/collector"
	"github.com/poolload/poolload/record"
)

// intervalWriter collects a window's frozen intervals and writes them to
// the record in order, on goroutines of their own, so that neither reading
// the histograms nor encoding them (hdrhistogram-go compresses each at
// zlib's best level) nor a slow disk holds up the next interval's tick: on
// a machine busy with the server under test they can take longer than an
// interval, and a tick that waited for them would fall behind and leave
// the record with fewer, longer intervals. Collecting has a goroutine of
// its own because the next Flip waits for it; writing may lag further.
type intervalWriter struct {
	frozen    chan queued
	collected chan queued
	done      chan struct{}
	err       error // the first write error; read after done
}

type queued struct {
	iv     *collector.Interval
	frozen *collector.Frozen
	t0     time.Time
}

// writeQueue bounds the collected intervals that wait to be written (each
// holds a dozen histograms, ~3 MiB): a writer this far behind slows the
// ticks down instead of growing without bound.
const writeQueue = 16

// startWriter starts the writer; onCollect is called with each interval
// once its histograms and counters are in, before it is written, and
// onFail once with the first write error.
func startWriter(out *record.Writer, p WindowPlan, onCollect func(*collector.Interval), onFail func(error)) *intervalWriter {
	w := &intervalWriter{frozen: make(chan queued, 1), collected: make(chan queued, writeQueue), done: make(chan struct{})}
	go func() {
		defer close(w.collected)
		for q := range w.frozen {
			q.frozen.Collect(q.iv)
			onCollect(q.iv)
			w.collected <- q
		}
	}()
	go func() {
		defer close(w.done)
		for q := range w.collected {
			if err := out.WriteInterval(p.Variant.Name, p.Rep, q.t0, q.iv); err != nil && w.err == nil {
				w.err = err
				onFail(err)
			}
		}
	}()
	return w
}

// write queues one interval; it is the writer's from now on.
func (w *intervalWriter) write(iv *collector.Interval, f *collector.Frozen, t0 time.Time) {
	w.frozen <- queued{iv, f, t0}
}

// close waits for every queued interval to be collected and written, and
// returns the first error.
func (w *intervalWriter) close() error {
	close(w.frozen)
	<-w.done
	return w.err
}
