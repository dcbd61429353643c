package managed

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// attr runs a process as the account. A server (long-lived) also gets a
// parent-death signal, so a crashed or killed poolload never leaves a
// postgres behind: SIGQUIT, postgres's immediate shutdown, which still
// releases its shared memory. (Go sets the signal after switching user,
// which would clear it, and does not retire the threads of goroutines
// that are not locked to one, so the thread lives as long as the
// process.)
func (a account) attr(server bool) *syscall.SysProcAttr {
	attr := &syscall.SysProcAttr{}
	if a.switched {
		attr.Credential = &syscall.Credential{Uid: a.uid, Gid: a.gid, NoSetGroups: true}
	}
	if server {
		attr.Pdeathsig = syscall.SIGQUIT
	}
	return attr
}

// processID names a live process as "pid starttime": the start time (in
// clock ticks since boot, /proc/PID/stat field 22) changes when a pid is
// reused.
func processID(pid int) (string, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "", err
	}
	// The command name (field 2) may hold spaces and parentheses: count
	// fields from the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return "", fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state); the start time is field 22.
	if len(f) < 20 {
		return "", fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	if f[0] == "Z" {
		return "", fmt.Errorf("process %d has exited", pid)
	}
	return strconv.Itoa(pid) + " " + f[19], nil
}

// processServes reports whether pid is alive and has dir on its command
// line (postgres -D DIR/data).
func processServes(pid int, dir string) bool {
	if _, err := processID(pid); err != nil {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	return err == nil && bytes.Contains(b, []byte(dir))
}
