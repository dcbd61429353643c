//go:build !linux

package runner

import "syscall"

// groupAttr starts a command in its own process group. Outside Linux there
// is no parent-death signal: groupWatch alone kills the group of a
// poolload killed with -9.
func groupAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }
