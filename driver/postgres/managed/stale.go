package managed

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// dirPrefix names every managed server's temporary directory, so that a
// later start can find the ones a killed poolload left behind.
const dirPrefix = "poolload-postgres-"

// ownerFile holds "pid starttime" of the process that created the
// directory. The start time tells a live owner from a new process that
// was given the same pid.
const ownerFile = "owner"

// orphanAge is how old a directory without an owner file must be before
// it counts as abandoned: a Start in another process may be between
// creating the directory and writing the file.
const orphanAge = time.Minute

// claim writes the owner file of dir for this process.
func claim(dir string) error {
	id, err := processID(os.Getpid())
	if err != nil {
		return fmt.Errorf("naming the managed server's owner: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(id), 0o644); err != nil {
		return fmt.Errorf("writing the managed server's owner file: %w", err)
	}
	return nil
}

// RemoveStale deletes the directories of managed servers whose owner
// process is gone: a poolload killed with SIGKILL takes its postgres down
// with it (parent-death signal) but cannot remove the ~40 MB of data it
// leaves in the temporary folder. It returns the directories removed;
// errors on one directory do not stop the others, and are returned
// joined.
func RemoveStale(tmp string) ([]string, error) {
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return nil, fmt.Errorf("listing %s for stale managed servers: %w", tmp, err)
	}
	var removed []string
	var errs []string
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), dirPrefix) {
			continue
		}
		dir := filepath.Join(tmp, e.Name())
		if !abandoned(dir) {
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

// abandoned reports whether no live process owns dir.
func abandoned(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, ownerFile))
	if err != nil {
		st, serr := os.Stat(dir)
		if serr != nil || time.Since(st.ModTime()) < orphanAge {
			return false
		}
		// Its owner died before writing one: only a server still running
		// in it keeps it.
		return !serverRunsIn(dir)
	}
	pid, err := strconv.Atoi(strings.Fields(string(b) + " x")[0])
	if err != nil || pid <= 0 {
		return !serverRunsIn(dir)
	}
	id, err := processID(pid)
	if err == nil && id == strings.TrimSpace(string(b)) {
		return false
	}
	return !serverRunsIn(dir)
}

// serverRunsIn reports whether the postmaster named in dir's
// postmaster.pid (its first line) is alive and serving that directory.
func serverRunsIn(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, "data", "postmaster.pid"))
	if err != nil {
		return false
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || pid <= 0 {
		return false
	}
	return processServes(pid, dir)
}
