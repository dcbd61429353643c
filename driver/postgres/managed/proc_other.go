//go:build !linux

package managed

import (
	"errors"
	"strconv"
	"syscall"
)

// attr runs a process as the account; there is no parent-death signal
// outside Linux, so Stop must run.
func (a account) attr(bool) *syscall.SysProcAttr {
	attr := &syscall.SysProcAttr{}
	if a.switched {
		attr.Credential = &syscall.Credential{Uid: a.uid, Gid: a.gid, NoSetGroups: true}
	}
	return attr
}

// processID names a live process by its pid alone: without /proc a reused
// pid cannot be told apart, which only keeps a stale directory longer.
func processID(pid int) (string, error) {
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return "", err
	}
	return strconv.Itoa(pid), nil
}

// processServes: without /proc, a live pid is taken to serve dir.
func processServes(pid int, _ string) bool {
	_, err := processID(pid)
	return err == nil
}
