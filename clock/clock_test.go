package clock

import (
	"context"
	"slices"
	"testing"
	"time"
)

func stoppedTimer() *time.Timer {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return t
}

// WaitUntil never returns early, and at the median it is late by far less
// than Go's timers (up to a millisecond here). The bound is loose for a
// loaded CI machine under -race; the bench measures the real figure.
func TestWaitUntilIsNeverEarlyAndRarelyLate(t *testing.T) {
	timer := stoppedTimer()
	t0 := time.Now()
	late := make([]time.Duration, 200)
	for i := range late {
		at := time.Duration(i+1) * 500 * time.Microsecond
		if !WaitUntil(context.Background(), timer, t0, at) {
			t.Fatal("WaitUntil gave up without a cancelled context")
		}
		late[i] = time.Since(t0) - at
		if late[i] < 0 {
			t.Fatalf("wait %d returned %v early", i, -late[i])
		}
	}
	slices.Sort(late)
	if p50 := late[len(late)/2]; p50 > 250*time.Microsecond {
		t.Errorf("median lateness %v, want well under a millisecond", p50)
	}
	t.Logf("lateness p50 %v, p90 %v, max %v", late[len(late)/2], late[len(late)*9/10], late[len(late)-1])
}

func TestWaitUntilStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	if WaitUntil(ctx, stoppedTimer(), start, time.Hour) {
		t.Fatal("WaitUntil reached an hour away")
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("cancel took %v to end the wait", d)
	}
}
