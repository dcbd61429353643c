package main

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/poolload/poolload/analysis"
)

// pgQuickstart: on the managed PostgreSQL the cold pgxpool opens its
// connections inside the window and the warm one none, and a healthy run
// says nothing alarming beyond the cold start it is there to show. On a
// host that other processes saturated (two cores shared with other test
// binaries) the run says so itself, and what follows from a starved
// generator is not the scenario's doing.
func pgQuickstart(t *testing.T, s *analysis.Summary) {
	coldOpensWarmDoesNot(t, s)
	starved := finding(s, "host-saturated") != nil || finding(s, "host-steal") != nil
	for _, f := range s.Findings {
		if starved && machineFindings[f.ID] {
			continue
		}
		if f.Severity != analysis.SevInfo && f.ID != "cold-start-penalty" {
			t.Errorf("healthy pg-quickstart: %s finding %s: %s", f.Severity, f.ID, f.Evidence)
		}
	}
	for _, g := range s.Variants {
		if g.Totals.Errors != 0 {
			t.Errorf("%s: errors %v", g.Variant, g.Totals.ErrorsBy)
		}
	}
}

// machineFindings are what a starved host makes a run report.
var machineFindings = map[string]bool{
	"host-saturated": true, "host-steal": true, "generator-saturated": true, "too-few-vus": true,
}

// pgColdVsWarm: as pg-cold-vs-warm's header says, and its transactions,
// committed every time, are never taken for a leak.
func pgColdVsWarm(t *testing.T, s *analysis.Summary) {
	coldOpensWarmDoesNot(t, s)
	for _, id := range []string{"connection-leak", "idle-connection-deaths", "server-connection-headroom"} {
		if f := finding(s, id); f != nil {
			t.Errorf("healthy pg-cold-vs-warm: %s: %s", id, f.Evidence)
		}
	}
}

// pgLeakNamesIdleInTx: every 10th transaction left open fills the pool of
// 10 after about 100 requests; the leak finding says so and names the 10
// connections the server shows idle in transaction.
func pgLeakNamesIdleInTx(t *testing.T, s *analysis.Summary) {
	g := &s.Variants[0]
	if g.Totals.ErrorsBy["acquire_timeout"] == 0 {
		t.Errorf("errors by class %v: want acquire timeouts", g.Totals.ErrorsBy)
	}
	if ok := g.Totals.Iterations - g.Totals.Errors; ok < 95 || ok > 110 {
		t.Errorf("%d iterations succeeded: want about 100 (10 per connection)", ok)
	}
	f := finding(s, "connection-leak")
	if f == nil || f.Severity != analysis.SevCritical {
		t.Fatalf("want a critical connection-leak finding, got %+v", s.Findings)
	}
	m := regexp.MustCompile(`pool_in_use reached max_open=10 at [0-9.]+ s, after about (\d+) iterations`).FindStringSubmatch(f.Evidence)
	if m == nil {
		t.Fatalf("evidence %q: want the pool pinned at 10", f.Evidence)
	}
	if n, _ := strconv.Atoi(m[1]); n < 90 || n > 115 {
		t.Errorf("leak began after %d iterations: want about 100", n)
	}
	if !strings.Contains(f.Evidence, "10 of the load's connections were idle in transaction (pg_load_idle_in_tx) at the end of the window") {
		t.Errorf("evidence %q: want the 10 connections idle in transaction named", f.Evidence)
	}
	if !strings.Contains(f.Recommendation, "without COMMIT or ROLLBACK") {
		t.Errorf("recommendation %q", f.Recommendation)
	}
}

// pgIdleSessionTimeout: the idle variant's pooled connections are dead at
// t0; the pool's ping finds them and the finding blames
// idle_session_timeout.
func pgIdleSessionTimeout(t *testing.T, s *analysis.Summary) {
	idle := variant(t, s, "idle")
	if (idle.ConnsOpened == nil || *idle.ConnsOpened == 0) && idle.Totals.ErrorsBy["bad_connection"] == 0 {
		t.Error("idle: no connection reopened and no bad_connection error after idle_session_timeout")
	}
	f := finding(s, "idle-connection-deaths")
	if f == nil || !strings.Contains(f.Evidence, "idle_session_timeout=2s") ||
		!strings.Contains(f.Recommendation, "conn_max_idle_time to 1.5s (below the server's idle_session_timeout=2s)") {
		t.Fatalf("want idle-connection-deaths blaming idle_session_timeout=2s, got %+v", s.Findings)
	}
	if !regexp.MustCompile(`[1-9]\d* dead connections found by the driver`).MatchString(f.Evidence) {
		t.Errorf("evidence %q: want the dead connections the ping found", f.Evidence)
	}
}

// TestPgLeakAtALowRate runs pg-leak.yaml as its header suggests, at 10/s:
// the pool never fills in the window, and the 4 transactions left open
// are still idle in transaction after the last iteration. The finding
// names them; it is a warning, since nothing failed yet.
func TestPgLeakAtALowRate(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := runCLI(t, "run", "--quiet", "--no-plots", "--rate", "10", "--out", out, "../../scenarios/pg-leak.yaml")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	s := readSummary(t, out)
	f := finding(s, "connection-leak")
	if f == nil || f.Severity != analysis.SevWarning {
		t.Fatalf("want a connection-leak warning, got %+v", s.Findings)
	}
	if !strings.Contains(f.Evidence, "4 of the load's connections were idle in transaction (pg_load_idle_in_tx) at the end of the window") ||
		!strings.Contains(f.Evidence, "the pool still counted 4 connections in use (pool_in_use)") {
		t.Errorf("evidence %q: want the 4 transactions left open named", f.Evidence)
	}
	if g := s.Variants[0]; g.Totals.Errors != 0 {
		t.Errorf("errors %v: the pool of 10 never fills at 10/s", g.Totals.ErrorsBy)
	}
}
