package main

import (
	"fmt"
	"strconv"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/poolload/poolload/engine"
	"github.com/poolload/poolload/record"
	"github.com/poolload/poolload/runner"
	"github.com/poolload/poolload/scenario"
)

// segmentFlags split one load over several generators.
func segmentFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "segment", Usage: "run share i of N of every window (i/N): iteration k goes to segment k mod N + 1; merge the records with poolload merge"},
		&cli.StringFlag{Name: "start-at", Usage: "with --segment: the shared start of the timeline every segment places its windows on (RFC 3339, or Unix seconds)"},
		&cli.DurationFlag{Name: "prelude-slot", Usage: "with --segment: the time each window's prelude gets on the timeline beyond its warm-up, idle and before steps", Value: runner.DefaultPreludeSlot},
	}
}

// segmentOf reads the segment flags: the share to run and, for a split
// load, the timeline its windows keep to.
func segmentOf(c *cli.Context, s *scenario.Scenario) (engine.Segment, *runner.Timeline, error) {
	if c.String("segment") == "" {
		if c.IsSet("start-at") {
			return engine.Segment{}, nil, badInput("--start-at needs --segment")
		}
		return engine.Segment{}, nil, nil
	}
	seg, err := engine.ParseSegment(c.String("segment"))
	if err != nil {
		return seg, nil, badInput("--segment: %v", err)
	}
	if !c.IsSet("start-at") {
		return seg, nil, badInput("--segment needs --start-at: the instant every segment's timeline starts from")
	}
	start, err := parseStartAt(c.String("start-at"))
	if err != nil {
		return seg, nil, badInput("--start-at: %v", err)
	}
	if time.Until(start) > 24*time.Hour {
		return seg, nil, badInput("--start-at %s is more than a day away", start.Format(time.RFC3339))
	}
	return seg, runner.NewTimeline(start, s, c.Duration("prelude-slot")), nil
}

// parseStartAt reads an RFC 3339 time or Unix seconds.
func parseStartAt(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil && f > 0 {
		return time.Unix(0, int64(f*1e9)), nil
	}
	return time.Time{}, fmt.Errorf("%q is neither an RFC 3339 time (2026-12-02T10:00:00Z) nor Unix seconds", v)
}

// markSegment notes the segment and its timeline in run.json.
func markSegment(w *record.Writer, seg engine.Segment, tl *runner.Timeline) error {
	if seg.Whole() {
		return nil
	}
	w.Info.Segment = &record.Segment{Index: seg.Index, Count: seg.Count}
	w.Info.StartAt = tl.Start()
	return w.SaveInfo()
}
