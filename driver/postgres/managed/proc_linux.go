package managed

import "syscall"

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
