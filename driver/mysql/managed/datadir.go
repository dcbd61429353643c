package managed

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// installArgs are mariadb-install-db's options besides the data directory.
// "normal" authentication gives root a plain empty password over TCP, as
// the DSN we hand out expects.
func installArgs() []string {
	args := append([]string{"--no-defaults", "--auth-root-authentication-method=normal", "--skip-test-db"},
		rootArgs()...)
	return append(args, baseArgs...)
}

// prepareDataDir puts a fresh data directory at dst. mariadb-install-db
// issues ~1000 fdatasyncs (DDL recovery log, Aria), which takes from under
// a second to over ten on a busy disk, so its result is kept as a template
// in the user's cache directory and copied for each server. Without a
// usable cache directory it installs in place.
func prepareDataDir(ctx context.Context, mariadbd, installDB, dst string) error {
	tmpl, err := template(ctx, mariadbd, installDB)
	if err != nil {
		return install(ctx, installDB, dst)
	}
	if err := copyTree(tmpl, dst); err != nil {
		return fmt.Errorf("copying the data directory template %s: %w", tmpl, err)
	}
	return nil
}

// install creates the system tables in dst.
func install(ctx context.Context, installDB, dst string) error {
	cmd := exec.CommandContext(ctx, installDB, append(installArgs(), "--datadir="+dst)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("creating the managed server's data directory with %s: %w\n%s",
			installDB, err, tail(string(out), 15))
	}
	return nil
}

// template returns a cached, complete data directory for this mariadbd
// binary and these install options, building it if needed. Concurrent
// builders each build in a directory of their own and the first rename
// wins, so a reader never sees a half-built template.
func template(ctx context.Context, mariadbd, installDB string) (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	st, err := os.Stat(mariadbd)
	if err != nil {
		return "", err
	}
	h := sha256.Sum256(fmt.Appendf(nil, "%s|%d|%d|%s", mariadbd, st.Size(), st.ModTime().UnixNano(),
		strings.Join(installArgs(), " ")))
	root := filepath.Join(cache, "poolload")
	final := filepath.Join(root, "mariadb-datadir-"+hex.EncodeToString(h[:6]))
	if _, err := os.Stat(filepath.Join(final, "mysql")); err == nil {
		return final, nil
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(root, "building-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp) // a no-op once renamed
	if err := install(ctx, installDB, tmp); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, final); err != nil {
		if _, serr := os.Stat(filepath.Join(final, "mysql")); serr != nil {
			return "", errors.Join(err, serr)
		}
	}
	return final, nil
}

// copyTree copies directory src to dst (which must not exist), keeping
// permissions. Data directories hold only plain files and directories.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.Mkdir(target, info.Mode().Perm())
		}
		return copyFile(path, target, info.Mode().Perm())
	})
}

func copyFile(src, dst string, perm fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
