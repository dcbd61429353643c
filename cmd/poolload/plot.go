package main

import (
	"fmt"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/poolload/poolload/plots"
	"github.com/poolload/poolload/record"
)

func plotCommand() *cli.Command {
	return &cli.Command{
		Name:      "plot",
		Usage:     "render a run record's plots (PNG and SVG) into RUN/plots",
		ArgsUsage: "RUN",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Usage: "directory for the plots (default RUN/plots)"},
		},
		Action: func(c *cli.Context) error {
			dir, rec, err := theRecord(c)
			if err != nil {
				return err
			}
			out := c.String("out")
			if out == "" {
				out = filepath.Join(dir, record.PlotsDir)
			}
			files, err := plots.Render(rec, out)
			for _, f := range files {
				fmt.Fprintln(c.App.Writer, f)
			}
			if err != nil {
				return &exitError{code: exitFailed, err: err}
			}
			return nil
		},
	}
}
