//go:build !linux

package serverdir

import (
	"errors"
	"strconv"
	"syscall"
)

// ProcessID names a live process by its pid alone: without /proc a reused
// pid cannot be told apart, which only keeps a stale folder longer.
func ProcessID(pid int) (string, error) {
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return "", err
	}
	return strconv.Itoa(pid), nil
}

// ProcessServes: without /proc, a live pid is taken to serve dir.
func ProcessServes(pid int, _ string) bool {
	_, err := ProcessID(pid)
	return err == nil
}
