package main

import (
	"bufio"
	"bytes"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"

	"github.com/poolload/poolload/record"
)

// An output path that cannot hold a record (a regular file, or a path
// through one) fails at once with exit 1, and before anything touches the
// target: the scenario's setup statement never runs.
func TestOutputPathThatCannotHoldARecord(t *testing.T) {
	db, err := sql.Open("mysql", "root@tcp(127.0.0.1:3306)/test")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	table := fmt.Sprintf("pl_out_%d", time.Now().UnixNano()%1e9)
	t.Cleanup(func() { _, _ = db.Exec("DROP TABLE IF EXISTS " + table) })
	file := writeFile(t, "setup.yaml", fmt.Sprintf(`name: setup
target:
  driver: mysql
  mysql:
    dsn: root@tcp(127.0.0.1:3306)/test
    setup: ["CREATE TABLE %s (id INT)"]
    operations: [{sql: "SELECT 1"}]
load: {executor: constant-arrival-rate, rate: 10, duration: 1s, pre_allocated_vus: 2}
`, table))
	regular := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(regular, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{regular, filepath.Join(regular, "below")} {
		type result struct {
			code   int
			stderr string
		}
		done := make(chan result, 1)
		go func() {
			code, _, stderr := runCLI(t, "run", "-q", "--no-plots", "--out", out, file)
			done <- result{code, stderr}
		}()
		var r result
		select {
		case r = <-done:
		case <-time.After(20 * time.Second):
			t.Fatalf("--out %s: still running after 20 s", out)
		}
		if r.code != exitFailed || !strings.Contains(r.stderr, "creating the") || !strings.Contains(r.stderr, "not a directory") {
			t.Errorf("--out %s: exit %d, stderr %q; want exit 1 saying the record cannot be created", out, r.code, r.stderr)
		}
		var n int
		if err := db.QueryRow("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'test' AND table_name = ?", table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Fatalf("--out %s: the setup ran (table %s exists) before the output path was checked", out, table)
		}
	}
}

// A disk that fills up mid-run stops the run at once with exit 1 and a
// record that says why, whose files hold every interval written whole and
// nothing cut short. The disk is a 384 KiB tmpfs, which needs root (CI and
// make test run as root).
func TestDiskFullStopsTheRun(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a small tmpfs needs root; run make test as root to cover a full disk")
	}
	out := t.TempDir()
	if b, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=384k", "tmpfs", out).CombinedOutput(); err != nil {
		t.Skipf("mounting a tmpfs: %v: %s (a container may forbid it)", err, b)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", out).Run() })
	file := writeFile(t, "fill.yaml", `name: fill
target: {driver: noop, noop: {delay: 1ms}}
load: {executor: constant-arrival-rate, rate: 2000, duration: 30s, pre_allocated_vus: 20}
output: {interval: 100ms}
`)
	start := time.Now()
	code, _, stderr := runCLI(t, "run", "-q", "--no-plots", "--out", out, file)
	took := time.Since(start)
	if code != exitFailed || !strings.Contains(stderr, "no space left") {
		t.Fatalf("exit %d after %v, stderr %q; want exit 1 saying the disk is full", code, took, stderr)
	}
	if took > 20*time.Second {
		t.Errorf("the run went on for %v after the disk filled", took)
	}
	dirs, _ := filepath.Glob(filepath.Join(out, "*-fill"))
	if len(dirs) != 1 {
		t.Fatalf("records under %s: %v", out, dirs)
	}
	rec, err := record.Open(dirs[0])
	if err != nil {
		t.Fatalf("the record of a full disk does not read: %v", err)
	}
	if rec.Info.Status != record.StatusFailed || !strings.Contains(rec.Info.Error, "no space left") || len(rec.Warnings) != 0 {
		t.Errorf("run.json status %q, error %q, warnings %q; want failed, no space left, nothing cut short", rec.Info.Status, rec.Info.Error, rec.Warnings)
	}
	if len(rec.Rows) == 0 {
		t.Error("no interval kept")
	}
	if tmp, _ := filepath.Glob(filepath.Join(dirs[0], "*.tmp")); len(tmp) != 0 {
		t.Errorf("left behind: %v", tmp)
	}
}

