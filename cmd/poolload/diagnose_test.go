package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/poolload/poolload/analysis"
	"github.com/poolload/poolload/record"
)

func TestDiagnose(t *testing.T) {
	run := writeRecord(t, 100, nil)
	code, stdout, stderr := runCLI(t, "diagnose", run)
	if code != exitOK || !strings.HasPrefix(stdout, "FINDINGS  no problem found (checked: how the run ended, generator saturation,") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	code, stdout, _ = runCLI(t, "diagnose", "--json", run)
	if code != exitOK || strings.TrimSpace(stdout) != "[]" {
		t.Errorf("--json: exit %d, %q", code, stdout)
	}
	if code, _, stderr := runCLI(t, "diagnose", t.TempDir()); code != exitBadInput || !strings.Contains(stderr, "is not a run record") {
		t.Errorf("not a record: exit %d, %q", code, stderr)
	}
}

// runSummary runs a scenario through the CLI and returns its summary.
func runSummary(t *testing.T, name, body string) *analysis.Summary {
	t.Helper()
	file := writeFile(t, name+".yaml", body)
	out := t.TempDir()
	if code, stdout, stderr := runCLI(t, "run", "-q", "--no-plots", "--out", out, file); code != exitOK {
		t.Fatalf("run %s: exit %d\n%s\n%s", name, code, stdout, stderr)
	}
	return readSummary(t, out)
}

// runRecord runs the scenario in file quietly, without plots, and opens
// the run record it leaves; any exit but 0 fails the test.
func runRecord(t *testing.T, file string) *record.Record {
	t.Helper()
	out := t.TempDir()
	if code, stdout, stderr := runCLI(t, "run", "-q", "--no-plots", "--out", out, file); code != exitOK {
		t.Fatalf("run %s: exit %d\n%s\n%s", file, code, stdout, stderr)
	}
	dirs, _ := filepath.Glob(filepath.Join(out, "*"))
	if len(dirs) != 1 {
		t.Fatalf("want one run record under %s, got %v", out, dirs)
	}
	rec, err := record.Open(dirs[0])
	if err != nil {
		t.Fatalf("the record does not read back: %v", err)
	}
	return rec
}

