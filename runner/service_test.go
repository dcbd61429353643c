package runner

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/poolload/poolload/scenario"
	"github.com/poolload/poolload/units"
)

// The test binary doubles as the service: with POOLLOAD_TEST_SERVICE set
// it serves its pid on that address until killed.
func init() {
	if addr := os.Getenv("POOLLOAD_TEST_PARENT"); addr != "" {
		actAsPoolload(addr)
	}
	addr := os.Getenv("POOLLOAD_TEST_SERVICE")
	if addr == "" {
		return
	}
	if d, err := time.ParseDuration(os.Getenv("POOLLOAD_TEST_SERVICE_DELAY")); err == nil {
		time.Sleep(d)
	}
	http.HandleFunc("/pid", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, os.Getpid()) })
	fmt.Println("serving on", addr)
	_ = http.ListenAndServe(addr, nil)
	os.Exit(1)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func serviceCmd(addr, delay string) string {
	return fmt.Sprintf("POOLLOAD_TEST_SERVICE=%s POOLLOAD_TEST_SERVICE_DELAY=%s exec %s -test.run=NONE", addr, delay, os.Args[0])
}

func getPid(t *testing.T, addr string) string {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/pid")
	if err != nil {
		t.Fatalf("the service does not answer: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func TestServiceStartRestartStop(t *testing.T) {
	addr := freeAddr(t)
	ready, err := scenario.ParseProbe("/pid", "http://"+addr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	svc, err := StartService(ctx, scenario.ServiceConfig{Run: serviceCmd(addr, "200ms")}, ready)
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Stop()
	first := getPid(t, addr) // ready means it answers at once, though it started late
	if w := watchers(t); len(w) != 1 {
		t.Errorf("%d watchers of the service's group, want 1", len(w))
	}
	if err := svc.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if second := getPid(t, addr); second == first {
		t.Errorf("restart kept the same process %s", first)
	}
	if w := watchers(t); len(w) != 1 {
		t.Errorf("%d watchers after a restart, want 1: the first one's was left behind", len(w))
	}
	if err := svc.Stop(); err != nil {
		t.Fatal(err)
	}
	if left := children(t); len(left) != 0 {
		t.Errorf("left behind after Stop, watchers included: %v", left)
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Fatal("the service still listens after Stop")
	}
	if err := svc.Stop(); err != nil {
		t.Errorf("a second Stop: %v", err)
	}
}

func TestServiceThatDoesNotStart(t *testing.T) {
	ctx := context.Background()
	addr := freeAddr(t)
	ready, _ := scenario.ParseProbe("tcp://"+addr, "")
	cases := []struct {
		name, run string
		timeout   time.Duration
		want      []string
	}{
		{"exits", "echo missing config file; exit 3", 10 * time.Second,
			[]string{"exited before it was ready (exit status 3)", "missing config file"}},
		{"never ready", "echo starting; sleep 30", 300 * time.Millisecond,
			[]string{"not ready within 300ms", "connect " + addr, "starting"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			_, err := StartService(ctx, scenario.ServiceConfig{Run: tc.run, Timeout: units.Duration(tc.timeout)}, ready)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if took := time.Since(start); took > tc.timeout+stopGrace+2*time.Second {
				t.Errorf("took %v", took)
			}
		})
	}
}

func TestRunCommand(t *testing.T) {
	ctx := context.Background()
	if err := runCommand(ctx, "true"); err != nil {
		t.Fatal(err)
	}
	err := runCommand(ctx, "echo no such container >&2; exit 1")
	if err == nil || !strings.Contains(err.Error(), "no such container") {
		t.Fatalf("want the command's output in the error, got %v", err)
	}
	tctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = runCommand(tctx, "sleep 30 & sleep 30")
	if err == nil || time.Since(start) > 5*time.Second {
		t.Fatalf("a command past its timeout: err %v after %v", err, time.Since(start))
	}
	if left := children(t); len(left) != 0 {
		t.Errorf("left behind by the commands, watchers included: %v", left)
	}
}

// children returns the command lines of this process's children by pid,
// each after its state, so that a zombie (whose command line is empty)
// shows as "Z".
func children(t *testing.T) map[int]string {
	t.Helper()
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		t.Fatal(err)
	}
	out := map[int]string{}
	for _, f := range stats {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // exited meanwhile
		}
		// pid (comm) state ppid ...: comm may hold spaces and parentheses.
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		var pid, ppid int
		var state string
		if _, err := fmt.Sscan(s, &pid); err != nil || i < 0 {
			continue
		}
		if _, err := fmt.Sscan(s[i+1:], &state, &ppid); err != nil || ppid != os.Getpid() {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join(filepath.Dir(f), "cmdline"))
		out[pid] = state + " " + strings.ReplaceAll(string(cmdline), "\x00", " ")
	}
	return out
}

// watchers returns the pids of this process's group watchers.
func watchers(t *testing.T) []int {
	t.Helper()
	var out []int
	for pid, cmdline := range children(t) {
		if strings.Contains(cmdline, watchScript) {
			out = append(out, pid)
		}
	}
	return out
}

// Stop reaches what the shell started, not only the shell.
func TestServiceStopKillsTheGroup(t *testing.T) {
	addr := freeAddr(t)
	ready, _ := scenario.ParseProbe("tcp://"+addr, "")
	ctx := context.Background()
	svc, err := StartService(ctx, scenario.ServiceConfig{Run: serviceCmd(addr, "0s") + " & wait"}, ready)
	if err != nil {
		t.Fatal(err)
	}
	pid := getPid(t, addr)
	_ = svc.Stop()
	var p int
	fmt.Sscan(pid, &p)
	// An orphan may stay a zombie if nothing reaps it; dead is enough. A
	// busy machine may take a moment to deliver the signal.
	for deadline := time.Now().Add(3 * time.Second); syscall.Kill(p, 0) == nil && !zombie(p); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the service's child %d survived Stop by 3 s", p)
		}
	}
}

