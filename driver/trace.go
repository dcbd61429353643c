package driver

import (
	"sync/atomic"
	"time"
)

// Phase is what a VU is doing right now. The engine reads the phases of busy
// VUs when it has to drop an iteration, to say why no VU was free.
type Phase uint32

// The phases a VU goes through. Drivers move a VU between Blocked, Waiting
// and Receiving; the engine sets Running and Idle.
const (
	PhaseIdle      Phase = iota // waiting for a tick
	PhaseRunning                // in the iteration, phase not reported by the driver
	PhaseBlocked                // asking the pool for a connection (incl. connecting)
	PhaseWaiting                // request sent, waiting for the first byte/result
	PhaseReceiving              // reading the rest of the result
	NumPhases
)

var phaseNames = [NumPhases]string{"idle", "running", "blocked", "waiting", "receiving"}

func (p Phase) String() string {
	if p < NumPhases {
		return phaseNames[p]
	}
	return "unknown"
}

// Trace is one iteration's account of itself. The engine owns one Trace per
// VU and resets it before every iteration, so filling it never allocates.
// All durations are wall time; zero means "did not happen".
type Trace struct {
	VU   uint32 // 1-based VU number
	Iter uint64 // global iteration number (0-based, in schedule order)

	Blocked    time.Duration // asked the pool for a connection → held one
	Connecting time.Duration // new-connection setup inside Blocked (0 on reuse)
	DNS        time.Duration // part of Connecting
	Dial       time.Duration // part of Connecting: TCP connect
	TLS        time.Duration // part of Connecting: TLS negotiation; 0 without TLS, or where the protocol's handshake holds it (MySQL)
	Handshake  time.Duration // part of Connecting: the protocol's own setup after TLS (greeting, startup, auth, init)
	Wait       time.Duration // request sent → first result/byte
	Receiving  time.Duration // first result → last row/byte
	Sending    time.Duration // held a connection → request written (HTTP); 0 where writing is part of Wait

	Class ErrorClass // ClassNone on success
	Err   error      // the error, kept only to sample its message

	phase *atomic.Uint32
}

// Reset clears the trace for the next iteration, keeping its VU binding.
func (t *Trace) Reset(iter uint64) {
	vu, ph := t.VU, t.phase
	*t = Trace{VU: vu, Iter: iter, phase: ph}
}

// BindPhase makes SetPhase publish into p. The engine binds each VU's trace
// once; a Trace that is not bound ignores SetPhase (handy in tests).
func (t *Trace) BindPhase(p *atomic.Uint32) { t.phase = p }

// SetPhase publishes what the VU is doing. It costs one uncontended atomic
// store, so drivers call it at every step.
func (t *Trace) SetPhase(p Phase) {
	if t.phase != nil {
		t.phase.Store(uint32(p))
	}
}

// Fail records an error of class c.
func (t *Trace) Fail(c ErrorClass, err error) {
	t.Class, t.Err = c, err
}
