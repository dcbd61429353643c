package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/poolload/poolload/record"
)

// crashScenario runs 6 s of point queries on a private MariaDB, whose
// process the test kills with SIGKILL.
const crashScenario = `name: crash
target:
  driver: mysql
  mysql:
    server: managed
    max_open: 8
    acquire_timeout: 1s
    query_timeout: 2s
    operations: [{sql: SELECT 1, hold: 2ms}]
load: {executor: constant-arrival-rate, rate: 200, duration: 6s, pre_allocated_vus: 10, max_vus: 20}
`

// The server dies at about 2 s and stays dead: the run ends failed (exit
// 1) saying the target stopped answering, and its findings say the target
// failed, with no idle-connection deaths made up from the broken
// connections and never "no problem found".
func TestServerKilledMidRun(t *testing.T) {
	stdout, code, rec := runWithServerFault(t, false)
	if code != exitFailed {
		t.Errorf("exit %d, want %d", code, exitFailed)
	}
	if rec.Info.Status != record.StatusFailed || !strings.Contains(rec.Info.Error, "the target stopped answering") {
		t.Errorf("run.json: status %q, error %q", rec.Info.Status, rec.Info.Error)
	}
	for _, absent := range []string{"no problem found", "idle-connection-deaths"} {
		if strings.Contains(stdout, absent) {
			t.Errorf("output says %q:\n%s", absent, stdout)
		}
	}
	for _, want := range []string{"[critical] failing-target", "connect_refused", "[critical] run-failed"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	// The finding says how much failed, from when (the kill, about 2 s
	// in) to the end, and quotes the first message.
	f := finding(readSummaryAt(t, rec.Dir), "failing-target")
	if f == nil {
		t.Fatal("no failing-target finding in summary.json")
	}
	m := regexp.MustCompile(`errors from ([0-9.]+) s to the end; first [a-z_]+: \S`).FindStringSubmatch(f.Evidence)
	if m == nil || !strings.Contains(f.Statement, "iterations failed") {
		t.Fatalf("failing-target finding %+v: want the share failed, from when to the end, and the first message", f)
	}
	if from, _ := strconv.ParseFloat(m[1], 64); from < 1 || from > 4 {
		t.Errorf("errors from %s s: the server was killed about 2 s into the window", m[1])
	}
	noNegativeCounters(t, rec)
}

// The server dies at about 2 s and a new one starts on the same data and
// port a second later. The run completes; the errors of the outage are a
// failing-target finding; the server's counters, which restart from zero,
// are unknown across the restart, never negative.
func TestServerRestartedMidRun(t *testing.T) {
	stdout, code, rec := runWithServerFault(t, true)
	if code != exitOK {
		t.Errorf("exit %d, want 0 (the server came back):\n%s", code, stdout)
	}
	if strings.Contains(stdout, "no problem found") || !strings.Contains(stdout, "failing-target") {
		t.Errorf("findings:\n%s", stdout)
	}
	noNegativeCounters(t, rec)
	unknown := 0
	for _, r := range rec.Rows {
		if _, ok := r.Values[record.Questions]; !ok {
			unknown++
		}
	}
	if unknown == 0 {
		t.Error("no interval has its server counters unknown across the restart")
	}
	if last := rec.Rows[len(rec.Rows)-2]; !(last.Values[record.Questions] > 0) {
		t.Errorf("the server's counters did not come back after the restart: %v", last.Values)
	}
}

// runWithServerFault runs crashScenario, kills its managed mariadbd with
// SIGKILL about 2 s into the window and, with restart, starts it again on
// the same data and port a second later.
func runWithServerFault(t *testing.T, restart bool) (string, int, *record.Record) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	file := writeFile(t, "crash.yaml", crashScenario)
	out := t.TempDir()
	faultDone := make(chan error, 1)
	go func() { faultDone <- serverFault(t, tmp, restart) }()
	code, stdout, stderr := runCLI(t, "run", "--no-plots", "--out", out, file)
	if err := <-faultDone; err != nil {
		t.Fatalf("%v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
	}
	dirs, _ := filepath.Glob(filepath.Join(out, "*"))
	if len(dirs) != 1 {
		t.Fatalf("want one record, got %v\n%s\n%s", dirs, stdout, stderr)
	}
	rec, err := record.Open(dirs[0])
	if err != nil {
		t.Fatalf("the record does not read back: %v", err)
	}
	return stdout + stderr, code, rec
}

// serverFault finds the mariadbd serving a data directory under tmp,
// kills it 2.5 s after it appears (the window starts about half a second
// after the server) and, with restart, starts the same command again.
func serverFault(t *testing.T, tmp string, restart bool) error {
	var pid int
	var args []string
	for deadline := time.Now().Add(40 * time.Second); pid == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			return fmt.Errorf("no managed mariadbd appeared under %s", tmp)
		}
		pid, args = findServer(tmp)
	}
	time.Sleep(2500 * time.Millisecond)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		return err
	}
	if !restart {
		return nil
	}
	time.Sleep(time.Second)
	cmd := exec.Command(args[0], args[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return err
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return nil
}

// findServer returns the pid and command line of a mariadbd whose data
// directory is under tmp, or 0.
func findServer(tmp string) (int, []string) {
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil || !bytes.Contains(b, []byte("--datadir="+tmp)) {
			continue
		}
		var pid int
		if _, err := fmt.Sscan(filepath.Base(filepath.Dir(p)), &pid); err != nil {
			continue
		}
		return pid, strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
	}
	return 0, nil
}

// noNegativeCounters fails on a negative value in any column that counts.
func noNegativeCounters(t *testing.T, rec *record.Record) {
	t.Helper()
	for _, r := range rec.Rows {
		for k, v := range r.Values {
			if c, ok := record.Describe(k); ok && c.Kind == record.Delta && v < 0 {
				t.Errorf("%s at %.1f s is %v", k, r.Values[record.TStart], v)
			}
		}
	}
}
