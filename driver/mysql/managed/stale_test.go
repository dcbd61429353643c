package managed

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestRemoveStale(t *testing.T) {
	tmp := t.TempDir()
	self, err := processID(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	deadPid := strconv.Itoa(dead.Process.Pid)
	old := time.Now().Add(-2 * orphanAge)
	cases := []struct {
		name, owner string
		aged        bool
		removed     bool
	}{
		{name: dirPrefix + "dead", owner: deadPid + " 12345", removed: true},
		{name: dirPrefix + "live", owner: self, removed: false},
		{name: dirPrefix + "reused-pid", owner: strconv.Itoa(os.Getpid()) + " 1", removed: true},
		{name: dirPrefix + "garbled", owner: "not a pid", removed: true},
		{name: dirPrefix + "no-owner-new", removed: false},
		{name: dirPrefix + "no-owner-old", aged: true, removed: true},
		{name: "someone-else", owner: deadPid + " 1", aged: true, removed: false},
	}
	for _, c := range cases {
		dir := filepath.Join(tmp, c.name)
		if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
			t.Fatal(err)
		}
		if c.owner != "" {
			if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(c.owner), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		if c.aged {
			if err := os.Chtimes(dir, old, old); err != nil {
				t.Fatal(err)
			}
		}
	}
	removed, err := RemoveStale(tmp)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		dir := filepath.Join(tmp, c.name)
		_, statErr := os.Stat(dir)
		gone := os.IsNotExist(statErr)
		if gone != c.removed || slices.Contains(removed, dir) != c.removed {
			t.Errorf("%s: removed=%v (listed %v), want %v", c.name, gone, slices.Contains(removed, dir), c.removed)
		}
	}
}

// A directory whose server is still running is kept even when the owner
// file names a dead process: removing it would pull the data from under
// a live server.
func TestRemoveStaleKeepsARunningServer(t *testing.T) {
	tmp := t.TempDir()
	dir := filepath.Join(tmp, dirPrefix+"running")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// A stand-in server whose command line names the directory. (Not
	// "sleep 30 DIR": GNU sleep rejects DIR and exits at once.) The
	// second command keeps sh from exec'ing sleep in its place.
	srv := exec.Command("sh", "-c", "sleep 30; exit 0", dir)
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { srv.Process.Kill(); srv.Wait() }()
	// Between fork and exec the child still shows the test's command line.
	for deadline := time.Now().Add(5 * time.Second); !processServes(srv.Process.Pid, dir); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the stand-in server never showed its command line")
		}
	}
	os.WriteFile(filepath.Join(dir, ownerFile), []byte("999999999 1"), 0o600)
	os.WriteFile(filepath.Join(dir, "mariadbd.pid"), []byte(strconv.Itoa(srv.Process.Pid)+"\n"), 0o600)
	if removed, err := RemoveStale(tmp); err != nil || len(removed) != 0 {
		t.Fatalf("RemoveStale = %v, %v; the server still runs", removed, err)
	}
}

// childEnv makes the test binary a process that starts a managed server,
// prints its directory and pid, and waits to be killed.
const childEnv = "POOLLOAD_MANAGED_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		s, err := Start(context.Background(), nil)
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println(s.Dir(), s.cmd.Process.Pid)
		select {}
	}
	os.Exit(m.Run())
}

// kill -9 of the process that started a managed server: the server dies
// with it, and the next start removes the directory it left.
func TestKilledOwnerIsCleanedAtNextStart(t *testing.T) {
	if _, _, err := find(); err != nil {
		t.Fatalf("mariadbd is needed for this test (apt-get install mariadb-server): %v", err)
	}
	tmp := t.TempDir()
	child := exec.Command(os.Args[0], "-test.run=NONE")
	child.Env = append(os.Environ(), childEnv+"=1", "TMPDIR="+tmp)
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer child.Process.Kill()
	line := make(chan string, 1)
	go func() {
		r := bufio.NewReader(out)
		s, _ := r.ReadString('\n')
		line <- s
	}()
	var got string
	select {
	case got = <-line:
	case <-time.After(StartTimeout + 10*time.Second):
		t.Fatal("the child did not start its server")
	}
	f := strings.Fields(got)
	if len(f) != 2 || f[0] == "error" {
		t.Fatalf("child said %q", got)
	}
	dir := f[0]
	pid, _ := strconv.Atoi(f[1])
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := processID(pid); err != nil {
			break
		}
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("mariadbd %d outlived its owner's kill -9 by 5 s", pid)
		}
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("the killed owner's directory should still be there before the next start: %v", err)
	}
	removed, err := RemoveStale(tmp)
	if err != nil || !slices.Contains(removed, dir) {
		t.Fatalf("RemoveStale = %v, %v; want %s removed", removed, err, dir)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("%s is still there: %v", dir, err)
	}
}
