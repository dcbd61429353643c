package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/poolload/poolload/record"
)

func mergeCommand() *cli.Command {
	return &cli.Command{
		Name:      "merge",
		Usage:     "merge the records of a load's segments (run --segment i/N) into one record; a RECORD may be the --out folder a segment wrote its one record into",
		ArgsUsage: "OUT RECORD...",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "no-plots", Usage: "do not render plots into the merged record"},
			&cli.DurationFlag{Name: "wait", Usage: "wait up to this long for every RECORD to exist and be finished (a merge Job started beside the segments)"},
		},
		Action: mergeAction,
	}
}

func mergeAction(c *cli.Context) error {
	if c.NArg() < 2 {
		return badInput("merge needs OUT and at least one segment record")
	}
	out := c.Args().First()
	dirs, err := segmentRecords(c.Context, c.Args().Tail(), c.Duration("wait"), c.App.ErrWriter)
	if err != nil {
		return &exitError{code: exitBadInput, err: err}
	}
	start := time.Now()
	rep, err := record.Merge(out, dirs)
	if err != nil {
		return &exitError{code: exitBadInput, err: err}
	}
	rec, err := record.Open(out)
	if err != nil {
		return &exitError{code: exitFailed, err: err}
	}
	w := c.App.Writer
	fmt.Fprintf(w, "merged %d segments into %s in %s\n", rep.Segments, out, time.Since(start).Round(time.Millisecond))
	for k, spread := range rep.T0Spread {
		wi := rec.Info.Windows[k]
		fmt.Fprintf(w, "  %s %d: t0 spread %s across segments, %d iterations started of %d planned\n",
			wi.Variant, wi.Rep, spread.Round(10*time.Microsecond), wi.Totals.Started(), wi.Planned)
	}
	fmt.Fprintln(w)
	failed, err := summarize(c, out, !c.Bool("no-plots"))
	if err != nil {
		return &exitError{code: exitFailed, err: err}
	}
	// The merged record exits as the one-process run would have: a
	// segment that failed or was interrupted fails the load, then the
	// thresholds, which only the whole load can judge.
	if st := rec.Info.Status; st != record.StatusComplete {
		return &exitError{code: exitFailed, err: fmt.Errorf("the merged load is %s: %s", st, rec.Info.Error)}
	}
	if failed {
		return &exitError{code: exitThreshold, err: errors.New("some thresholds failed")}
	}
	return nil
}