// A teardown that fails is said on stderr and kept in run.json; the run
// itself completed, so the exit stays 0.
func TestTeardownErrorIsReported(t *testing.T) {
	table := fmt.Sprintf("pl_never_%d", time.Now().UnixNano()%1e9)
	file := writeFile(t, "teardown.yaml", fmt.Sprintf(`name: teardown
target:
  driver: mysql
  mysql:
    dsn: root@tcp(127.0.0.1:3306)/test
    operations: [{sql: "SELECT 1"}]
    teardown: ["DROP TABLE %s"]
load: {executor: constant-arrival-rate, rate: 20, duration: 500ms, pre_allocated_vus: 2}
`, table))
	out := t.TempDir()
	code, _, stderr := runCLI(t, "run", "-q", "--no-plots", "--out", out, file)
	if code != exitOK || !strings.Contains(stderr, "warning") || !strings.Contains(stderr, table) {
		t.Fatalf("exit %d, stderr %q; want exit 0 and a warning naming the failed DROP of %s", code, stderr, table)
	}
	dirs, _ := filepath.Glob(filepath.Join(out, "*-teardown"))
	if len(dirs) != 1 {
		t.Fatalf("records: %v", dirs)
	}
	rec, err := record.Open(dirs[0])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rec.Info.TeardownError, table) {
		t.Errorf("run.json teardown_error %q: want the failed DROP", rec.Info.TeardownError)
	}
}

// MariaDB raises max_connections to at least 10: a scenario asking for 5
// is told what the server took, before the run.
func TestServerVarsAdjustedAreSaid(t *testing.T) {
	file := writeFile(t, "adjusted.yaml", `name: adjusted
target:
  driver: mysql
  mysql:
    server: managed
    server_vars: {max_connections: "5"}
    max_open: 2
    operations: [{sql: SELECT 1}]
load: {executor: constant-arrival-rate, rate: 20, duration: 500ms, pre_allocated_vus: 2}
`)
	code, stdout, stderr := runCLI(t, "run", "-q", "--no-plots", "--out", t.TempDir(), file)
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if want := "poolload: warning: target.mysql.server_vars.max_connections: asked 5, the managed server took 10"; !strings.Contains(stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, stderr)
	}
}

// After a Ctrl-C, a teardown that takes over a second says what poolload
// waits for, so that a user does not take it for a hang and press again;
// a quick one says nothing. poolload runs as a process of its own, so the
// SIGINT is a real one and reaches no other test.
func TestSlowTeardownAfterCtrlCSaysWhatItWaitsFor(t *testing.T) {
	const said = "poolload: undoing the target's preparation"
	for _, tc := range []struct {
		name, teardown string
		want           bool
	}{
		{"slow", "SELECT SLEEP(1.3)", true},
		{"quick", "SELECT 1", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := writeFile(t, "teardown.yaml", fmt.Sprintf(`name: teardown
target:
  driver: mysql
  mysql:
    dsn: root@tcp(127.0.0.1:3306)/test
    operations: [{sql: "SELECT 1"}]
    teardown: [%q]
load: {executor: constant-arrival-rate, rate: 20, duration: 30s, pre_allocated_vus: 2}
`, tc.teardown))
			code, stderr := interruptRun(t, file)
			if code != exitFailed || strings.Contains(stderr, said) != tc.want {
				t.Errorf("exit %d, stderr %q; want exit 1 and %q said: %v", code, stderr, said, tc.want)
			}
		})
	}
}

// interruptRun runs file in a poolload process, sends it SIGINT once the
// target is prepared (its first line is out) and returns its exit code and
// stderr. Each step is bounded by 20 s.
func interruptRun(t *testing.T, file string) (int, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "run", "-q", "--no-plots", "--out", t.TempDir(), file)
	cmd.Env = append(os.Environ(), cliEnv+"=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	started := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		for first := true; sc.Scan(); {
			if first && strings.Contains(sc.Text(), " → ") {
				close(started)
				first = false
			}
		}
	}()
	select {
	case <-started:
	case <-time.After(20 * time.Second):
		t.Fatalf("the run did not start within 20 s; stderr %q", stderr.String())
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case <-exited:
	case <-time.After(20 * time.Second):
		t.Fatal("still running 20 s after Ctrl-C")
	}
	return cmd.ProcessState.ExitCode(), stderr.String()
}
