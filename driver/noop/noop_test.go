package noop

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/poolload/poolload/driver"
)

func TestIterateTimesItsPhases(t *testing.T) {
	d := New(Config{Delay: driver.Duration(20 * time.Millisecond), Blocked: driver.Duration(5 * time.Millisecond)})
	var tr driver.Trace
	var phase atomic.Uint32
	tr.BindPhase(&phase)
	d.Iterate(context.Background(), &tr)
	if tr.Wait < 20*time.Millisecond || tr.Wait > 25*time.Millisecond {
		t.Errorf("wait %v, want 20–25ms", tr.Wait)
	}
	if tr.Blocked < 5*time.Millisecond || tr.Blocked > 10*time.Millisecond {
		t.Errorf("blocked %v, want 5–10ms", tr.Blocked)
	}
	if driver.Phase(phase.Load()) != driver.PhaseWaiting || tr.Class != driver.ClassNone {
		t.Errorf("phase %v, class %v", driver.Phase(phase.Load()), tr.Class)
	}
}

func TestIterateErrorsAndCancel(t *testing.T) {
	d := New(Config{ErrorRate: 1})
	var tr driver.Trace
	d.Iterate(context.Background(), &tr)
	if tr.Class != driver.ClassOther || tr.Err == nil {
		t.Errorf("error_rate 1: class %v, err %v", tr.Class, tr.Err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tr = driver.Trace{}
	New(Config{Delay: driver.Duration(time.Hour)}).Iterate(ctx, &tr)
	if tr.Class != driver.ClassInterrupted {
		t.Errorf("cancelled: class %v", tr.Class)
	}
}

func TestValidate(t *testing.T) {
	if errs := (&Config{ErrorRate: 2}).Validate(); errs["error_rate"] == "" {
		t.Errorf("error_rate 2 accepted: %v", errs)
	}
	if errs := (&Config{ErrorRate: 0.5}).Validate(); len(errs) != 0 {
		t.Errorf("valid config refused: %v", errs)
	}
}
