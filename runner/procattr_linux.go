package runner

import "syscall"

// groupAttr starts a command in its own process group, and has the kernel
// kill it if poolload dies without stopping it (kill -9, a crash): a
// service left running would hold its port and its pool's connections
// into the next run. The signal reaches only this child, not what it
// starts: groupWatch takes care of the rest of its group.
func groupAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
