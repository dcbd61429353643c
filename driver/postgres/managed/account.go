package managed

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
)

// account is the OS user the server runs as: postgres refuses to run as
// root, so a root poolload runs it as the postgres user (Debian's
// package creates one); anyone else runs it as themselves.
type account struct {
	uid, gid uint32
	switched bool // not the current user
}

// serverUser chooses the account.
func serverUser() (account, error) {
	if os.Geteuid() != 0 {
		return account{uid: uint32(os.Geteuid()), gid: uint32(os.Getegid())}, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return account{}, fmt.Errorf("postgres does not run as root and there is no postgres user to run it as "+
			"(apt-get install postgresql creates one): %w", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return account{}, fmt.Errorf("reading the postgres user's ids %q:%q", u.Uid, u.Gid)
	}
	return account{uid: uint32(uid), gid: uint32(gid), switched: true}, nil
}

// own gives dir (and what is in it) to the account.
func (a account) own(dir string) error {
	if !a.switched {
		return nil
	}
	return filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if err := os.Lchown(p, int(a.uid), int(a.gid)); err != nil {
			return fmt.Errorf("giving the managed server's directory to the postgres user: %w", err)
		}
		return nil
	})
}
