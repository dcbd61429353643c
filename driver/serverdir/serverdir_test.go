package serverdir

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"
)

// testLayout's pid file has more than one line, as PostgreSQL's
// postmaster.pid: the pid is the first.
var testLayout = Layout{Prefix: "poolload-test-", PidFile: "server.pid"}

func TestRemoveStale(t *testing.T) {
	tmp := t.TempDir()
	self, err := ProcessID(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	deadPid := strconv.Itoa(dead.Process.Pid)
	old := time.Now().Add(-2 * OrphanAge)
	cases := []struct {
		name, owner string
		aged        bool
		removed     bool
	}{
		{name: testLayout.Prefix + "dead", owner: deadPid + " 12345", removed: true},
		{name: testLayout.Prefix + "live", owner: self, removed: false},
		{name: testLayout.Prefix + "reused-pid", owner: strconv.Itoa(os.Getpid()) + " 1", removed: true},
		{name: testLayout.Prefix + "garbled", owner: "not a pid", removed: true},
		{name: testLayout.Prefix + "no-owner-new", removed: false},
		{name: testLayout.Prefix + "no-owner-old", aged: true, removed: true},
		{name: "someone-else", owner: deadPid + " 1", aged: true, removed: false},
	}
	for _, c := range cases {
		dir := filepath.Join(tmp, c.name)
		if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
			t.Fatal(err)
		}
		if c.owner != "" {
			if err := os.WriteFile(filepath.Join(dir, OwnerFile), []byte(c.owner), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		if c.aged {
			if err := os.Chtimes(dir, old, old); err != nil {
				t.Fatal(err)
			}
		}
	}
	removed, err := testLayout.RemoveStale(tmp)
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
	dir := filepath.Join(tmp, testLayout.Prefix+"running")
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
	for deadline := time.Now().Add(5 * time.Second); !ProcessServes(srv.Process.Pid, dir); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the stand-in server never showed its command line")
		}
	}
	os.WriteFile(filepath.Join(dir, OwnerFile), []byte("999999999 1"), 0o600)
	os.WriteFile(filepath.Join(dir, testLayout.PidFile), []byte(strconv.Itoa(srv.Process.Pid)+"\n"+dir+"\n"), 0o600)
	if removed, err := testLayout.RemoveStale(tmp); err != nil || len(removed) != 0 {
		t.Fatalf("RemoveStale = %v, %v; the server still runs", removed, err)
	}
}
