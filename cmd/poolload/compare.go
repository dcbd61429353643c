package main

import (
	"encoding/json"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/poolload/poolload/analysis"
)

func compareCommand() *cli.Command {
	return &cli.Command{
		Name:  "compare",
		Usage: "compare two run records, e.g. before and after a pool change (B against A)",
		Description: "Each variant of RUN_A is compared with the variant of the same name in RUN_B (or the only\n" +
			"variant of each): medians, the ratio B/A and a 95% bootstrap interval on B−A. Records whose\n" +
			"executors differ, or whose offered rates differ by more than 10%, are refused (exit 2).",
		ArgsUsage: "RUN_A RUN_B",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print the comparison as JSON"},
		},
		Action: compareAction,
	}
}

func compareAction(c *cli.Context) error {
	dirs, err := recordArgs(c, 2)
	if err != nil {
		return err
	}
	a, err := openRecord(c, dirs[0])
	if err != nil {
		return err
	}
	b, err := openRecord(c, dirs[1])
	if err != nil {
		return err
	}
	rc, err := analysis.CompareRecords(a, b)
	if err != nil {
		return badInput("%w", err)
	}
	if c.Bool("json") {
		out, err := json.MarshalIndent(rc, "", "  ")
		if err != nil {
			return &exitError{code: exitFailed, err: fmt.Errorf("encoding the comparison: %w", err)}
		}
		fmt.Fprintf(c.App.Writer, "%s\n", out)
		return nil
	}
	rc.WriteText(c.App.Writer)
	return nil
}
