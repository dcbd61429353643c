package runner

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
)

// watchScript waits for EOF on its stdin, then kills process group $1.
// dash's kill takes no "--", so the group is given as -PGID after -9.
const watchScript = `read _; kill -9 -"$1"`

// groupWatch kills a process group when poolload dies, however it dies.
// The parent-death signal (groupAttr) reaches only poolload's direct child:
// the shell of `sh -c 'node server.js & wait'` dies, node lives on. The
// watcher is a shell in a process group of its own (so a Ctrl-C to
// poolload's group, or a second one that kills poolload, spares it) whose
// stdin is a pipe whose write end only poolload holds and never writes:
// when poolload exits, even by SIGKILL, the kernel closes that end, the
// watcher's read returns and it kills the group.
type groupWatch struct {
	cmd *exec.Cmd
	w   *os.File // the pipe's write end; closing it fires the watcher
}

// watchGroup starts a watcher of process group pgid.
func watchGroup(pgid int) (*groupWatch, error) {
	r, w, err := os.Pipe() // close-on-exec: no other child inherits w
	if err != nil {
		return nil, fmt.Errorf("watching process group %d: %w", pgid, err)
	}
	defer r.Close() // the watcher holds its own copy
	cmd := exec.Command("sh", "-c", watchScript, "sh", strconv.Itoa(pgid))
	cmd.Stdin = r
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		w.Close()
		return nil, fmt.Errorf("watching process group %d: %w", pgid, err)
	}
	return &groupWatch{cmd: cmd, w: w}, nil
}

// stop kills and reaps the watcher without letting it fire. It comes before
// the group is stopped, so that a watcher never outlives its group and
// signals a process group id the system has handed out again. A nil
// watcher is a no-op.
func (g *groupWatch) stop() {
	if g == nil {
		return
	}
	_ = g.cmd.Process.Kill()
	_ = g.cmd.Wait()
	_ = g.w.Close()
}

// pid is the watcher's process id, for tests.
func (g *groupWatch) pid() int { return g.cmd.Process.Pid }
