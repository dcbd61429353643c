//go:build !linux

package managed

import "syscall"

// sysProcAttr: there is no parent-death signal outside Linux; Stop must run.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{} }
