// Package serverdir keeps the temporary folders of the servers poolload
// starts itself (a managed MariaDB, a managed PostgreSQL): each folder
// names the process that owns it, so that a later start can remove the
// folders a killed poolload left behind without touching one a live
// process or a running server still uses.
package serverdir

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Layout says how one kind of server's folders look.
type Layout struct {
	// Prefix starts every folder's name (os.MkdirTemp's pattern), so
	// that RemoveStale can find them among the temporary folder's others.
	Prefix string
	// PidFile is the server's pid file inside the folder, whose first
	// line is the server's pid.
	PidFile string
}

// OwnerFile holds "pid starttime" of the process that created the
// folder. The start time tells a live owner from a new process that was
// given the same pid.
const OwnerFile = "owner"

// OrphanAge is how old a folder without an owner file must be before it
// counts as abandoned: a start in another process may be between creating
// the folder and writing the file.
const OrphanAge = time.Minute

// Claim writes the owner file of dir for this process.
func Claim(dir string) error {
	id, err := ProcessID(os.Getpid())
	if err != nil {
		return fmt.Errorf("naming the managed server's owner: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, OwnerFile), []byte(id), 0o644); err != nil {
		return fmt.Errorf("writing the managed server's owner file: %w", err)
	}
	return nil
}

// RemoveStale deletes the folders under tmp whose owner process is gone
// and whose server is not running: a poolload killed with SIGKILL takes
// its server down with it (parent-death signal) but cannot remove the
// tens of megabytes of data it leaves. It returns the folders removed;
// errors on one folder do not stop the others, and are returned joined.
func (l Layout) RemoveStale(tmp string) ([]string, error) {
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return nil, fmt.Errorf("listing %s for stale managed servers: %w", tmp, err)
	}
	var removed, errs []string
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), l.Prefix) {
			continue
		}
		dir := filepath.Join(tmp, e.Name())
		if !l.abandoned(dir) {
			continue
		}
		if err := os.RemoveAll(dir); err != nil {
			errs = append(errs, err.Error())
			continue
		}
		removed = append(removed, dir)
	}
	if len(errs) > 0 {
		return removed, fmt.Errorf("removing stale managed servers: %s", strings.Join(errs, "; "))
	}
	return removed, nil
}

// abandoned reports whether no live process owns dir and no server runs
// in it.
func (l Layout) abandoned(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, OwnerFile))
	if err != nil {
		st, serr := os.Stat(dir)
		if serr != nil || time.Since(st.ModTime()) < OrphanAge {
			return false
		}
		// Written before owner files existed, or its owner died before
		// writing one: only a server still running in it keeps it.
		return !l.serverRunsIn(dir)
	}
	pid, err := strconv.Atoi(strings.Fields(string(b) + " x")[0])
	if err != nil || pid <= 0 {
		return !l.serverRunsIn(dir)
	}
	if id, err := ProcessID(pid); err == nil && id == strings.TrimSpace(string(b)) {
		return false
	}
	return !l.serverRunsIn(dir)
}

// serverRunsIn reports whether the server named in dir's pid file is alive
// and serving that folder.
func (l Layout) serverRunsIn(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, l.PidFile))
	if err != nil {
		return false
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || pid <= 0 {
		return false
	}
	return ProcessServes(pid, dir)
}
