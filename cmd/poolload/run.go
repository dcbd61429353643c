package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/poolload/poolload/analysis"
	"github.com/poolload/poolload/plots"
	"github.com/poolload/poolload/record"
	"github.com/poolload/poolload/runner"
	"github.com/poolload/poolload/scenario"
)

func runCommand() *cli.Command {
	cmd := &cli.Command{
		Name:      "run",
		Usage:     "run a scenario and write a run record",
		ArgsUsage: "FILE",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "out", Usage: "directory for run records (default: the scenario's output.dir, else results)"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no live status lines"},
			&cli.Float64Flag{Name: "rate", Usage: "override the arrival rate (per time_unit; scales a ramp's peak to it)"},
			&cli.DurationFlag{Name: "duration", Usage: "override the duration of a constant-arrival-rate load"},
			&cli.IntFlag{Name: "vus", Usage: "override pre_allocated_vus (and raise max_vus to it)"},
			&cli.BoolFlag{Name: "no-plots", Usage: "do not render plots into the record at the end"},
		}, segmentFlags()...),
		Action: runAction,
	}
	cmd.Flags = append(cmd.Flags, liveFlags()...)
	return cmd
}

// loadScenario reads FILE and applies the flag overrides; every problem is
// bad input.
func loadScenario(c *cli.Context) (*scenario.Scenario, error) {
	file, err := oneFile(c)
	if err != nil {
		return nil, err
	}
	s, err := scenario.Load(file)
	if err != nil {
		return nil, &exitError{code: exitBadInput, err: err}
	}
	o := scenario.Overrides{Rate: c.Float64("rate"), Duration: c.Duration("duration"), VUs: c.Int("vus")}
	if err := s.ApplyOverrides(o); err != nil {
		return nil, badInput("%v", err)
	}
	if errs := s.Validate(); len(errs) > 0 {
		return nil, badInput("after the command-line overrides: %s: %s", errs[0].Field, errs[0].Msg)
	}
	return s, nil
}

func runAction(c *cli.Context) error {
	s, err := loadScenario(c)
	if err != nil {
		return err
	}
	seg, timeline, err := segmentOf(c, s)
	if err != nil {
		return err
	}
	out := c.String("out")
	if out == "" {
		out = s.Output.Dir
	}
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() { <-ctx.Done(); stop() }() // a second Ctrl-C kills at once

	// The record's directory is made before anything touches the target,
	// so that an output path that cannot hold it fails first.
	w, err := createRecord(out, s)
	if err != nil {
		return &exitError{code: exitFailed, err: err}
	}
	if err := markSegment(w, seg, timeline); err != nil {
		return &exitError{code: exitFailed, err: err}
	}
	lm, err := startLive(c, w, s.Name)
	if err != nil {
		return errors.Join(err, w.Close(record.StatusFailed, err))
	}
	defer func() {
		if err := lm.close(c.Context); err != nil {
			fmt.Fprintf(c.App.ErrWriter, "poolload: warning: live metrics: %v\n", err)
		}
	}()
	tgt, err := runner.OpenSegment(ctx, s, seg)
	defer tgt.Release()
	if err != nil {
		err = fmt.Errorf("preparing the target: %w", err)
		if cerr := w.Close(record.StatusFailed, err); cerr != nil {
			err = errors.Join(err, cerr)
		}
		return &exitError{code: exitFailed, err: err}
	}
	for _, msg := range tgt.Warnings {
		fmt.Fprintf(c.App.ErrWriter, "poolload: warning: %s\n", msg)
	}
	stdout := c.App.Writer
	fmt.Fprintf(stdout, "poolload %s: %s → %s\n", version, s.Name, w.Dir())
	r := &runner.Runner{Scenario: s, Target: tgt, Out: w,
		Log:     func(f string, a ...any) { fmt.Fprintf(stdout, "  "+f+"\n", a...) },
		Segment: seg, Timeline: timeline}
	if !c.Bool("quiet") {
		r.Progress = newStatusPrinter(stdout, s).print
	}
	r.Progress = lm.progress(r.Progress)
	runErr := r.Run(ctx)
	if err := lm.end(ctx); err != nil {
		fmt.Fprintf(c.App.ErrWriter, "poolload: warning: live metrics: %v\n", err)
	}
	release(c, tgt, w)
	status := record.StatusComplete
	switch {
	case runErr != nil:
		status = record.StatusFailed
	case ctx.Err() != nil:
		status = record.StatusInterrupted
		runErr = errors.New("interrupted: the record holds what was measured until then")
	}
	if err := w.Close(status, runErr); err != nil {
		return &exitError{code: exitFailed, err: err}
	}
	plot := !c.Bool("no-plots") && (s.Output.Plots == nil || *s.Output.Plots)
	failed, err := summarize(c, w.Dir(), plot)
	if err != nil {
		return &exitError{code: exitFailed, err: err}
	}
	if runErr != nil {
		return &exitError{code: exitFailed, err: runErr}
	}
	if failed && !seg.Whole() {
		// A share's counts and rates are a fraction of the load's, and an
		// exit 99 would fail a Kubernetes index that did its part: the
		// verdict is the merge's.
		fmt.Fprintf(stdout, "thresholds: judged on segment %s's share only; poolload merge gives the load's verdict\n", seg)
		failed = false
	}
	if failed {
		return &exitError{code: exitThreshold, err: errors.New("some thresholds failed")}
	}
	return nil
}

