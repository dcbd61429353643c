package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/poolload/poolload/record"
)

// mergePoll is how often merge --wait looks again at the records it waits
// for: segments end together, so a few seconds late is nothing, and each
// look reads every record that is not finished yet.
const mergePoll = 2 * time.Second

// notYet says a record is not there or not finished yet: merge --wait
// looks again.
type notYet string

func (e notYet) Error() string { return string(e) }

// segmentRecords resolves merge's RECORD arguments: each is a record, or a
// folder a run wrote its one record into (run --out DIR), so that a
// command written before the runs, as a Kubernetes manifest is, can name
// the records without a shell to expand a glob. With wait > 0 it waits
// that long for every record to exist and be finished, as a merge Job
// started beside the segments' Job must; it names what it still lacks.
func segmentRecords(ctx context.Context, args []string, wait time.Duration, log io.Writer) ([]string, error) {
	deadline := time.Now().Add(wait)
	dirs := make([]string, len(args))
	announced := false
	for {
		var pending []string
		for i, a := range args {
			if dirs[i] != "" {
				continue
			}
			d, err := finishedRecord(a, wait > 0)
			switch {
			case errors.As(err, new(notYet)) && wait > 0:
				pending = append(pending, err.Error())
			case err != nil:
				return nil, err
			default:
				dirs[i] = d
			}
		}
		if len(pending) == 0 {
			return dirs, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("waited %s for the segments' records; still missing: %s", wait, strings.Join(pending, ", "))
		}
		if !announced {
			fmt.Fprintf(log, "poolload: waiting up to %s for %d records: %s\n", wait, len(pending), strings.Join(pending, ", "))
			announced = true
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("stopped waiting for the segments' records: %w", ctx.Err())
		case <-time.After(mergePoll):
		}
	}
}

// finishedRecord returns the record that arg is or holds. When finished is
// set, a record still running, or a folder with no record yet, is
// notYet.
func finishedRecord(arg string, finished bool) (string, error) {
	dir := arg
	if _, err := os.Stat(filepath.Join(arg, record.RunFile)); err != nil {
		found, err := recordsIn(arg)
		switch {
		case errors.Is(err, os.ErrNotExist):
			return "", notYet(arg + " does not exist yet")
		case err != nil:
			return "", fmt.Errorf("reading %s: %w", arg, err)
		case len(found) == 0:
			return "", notYet(arg + " holds no run record yet")
		case len(found) > 1:
			// A retried pod, or a folder reused: which one is meant is
			// not for merge to guess.
			return "", fmt.Errorf("%s holds %d run records (%s): name the one to merge", arg, len(found), strings.Join(found, ", "))
		}
		dir = found[0]
	}
	if !finished {
		return dir, nil
	}
	r, err := record.Open(dir)
	if err != nil {
		return "", notYet(dir + " is being written") // its run has not written every file yet
	}
	if r.Info.Status == record.StatusRunning {
		return "", notYet(dir + " is still running")
	}
	return dir, nil
}

// recordsIn lists the run records directly under dir.
func recordsIn(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var found []string
	for _, e := range ents {
		p := filepath.Join(dir, e.Name())
		if _, err := os.Stat(filepath.Join(p, record.RunFile)); e.IsDir() && err == nil {
			found = append(found, p)
		}
	}
	return found, nil
}
