package managed

import "syscall"

// sysProcAttr makes the kernel kill the server when the thread that started
// it dies, so a crashed or killed poolload never leaves a mariadbd behind.
// (Go does not retire the threads of goroutines that are not locked to one,
// so the thread lives as long as the process.)
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
