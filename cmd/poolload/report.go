package main

import (
	"bytes"
	"cmp"
	"fmt"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/poolload/poolload/analysis"
	"github.com/poolload/poolload/record"
)

// reportFile is the default name of the Markdown report inside a record.
const reportFile = "report.md"

func reportCommand() *cli.Command {
	return &cli.Command{
		Name:  "report",
		Usage: "write a Markdown report of a run record, or a metric's percentile spectrum",
		Description: "By default writes RUN/report.md (--out - for stdout). With --format hdr, prints the percentile\n" +
			"spectrum of --metric (over --variant, else every variant) in the HdrHistogram text layout, values\n" +
			"in milliseconds, to stdout or --out: the HdrHistogram plotter reads it unchanged.",
		ArgsUsage: "RUN",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Usage: "output file, - for stdout (default: RUN/report.md; stdout for hdr)"},
			&cli.StringFlag{Name: "format", Value: "markdown", Usage: "markdown or hdr"},
			&cli.StringFlag{Name: "metric", Value: "latency", Usage: "with --format hdr: the metric"},
			&cli.StringFlag{Name: "variant", Usage: "with --format hdr: one variant (default: all together)"},
		},
		Action: reportAction,
	}
}

func reportAction(c *cli.Context) error {
	dirs, err := recordArgs(c, 1)
	if err != nil {
		return err
	}
	format := c.String("format")
	if format != "markdown" && format != "hdr" {
		return badInput("report: unknown --format %q (markdown or hdr)", format)
	}
	if format == "markdown" && (c.IsSet("metric") || c.IsSet("variant")) {
		return badInput("report: --metric and --variant go with --format hdr")
	}
	rec, err := openRecord(c, dirs[0])
	if err != nil {
		return err
	}
	body, out, err := renderReport(c, rec, format)
	if err != nil {
		return err
	}
	if out == "-" {
		_, err := c.App.Writer.Write(body)
		return err
	}
	if err := writeOut(out, body); err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "report: %s\n", out)
	return nil
}

// writeOut writes a regular file atomically (temporary name, then rename).
// Anything else that already exists there, a device such as /dev/null or a
// pipe, is written in place: renaming over it would replace the device
// with a plain file.
func writeOut(path string, data []byte) error {
	st, err := os.Stat(path)
	switch {
	case err == nil && st.IsDir():
		return badInput("report: --out %s is a directory", path)
	case err == nil && !st.Mode().IsRegular():
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return &exitError{code: exitFailed, err: fmt.Errorf("writing %s: %w", path, err)}
		}
		return nil
	}
	if err := record.WriteFileAtomic(path, data); err != nil {
		return &exitError{code: exitFailed, err: err}
	}
	return nil
}

// renderReport makes the report in format and says where it goes: --out,
// else RUN/report.md for Markdown and stdout ("-") for a spectrum.
func renderReport(c *cli.Context, rec *record.Record, format string) ([]byte, string, error) {
	var buf bytes.Buffer
	out := c.String("out")
	if format == "hdr" {
		if err := analysis.WriteHdr(&buf, rec, c.String("metric"), c.String("variant")); err != nil {
			return nil, "", badInput("report: %w", err)
		}
		return buf.Bytes(), cmp.Or(out, "-"), nil
	}
	if err := analysis.WriteMarkdown(&buf, rec, analysis.Summarize(rec)); err != nil {
		return nil, "", &exitError{code: exitFailed, err: err}
	}
	return buf.Bytes(), cmp.Or(out, filepath.Join(rec.Dir, reportFile)), nil
}