func zombie(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true // gone
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && i+2 < len(s) && s[i+2] == 'Z'
}

// actAsPoolload is the test binary as poolload: it starts the service
// (the test binary again, as a grandchild behind a shell when
// POOLLOAD_TEST_GRANDCHILD is set) and waits to be killed.
func actAsPoolload(addr string) {
	run := serviceCmd(addr, "0s")
	if os.Getenv("POOLLOAD_TEST_GRANDCHILD") != "" {
		run += " & wait" // as `npm start` runs node: the shell is the direct child
	}
	os.Unsetenv("POOLLOAD_TEST_PARENT") // the service is not poolload
	ready, _ := scenario.ParseProbe("tcp://"+addr, "")
	if _, err := StartService(context.Background(), scenario.ServiceConfig{Run: run}, ready); err != nil {
		fmt.Println("starting the service:", err)
		os.Exit(1)
	}
	select {}
}

// kill -9 of poolload takes its service down with it, the service's whole
// process group: the kernel sends the direct child SIGKILL when poolload's
// starting thread dies, and the group's watcher kills the rest.
func TestServiceDiesWithPoolload(t *testing.T) {
	for _, tc := range []struct {
		name, grandchild string
	}{
		{"direct child", ""},
		{"grandchild behind a shell", "1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := freeAddr(t)
			parent := exec.Command(os.Args[0], "-test.run=NONE")
			parent.Env = append(os.Environ(), "POOLLOAD_TEST_PARENT="+addr, "POOLLOAD_TEST_GRANDCHILD="+tc.grandchild)
			if err := parent.Start(); err != nil {
				t.Fatal(err)
			}
			defer parent.Process.Kill()
			p := waitPid(t, addr)
			if err := parent.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			_ = parent.Wait()
			for deadline := time.Now().Add(3 * time.Second); syscall.Kill(p, 0) == nil && !zombie(p); time.Sleep(10 * time.Millisecond) {
				if time.Now().After(deadline) {
					_ = syscall.Kill(p, syscall.SIGKILL)
					t.Fatalf("the service %d outlived poolload's kill -9 by 3 s", p)
				}
			}
		})
	}
}

// waitPid waits up to 10 s for the service on addr to answer, and returns
// its pid.
func waitPid(t *testing.T, addr string) int {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if resp, err := http.Get("http://" + addr + "/pid"); err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var p int
			fmt.Sscan(string(b), &p)
			return p
		}
		if time.Now().After(deadline) {
			t.Fatal("the service did not start")
		}
	}
}
