package collector

import (
	"errors"
	"testing"
	"time"

	"github.com/poolload/poolload/driver"
)

func TestRecorderRecordAllocatesNothing(t *testing.T) {
	rec := NewRecorder(2)
	tr := driver.Trace{VU: 1, Wait: time.Millisecond, Connecting: time.Microsecond}
	allocs := testing.AllocsPerRun(1000, func() {
		rec.Record(&tr, time.Microsecond, 2*time.Millisecond)
	})
	if allocs != 0 {
		t.Fatalf("Record allocates %v times per call", allocs)
	}
}

// TestDrainKeepsIterationsWhole drains while many goroutines record: every
// interval's histograms must hold exactly the iterations its counter says.
func TestDrainKeepsIterationsWhole(t *testing.T) {
	rec := NewRecorder(2)
	stop := make(chan struct{})
	done := make(chan struct{})
	for g := range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			tr := driver.Trace{VU: uint32(g), Wait: time.Millisecond, Connecting: time.Microsecond, TLS: time.Microsecond}
			for {
				select {
				case <-stop:
					return
				default:
					rec.Record(&tr, time.Microsecond, time.Millisecond)
				}
			}
		}()
	}
	check := func(iv *Interval) {
		for m := range NumMetrics {
			if n := iv.Hists[m].TotalCount(); n != iv.Counts.Iterations {
				t.Fatalf("%v holds %d values for %d iterations", Metric(m), n, iv.Counts.Iterations)
			}
		}
	}
	var total int64
	for range 20 {
		time.Sleep(5 * time.Millisecond)
		var iv Interval
		rec.Drain(&iv)
		check(&iv)
		total += iv.Counts.Iterations
	}
	close(stop)
	for range 4 {
		<-done
	}
	var iv Interval
	rec.Drain(&iv)
	check(&iv)
	if total+iv.Counts.Iterations == 0 {
		t.Fatal("nothing recorded")
	}
}

// An error example is stored redacted: the first message of a class may
// quote a URL with a password or a token, and examples are printed and
// written to the record as they are.
func TestExamplesAreRedacted(t *testing.T) {
	rec := NewRecorder(1)
	tr := driver.Trace{VU: 1}
	tr.Fail(driver.ClassServerGone, errors.New(`Post "http://app:***@127.0.0.1:1/x?api_key=K3y&page=2": EOF`))
	rec.Record(&tr, 0, time.Millisecond)
	want := `Post "http://app:*****@127.0.0.1:1/x?api_key=*****&page=2": EOF`
	if got := rec.Examples()["server_gone"]; got != want {
		t.Errorf("example %q, want %q", got, want)
	}
}
