package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/poolload/poolload/analysis"
	"github.com/poolload/poolload/record"
)

func checkCommand() *cli.Command {
	return &cli.Command{
		Name:      "check",
		Usage:     "evaluate a run record's thresholds (exit 99 if any fails)",
		ArgsUsage: "RUN",
		Action:    checkAction,
	}
}

func checkAction(c *cli.Context) error {
	dir, rec, err := theRecord(c)
	if err != nil {
		return err
	}
	th, err := analysis.ThresholdsOf(rec)
	if err != nil {
		return badInput("%s: %w", dir, err)
	}
	if len(th) == 0 {
		fmt.Fprintln(c.App.Writer, "no thresholds: the scenario of this record sets none")
		return nil
	}
	results := analysis.Evaluate(rec, th)
	if analysis.WriteThresholds(c.App.Writer, results) {
		failed := 0
		for _, r := range results {
			if !r.Pass {
				failed++
			}
		}
		return &exitError{code: exitThreshold, err: fmt.Errorf("%d of %d thresholds failed", failed, len(results))}
	}
	return nil
}

// recordArgs returns exactly n RUN directories. As with oneFile, a flag
// written after them would be silently ignored by urfave/cli v2: refuse it.
func recordArgs(c *cli.Context, n int) ([]string, error) {
	args := c.Args().Slice()
	usage := fmt.Sprintf("usage: poolload %s [flags] %s", c.Command.Name, c.Command.ArgsUsage)
	if len(args) < n {
		return nil, badInput("%s: %s is required (%s)", c.Command.Name, c.Command.ArgsUsage, usage)
	}
	if len(args) > n {
		return nil, badInput("%s: unexpected arguments after %s: %q (flags go before %s)",
			c.Command.Name, args[n-1], args[n:], c.Command.ArgsUsage)
	}
	return args, nil
}

// theRecord reads the single RUN argument's record.
func theRecord(c *cli.Context) (string, *record.Record, error) {
	dirs, err := recordArgs(c, 1)
	if err != nil {
		return "", nil, err
	}
	rec, err := openRecord(c, dirs[0])
	return dirs[0], rec, err
}

// openRecord reads the run record in dir; anything that is not one is bad
// input.
func openRecord(c *cli.Context, dir string) (*record.Record, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, badInput("%s is not a run record: %w", dir, err)
	}
	if !st.IsDir() {
		return nil, badInput("%s is not a run record: a record is a directory holding %s", dir, record.RunFile)
	}
	rec, err := record.Open(dir)
	if err != nil {
		return nil, badInput("%s is not a run record: %w", dir, err)
	}
	for _, w := range rec.Warnings {
		fmt.Fprintf(c.App.ErrWriter, "poolload: warning: %s\n", w)
	}
	return rec, nil
}