// readSummary reads summary.json of the one run record under out.
func readSummary(t *testing.T, out string) *analysis.Summary {
	t.Helper()
	dirs, _ := filepath.Glob(filepath.Join(out, "*"))
	if len(dirs) != 1 {
		t.Fatalf("want one run record under %s, got %v", out, dirs)
	}
	b, err := os.ReadFile(filepath.Join(dirs[0], record.SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	var s analysis.Summary
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return &s
}

func finding(s *analysis.Summary, id string) *analysis.Finding {
	for i := range s.Findings {
		if s.Findings[i].ID == id {
			return &s.Findings[i]
		}
	}
	return nil
}

// Too few VUs, for real: 200/s of 38 ms iterations need 7.6 VUs busy; 2 drop
// most ticks, and the advice is rate × median service × 1.5 = 12. The same
// scenario with enough VUs says nothing.
func TestDiagnoseTooFewVUsRealRun(t *testing.T) {
	const sc = `name: vus
target: {driver: noop, noop: {delay: 38ms}}
load: {executor: constant-arrival-rate, rate: 200, duration: 2s, pre_allocated_vus: %d}
output: {interval: 500ms}
`
	s := runSummary(t, "vus", fmt.Sprintf(sc, 2))
	f := finding(s, "too-few-vus")
	if f == nil {
		t.Fatalf("no too-few-vus finding: %+v", s.Findings)
	}
	if !strings.Contains(f.Recommendation, "set pre_allocated_vus to 12 (200/s × 38.") {
		t.Errorf("recommendation %q: want 12 VUs from 200/s × 38 ms × 1.5", f.Recommendation)
	}
	// The host's own findings (steal, a busy CPU) are about the machine.
	if healthy := runSummary(t, "vus", fmt.Sprintf(sc, 20)); len(targetOnly(healthy.Findings)) != 0 {
		t.Errorf("20 VUs: want no finding about the target, got %+v", healthy.Findings)
	}
}

// A managed server whose max_connections is below the pool refuses
// connections under load; the finding names it and the healthy server
// (default max_connections) has none.
func TestDiagnoseMaxConnectionsRealRun(t *testing.T) {
	const sc = `name: maxconn
target:
  driver: mysql
  mysql:
    server: managed
    server_vars: {max_connections: "%d"}
    max_open: 16
    acquire_timeout: 2s
    operations: [{sql: SELECT SLEEP(0.02)}]
load: {executor: constant-arrival-rate, rate: 400, duration: 2s, pre_allocated_vus: 16}
output: {interval: 500ms}
`
	s := runSummary(t, "maxconn", fmt.Sprintf(sc, 10))
	f := finding(s, "server-connection-headroom")
	if f == nil || f.Severity != analysis.SevCritical {
		t.Fatalf("want a critical server-connection-headroom finding, got %+v", s.Findings)
	}
	if !strings.Contains(f.Evidence, "max_connections=10") || !strings.Contains(f.Evidence, "max_open=16") {
		t.Errorf("evidence %q", f.Evidence)
	}
	if healthy := runSummary(t, "maxconn", fmt.Sprintf(sc, 200)); finding(healthy, "server-connection-headroom") != nil {
		t.Errorf("max_connections 200: unexpected %+v", healthy.Findings)
	}
}

// A server with no thread cache creates a thread for every new connection.
// The first pool on a fresh server must create its threads whatever the
// cache; the second, after the first closed its 20 connections, shows the
// misses, and a cache of 64 has none.
func TestDiagnoseThreadCacheRealRun(t *testing.T) {
	const sc = `name: threads
target:
  driver: mysql
  mysql:
    server: managed
    server_vars: {thread_cache_size: "%d"}
    max_open: 20
    operations: [{sql: SELECT 1, hold: 20ms}]
load: {executor: constant-arrival-rate, rate: 800, duration: 1s, pre_allocated_vus: 20}
repeat: 2
output: {interval: 500ms}
`
	s := runSummary(t, "threads", fmt.Sprintf(sc, 0))
	f := finding(s, "thread-cache-misses")
	if f == nil || !strings.Contains(f.Evidence, "(rep 2)") || !strings.Contains(f.Evidence, "thread_cache_size=0") ||
		!strings.Contains(f.Recommendation, "thread_cache_size to at least") {
		t.Fatalf("want a thread-cache-misses finding on the second pool, got %+v", s.Findings)
	}
	if healthy := runSummary(t, "threads", fmt.Sprintf(sc, 64)); finding(healthy, "thread-cache-misses") != nil {
		t.Errorf("thread_cache_size 64: unexpected %+v", healthy.Findings)
	}
}

// The generator saturated, for real: poolload gets one processor and
// shares it with busy loops, so its scheduler starts iterations tens of
// milliseconds late while the (noop) target idles. The finding comes
// first; the same run without the hogs has none.
func TestDiagnoseGeneratorSaturatedRealRun(t *testing.T) {
	const sc = `name: starved
target: {driver: noop, noop: {delay: 1ms}}
load: {executor: constant-arrival-rate, rate: 200, duration: 1s, pre_allocated_vus: 50}
output: {interval: 500ms}
`
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	var stop atomic.Bool
	var wg sync.WaitGroup
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; !stop.Load(); n++ {
			}
		}()
	}
	s := runSummary(t, "starved", sc)
	stop.Store(true)
	wg.Wait()
	if len(s.Findings) == 0 || s.Findings[0].ID != "generator-saturated" {
		t.Fatalf("findings %+v: want generator-saturated first", s.Findings)
	}
	if healthy := runSummary(t, "starved", sc); finding(healthy, "generator-saturated") != nil {
		t.Errorf("without the hogs: unexpected %+v", healthy.Findings)
	}
}
