package network

import (
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/poolload/poolload/clock"
)

// dirParams is one direction of the resolved link.
type dirParams struct {
	latency, jitter time.Duration
	bits            int64 // bandwidth in bit/s, 0 unlimited
	fast            bool  // nothing to delay: copy straight through
}

func newDirParams(d Direction) dirParams {
	return dirParams{latency: d.Latency.D(), jitter: d.Jitter.D(), bits: int64(d.Bandwidth),
		fast: d.Latency == 0 && d.Jitter == 0 && d.Bandwidth == 0}
}

const (
	// bufSize is one read. It bounds the bandwidth pacing's granularity
	// (32 KiB at 100 Mbit/s is 2.6 ms) as well as the copy cost.
	bufSize = 32 << 10
	// queueLen chunks in flight per direction (at most 1 MiB) act as the
	// TCP window of the emulated link: when full, the reader stops and
	// the sender's kernel applies backpressure.
	queueLen = 32
)

// bufPool recycles read buffers so that a chunk costs no allocation once
// the pool is warm.
var bufPool = sync.Pool{New: func() any { b := make([]byte, bufSize); return &b }}

type chunkKind uint8

const (
	chunkData      chunkKind = iota
	chunkEOF                 // src half-closed: half-close dst
	chunkAbort               // src failed (RST): reset both
	chunkByteReset           // ResetAfterBytes reached: reset both
)

// chunk is what the reader hands the writer: bytes and the instant (on the
// proxy's clock) they are due at the far end.
type chunk struct {
	buf  *[]byte
	n    int
	due  time.Duration
	kind chunkKind
}

// pipe is one direction of a link: src is read, dst written.
type pipe struct {
	l        *link
	src, dst *net.TCPConn
	d        dirParams
	bytes    *atomic.Int64 // delivered-bytes counter of the proxy
	ch       chan chunk

	// Reader-side state for due times.
	rng     *rand.Rand
	txEnd   time.Duration // when the link finishes sending what it has read
	lastDue time.Duration
}

