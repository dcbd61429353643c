package main

import (
	"encoding/json"

	"github.com/urfave/cli/v2"

	"github.com/poolload/poolload/analysis"
)

func diagnoseCommand() *cli.Command {
	return &cli.Command{
		Name:  "diagnose",
		Usage: "say what is wrong with the pool in a run record, with the evidence and what to change",
		Description: "Reads the signatures of known problems (generator saturation, pool starvation, too few VUs,\n" +
			"idle connection deaths, server connection headroom, thread cache misses) in RUN and prints\n" +
			"the findings, most severe first. A healthy run prints that no problem was found.",
		ArgsUsage: "RUN",
		Flags:     []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print the findings as JSON"}},
		Action:    diagnoseAction,
	}
}

func diagnoseAction(c *cli.Context) error {
	_, rec, err := theRecord(c)
	if err != nil {
		return err
	}
	// nil summary: Summarize calls Diagnose itself, and no check needs it.
	fs := analysis.Diagnose(rec, nil)
	if c.Bool("json") {
		if fs == nil {
			fs = []analysis.Finding{}
		}
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		return enc.Encode(fs)
	}
	analysis.WriteFindings(c.App.Writer, fs)
	return nil
}
