package analysis

import (
	"bytes"
	"maps"
	"strings"
	"testing"

	"github.com/poolload/poolload/analysis/testrecord"
	"github.com/poolload/poolload/record"
)

func findingByID(fs []Finding, id string) *Finding {
	for i := range fs {
		if fs[i].ID == id {
			return &fs[i]
		}
	}
	return nil
}

// A server killed at 4 s of an 8 s run: two connections break mid-query,
// then every connection is refused. That is a failing target, critical and
// still failing at the end; the broken connections are not idle deaths on
// a server whose wait_timeout is 8 hours.
func TestDiagnoseServerKilledMidRun(t *testing.T) {
	down := with(map[string]float64{"errors": 100, "errors_connect_refused": 100, "pool_in_use": 0})
	rows := testrecord.Rows("only", 0, 4, healthyRow())
	rows = append(rows, testrecord.Rows("only", 4, 1, with(map[string]float64{"errors": 52, "errors_bad_connection": 2, "errors_connect_refused": 50}))...)
	rows = append(rows, testrecord.Rows("only", 5, 3, down)...)
	fs := Diagnose(testrecord.InMemory{Target: healthyTarget(), Rows: rows}.Record(), nil)
	if f := findingByID(fs, "idle-connection-deaths"); f != nil {
		t.Errorf("idle deaths from a crash 4 s into a run against wait_timeout=8h: %+v", f)
	}
	f := findingByID(fs, "failing-target")
	if f == nil || f.Severity != SevCritical {
		t.Fatalf("want a critical failing-target finding, got %+v", fs)
	}
	for _, want := range []string{"352 of 800 iterations failed (44.0%), most with connect_refused", "still failing when the window ended"} {
		if !strings.Contains(f.Statement, want) {
			t.Errorf("statement %q lacks %q", f.Statement, want)
		}
	}
	for _, want := range []string{"connect_refused 350, bad_connection 2", "only: 352 errors from 4 s to the end"} {
		if !strings.Contains(f.Evidence, want) {
			t.Errorf("evidence %q lacks %q", f.Evidence, want)
		}
	}
	if !strings.Contains(f.Recommendation, "running") {
		t.Errorf("recommendation %q", f.Recommendation)
	}
}

func TestDiagnoseFailingTargetSeverity(t *testing.T) {
	rows := append(testrecord.Rows("v", 0, 5, healthyRow()), testrecord.Rows("v", 5, 1, with(map[string]float64{"errors": 1, "errors_other": 1}))...)
	f := findingByID(Diagnose(testrecord.InMemory{Target: healthyTarget(), Rows: rows}.Record(), nil), "failing-target")
	if f == nil || f.Severity != SevWarning || !strings.Contains(f.Statement, "1 of 600 iterations failed (0.17%)") {
		t.Fatalf("one error in 600: want a warning, got %+v", f)
	}
	// Interrupted iterations are the run's own doing, not the target's.
	rows = append(testrecord.Rows("v", 0, 5, healthyRow()), testrecord.Rows("v", 5, 1, with(map[string]float64{"errors": 3, "errors_interrupted": 3}))...)
	if fs := Diagnose(testrecord.InMemory{Target: healthyTarget(), Rows: rows}.Record(), nil); len(fs) != 0 {
		t.Errorf("interrupted iterations only: want no finding, got %+v", fs)
	}
}

// A run that failed before measuring anything (an unreachable server) is
// never "no problem found".
func TestDiagnoseFailedRun(t *testing.T) {
	rec := testrecord.InMemory{Target: healthyTarget()}.Record()
	rec.Info.Status, rec.Info.Error = record.StatusFailed, "variant cold, repetition 1: opening the target: connect_refused: dial tcp 127.0.0.1:1: connect: connection refused"
	rec.Info.Windows = []record.WindowInfo{{Variant: "cold", Rep: 1, Status: record.StatusFailed}, {Variant: "warm", Rep: 1, Status: record.StatusSkipped}}
	fs := Diagnose(rec, nil)
	f := findingByID(fs, "run-failed")
	if f == nil || f.Severity != SevCritical || !strings.Contains(f.Statement, "connection refused") ||
		!strings.Contains(f.Evidence, "windows: 0 complete, 1 failed, 0 interrupted, 1 not started") {
		t.Fatalf("want a critical run-failed finding, got %+v", fs)
	}
	var out bytes.Buffer
	WriteFindings(&out, fs)
	if strings.Contains(out.String(), "no problem found") {
		t.Errorf("a failed run printed:\n%s", out.String())
	}
}

// A thread cache can only hand out the threads of connections that closed
// before: a fresh managed server creates one per connection whatever its
// cache, and only a later window, whose pool follows a closed one, shows
// misses.
func TestDiagnoseThreadCacheNeedsClosedConnections(t *testing.T) {
	tgt := healthyTarget()
	maps.Copy(tgt, map[string]string{"server": "managed", "thread_cache_size": "4"})
	opens := with(map[string]float64{"connections": 20, "threads_created": 20, "threads_connected": 21, "pool_open": 20})
	steady := with(map[string]float64{"threads_connected": 21, "pool_open": 20})
	first := append(testrecord.Rows("cold", 0, 1, opens), testrecord.Rows("cold", 1, 3, steady)...)
	if fs := Diagnose(testrecord.InMemory{Target: tgt, Rows: first}.Record(), nil); findingByID(fs, "thread-cache-misses") != nil {
		t.Fatalf("a fresh server's first pool: unexpected %+v", fs)
	}
	second := append(testrecord.Rows("again", 4, 1, opens), testrecord.Rows("again", 5, 3, steady)...)
	fs := Diagnose(testrecord.InMemory{Target: tgt, Rows: append(first, second...)}.Record(), nil)
	f := findingByID(fs, "thread-cache-misses")
	if f == nil || !strings.HasPrefix(f.Evidence, "again:") {
		t.Fatalf("the second pool after 20 closed connections, cache 4: want a finding on it, got %+v", fs)
	}
	tgt["thread_cache_size"] = "64"
	if fs := Diagnose(testrecord.InMemory{Target: tgt, Rows: append(first, second...)}.Record(), nil); findingByID(fs, "thread-cache-misses") != nil {
		t.Errorf("cache 64 holds them all: unexpected %+v", fs)
	}
}