func newPipe(l *link, d dirParams, bytes *atomic.Int64) *pipe {
	pp := &pipe{l: l, d: d, bytes: bytes}
	if !d.fast {
		pp.ch = make(chan chunk, queueLen)
	}
	if d.jitter > 0 {
		pp.rng = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	return pp
}

// startReader starts the delayed reader; a fast pipe has none (its single
// copy goroutine needs dst and starts with startWriter).
func (pp *pipe) startReader(wg *sync.WaitGroup) {
	if pp.d.fast {
		return
	}
	wg.Add(1)
	go func() { defer wg.Done(); pp.read() }()
}

func (pp *pipe) startWriter(wg *sync.WaitGroup) {
	wg.Add(1)
	switch {
	case pp.l.kernel.Load():
		go func() { defer wg.Done(); pp.ended(awaitEnd(pp.src)) }()
		return
	case pp.d.fast:
		go func() { defer wg.Done(); pp.copyDirect() }()
		return
	}
	go func() { defer wg.Done(); pp.write() }()
}

// copyDirect is the zero-delay path: no queue and no extra goroutine hop,
// so the proxy adds only its two socket copies.
func (pp *pipe) copyDirect() {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	l := pp.l
	for {
		n, err := pp.src.Read(*bp)
		if n > 0 && !l.dropped() {
			l.touch()
			m, reset := l.admit(n)
			if !pp.deliver((*bp)[:m]) {
				return
			}
			if reset {
				l.abort(&l.p.byteResets)
				return
			}
		}
		if err != nil {
			pp.ended(err)
			return
		}
	}
}

// ended handles the end of src in the fast path: EOF becomes a half-close
// of dst, anything else resets both. A blackholed link passes on neither.
func (pp *pipe) ended(err error) {
	switch {
	case !pp.l.live():
	case errors.Is(err, io.EOF):
		pp.l.drained(pp.src, pp.dst, true)
		_ = pp.dst.CloseWrite()
	default:
		pp.l.drained(pp.src, pp.dst, false) // the bytes before a reset go first, as on the wire
		pp.l.abort(nil)
	}
}

// deliver writes b to dst unless the link is blackholed; false when the
// write failed and the link was reset.
func (pp *pipe) deliver(b []byte) bool {
	if len(b) == 0 || pp.l.dropped() {
		return true
	}
	if _, err := pp.dst.Write(b); err != nil {
		pp.l.abort(nil)
		return false
	}
	pp.bytes.Add(int64(len(b)))
	return true
}

// read stamps each chunk with its due time and queues it for write. The
// due time counts from the chunk's arrival in the kernel where the socket
// can tell it, from its read otherwise.
func (pp *pipe) read() {
	defer close(pp.ch)
	l := pp.l
	sr := newStampedReader(pp.src)
	for {
		bp := bufPool.Get().(*[]byte)
		var n int
		var now time.Duration
		var err error
		if sr != nil {
			n, now, err = sr.Read(l.p, *bp)
		} else {
			n, err = pp.src.Read(*bp)
			now = l.p.now()
		}
		if n > 0 && !l.dropped() {
			l.touch()
			m, reset := l.admit(n)
			if m > 0 {
				if !pp.send(chunk{buf: bp, n: m, due: pp.due(now, m)}) {
					return
				}
				bp = nil
			}
			if reset {
				pp.send(chunk{kind: chunkByteReset, due: pp.lastDue})
				return
			}
		}
		if bp != nil {
			bufPool.Put(bp)
		}
		if err != nil {
			pp.readEnded(err, now)
			return
		}
	}
}

// readEnded queues the end of src behind the data read before it, so a FIN
// or RST arrives after the bytes that preceded it, as on a real link.
func (pp *pipe) readEnded(err error, now time.Duration) {
	if !pp.l.live() {
		return
	}
	kind := chunkAbort
	if errors.Is(err, io.EOF) {
		kind = chunkEOF
	}
	pp.send(chunk{kind: kind, due: pp.due(now, 0)})
}

// send queues c, or gives up when the link is torn down.
func (pp *pipe) send(c chunk) bool {
	select {
	case pp.ch <- c:
		return true
	case <-pp.l.ctx.Done():
		if c.buf != nil {
			bufPool.Put(c.buf)
		}
		return false
	}
}

// due is when a chunk of n bytes read at now reaches the far end: after
// the link has serialized it (pacing is cumulative, so a burst queues
// behind itself) plus the one-way delay, and never before the previous
// chunk, so jitter cannot reorder a stream.
func (pp *pipe) due(now time.Duration, n int) time.Duration {
	d := pp.d
	if d.bits > 0 {
		pp.txEnd = max(now, pp.txEnd) + time.Duration(int64(n)*8*int64(time.Second)/d.bits)
		now = pp.txEnd
	}
	delay := d.latency
	if d.jitter > 0 {
		delay += time.Duration(pp.rng.Int64N(2*int64(d.jitter)+1)) - d.jitter
		delay = max(delay, 0)
	}
	pp.lastDue = max(now+delay, pp.lastDue)
	return pp.lastDue
}

// write waits for each chunk's due time, then delivers it.
func (pp *pipe) write() {
	wait := clock.NewWaiter()
	defer wait.Close()
	l := pp.l
	for c := range pp.ch {
		if !wait.Until(l.ctx, l.p.t0, c.due) {
			return // aborted: send gives up too, the queue is garbage
		}
		if !pp.apply(c) {
			return
		}
	}
}

// apply carries out one chunk; false when the link is finished with.
func (pp *pipe) apply(c chunk) bool {
	l := pp.l
	switch c.kind {
	case chunkData:
		ok := pp.deliver((*c.buf)[:c.n])
		bufPool.Put(c.buf)
		return ok
	case chunkEOF:
		if l.live() {
			_ = pp.dst.CloseWrite()
		}
		return true
	case chunkByteReset:
		l.abort(&l.p.byteResets)
	default:
		l.abort(nil)
	}
	return false
}