// createRecord starts a run record in a fresh directory under out.
func createRecord(out string, s *scenario.Scenario) (*record.Writer, error) {
	sc, err := json.Marshal(s.Redacted())
	if err != nil {
		return nil, fmt.Errorf("encoding the scenario: %w", err)
	}
	host, _ := os.Hostname()
	now := time.Now()
	info := record.RunInfo{Tool: "poolload", Version: version, GoVersion: runtime.Version(),
		Host: host, HostCPUs: runner.HostCPUs(), GoMaxProcs: runtime.GOMAXPROCS(0),
		Args: os.Args[1:], Scenario: sc, PlanHash: record.PlanHash(sc), Started: now, Status: record.StatusRunning,
		Interval: s.Output.Interval, Gauges: runner.GaugeNames(s)}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, fmt.Errorf("creating the output directory: %w", err)
	}
	base := now.UTC().Format("20060102-150405") + "-" + s.Name
	for i := 1; i <= maxSameSecond; i++ {
		info.ID = base
		if i > 1 {
			info.ID = fmt.Sprintf("%s-%d", base, i)
		}
		dir := filepath.Join(out, info.ID)
		switch err := os.Mkdir(dir, 0o755); {
		case errors.Is(err, os.ErrExist):
			continue // another run of the same second
		case err != nil:
			return nil, fmt.Errorf("creating the run record directory: %w", err)
		}
		return record.Create(dir, info)
	}
	return nil, fmt.Errorf("creating the run record: %s and %d more of the same name exist under %s", base, maxSameSecond-1, out)
}

// maxSameSecond bounds the runs of one scenario started in the same second
// under one output directory.
const maxSameSecond = 1000

// summarize reads the record back from disk, as any later analysis would,
// writes its summary and plots, prints the summary and the thresholds, and
// says whether any threshold failed.
func summarize(c *cli.Context, dir string, plot bool) (bool, error) {
	rec, err := record.Open(dir)
	if err != nil {
		return false, err
	}
	sum := analysis.Summarize(rec)
	if err := sum.Write(dir); err != nil {
		return false, err
	}
	out := c.App.Writer
	sum.WriteText(out)
	fmt.Fprintln(out)
	analysis.WriteFindings(out, sum.Findings)
	failed := analysis.WriteThresholds(out, sum.Thresholds)
	if err := writeReports(rec, sum, plot); err != nil {
		fmt.Fprintf(c.App.ErrWriter, "poolload: report: %v\n", err)
	}
	if plot {
		files, err := plots.Render(rec, filepath.Join(dir, record.PlotsDir))
		if err != nil {
			fmt.Fprintf(c.App.ErrWriter, "poolload: plots: %v\n", err)
		}
		fmt.Fprintf(out, "\nplots: %d files in %s\n", len(files), filepath.Join(dir, record.PlotsDir))
	}
	fmt.Fprintf(out, "report: %s\n", filepath.Join(dir, reportHTMLFile))
	fmt.Fprintf(out, "record: %s\n", dir)
	return failed, nil
}

// release undoes the target's preparation before the record is closed, so
// that a teardown that fails is said, on stderr and in run.json. One that
// takes more than a second (a teardown after Ctrl-C, a managed server
// stopping) says what poolload is waiting for.
func release(c *cli.Context, tgt *runner.Prepared, w *record.Writer) {
	done, said := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(said)
		select {
		case <-done:
		case <-time.After(time.Second):
			fmt.Fprintln(c.App.ErrWriter, "poolload: undoing the target's preparation (teardown, the service, a managed server)...")
		}
	}()
	err := tgt.Release()
	close(done)
	<-said
	if err != nil {
		w.Info.TeardownError = err.Error()
		fmt.Fprintf(c.App.ErrWriter, "poolload: warning: %v\n", err)
	}
}
