package http

import (
	"context"
	"net/http/httptrace"
	"sync/atomic"
	"testing"

	"github.com/poolload/poolload/driver"
)

// A request that failed before its write or first byte may still call
// those hooks from its connection's goroutine after Iterate returned. They
// must land nowhere: the trace is detached at fill, so the iteration's
// figures and its VU's next phase stay as they are, and the state is not
// settled, so Iterate does not recycle it for another iteration.
func TestLateHooksTouchNoIteration(t *testing.T) {
	st := newState(&conns{})
	var phase atomic.Uint32
	var tr driver.Trace
	tr.BindPhase(&phase)
	st.bind(context.Background(), &tr)
	st.ct.GetConn("127.0.0.1:80")
	st.ct.GotConn(httptrace.GotConnInfo{})
	st.fill(&tr, now()) // the request failed here
	if st.settled() {
		t.Fatal("a request with no write and no first byte counts as settled: its state would serve another iteration")
	}
	got := tr
	tr.SetPhase(driver.PhaseRunning) // the VU has moved on

	st.ct.WroteRequest(httptrace.WroteRequestInfo{})
	st.ct.GotFirstResponseByte()
	if p := driver.Phase(phase.Load()); p != driver.PhaseRunning {
		t.Errorf("a late hook set the VU's phase to %v", p)
	}
	if tr.Wait != got.Wait || tr.Sending != got.Sending || tr.Receiving != got.Receiving || tr.Blocked != got.Blocked {
		t.Errorf("late hooks changed the iteration's figures: %+v, was %+v", tr, got)
	}
}
