package managed

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/poolload/poolload/driver/serverdir"
)

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
// with it, and the next start removes the directory it left, and says so.
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
		if _, err := serverdir.ProcessID(pid); err != nil {
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
	// The next start, in the same temporary folder, removes it and says
	// so: Removed is what the driver's Warnings print before the run.
	t.Setenv("TMPDIR", tmp)
	s, err := Start(context.Background(), nil)
	if err != nil {
		t.Fatalf("the next start: %v", err)
	}
	defer s.Stop()
	if !slices.Contains(s.Removed, dir) {
		t.Errorf("the next start's Removed = %v; want %s", s.Removed, dir)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("%s is still there after the next start: %v", dir, err)
	}
}
