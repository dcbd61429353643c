//go:build !linux

package managed

import "syscall"

// attr runs a process as the account; there is no parent-death signal
// outside Linux, so Stop must run.
func (a account) attr(bool) *syscall.SysProcAttr {
	attr := &syscall.SysProcAttr{}
	if a.switched {
		attr.Credential = &syscall.Credential{Uid: a.uid, Gid: a.gid, NoSetGroups: true}
	}
	return attr
}
