package main

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/poolload/poolload/analysis"
	"github.com/poolload/poolload/plots"
	"github.com/poolload/poolload/record"
)

// The default names of the reports inside a record.
const (
	reportFile     = "report.md"
	reportHTMLFile = "report.html"
)

func reportCommand() *cli.Command {
	return &cli.Command{
		Name:  "report",
		Usage: "write a Markdown or HTML report of a run record, or a metric's percentile spectrum",
		Description: "By default writes RUN/report.md (--out - for stdout). With --format html, writes RUN/report.html:\n" +
			"one self-contained page (figures and styles inside, nothing loaded) to attach or open offline.\n" +
			"With --format hdr, prints the percentile spectrum of --metric (over --variant, else every variant)\n" +
			"in the HdrHistogram text layout, values in milliseconds, to stdout or --out: the HdrHistogram\n" +
			"plotter reads it unchanged.",
		ArgsUsage: "RUN",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Usage: "output file, - for stdout (default: RUN/report.md or RUN/report.html; stdout for hdr)"},
			&cli.StringFlag{Name: "format", Value: "markdown", Usage: "markdown, html or hdr"},
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
	if format != "markdown" && format != "html" && format != "hdr" {
		return badInput("report: unknown --format %q (markdown, html or hdr)", format)
	}
	if format != "hdr" && (c.IsSet("metric") || c.IsSet("variant")) {
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
// else RUN/report.md for Markdown, RUN/report.html for HTML and stdout
// ("-") for a spectrum.
func renderReport(c *cli.Context, rec *record.Record, format string) ([]byte, string, error) {
	var buf bytes.Buffer
	out := c.String("out")
	if format == "hdr" {
		if err := analysis.WriteHdr(&buf, rec, c.String("metric"), c.String("variant")); err != nil {
			return nil, "", badInput("report: %w", err)
		}
		return buf.Bytes(), cmp.Or(out, "-"), nil
	}
	if format == "html" {
		if err := writeHTMLReport(&buf, rec, analysis.Summarize(rec), true); err != nil {
			return nil, "", &exitError{code: exitFailed, err: err}
		}
		return buf.Bytes(), cmp.Or(out, filepath.Join(rec.Dir, reportHTMLFile)), nil
	}
	if err := analysis.WriteMarkdown(&buf, rec, analysis.Summarize(rec)); err != nil {
		return nil, "", &exitError{code: exitFailed, err: err}
	}
	return buf.Bytes(), cmp.Or(out, filepath.Join(rec.Dir, reportFile)), nil
}

// writeHTMLReport writes the HTML report of rec, with its figures drawn
// in memory as SVG (whether or not the record has plots on disk) unless
// figures is false.
func writeHTMLReport(w io.Writer, rec *record.Record, sum *analysis.Summary, figures bool) error {
	var figs []analysis.Figure
	if figures {
		svgs, err := plots.RenderSVG(rec)
		if err != nil {
			return fmt.Errorf("drawing the report's figures: %w", err)
		}
		for _, s := range svgs {
			figs = append(figs, analysis.Figure{Title: s.Title, SVG: s.Data})
		}
	}
	return analysis.WriteHTML(w, rec, sum, figs)
}

// writeReports writes report.md and report.html into the record at the
// end of a run; the HTML report draws its figures unless plots are off.
func writeReports(rec *record.Record, sum *analysis.Summary, figures bool) error {
	var md, page bytes.Buffer
	if err := analysis.WriteMarkdown(&md, rec, sum); err != nil {
		return err
	}
	if err := writeHTMLReport(&page, rec, sum, figures); err != nil {
		return err
	}
	if err := record.WriteFileAtomic(filepath.Join(rec.Dir, reportFile), md.Bytes()); err != nil {
		return err
	}
	return record.WriteFileAtomic(filepath.Join(rec.Dir, reportHTMLFile), page.Bytes())
}
