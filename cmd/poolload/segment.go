package main

import (
	"fmt"
	"os"
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
		&cli.StringFlag{Name: "segment-index-from-env", Usage: "take the segment from environment variable `VAR`, counted from 0 as Kubernetes' JOB_COMPLETION_INDEX is (0 is segment 1 of --segments)"},
		&cli.IntFlag{Name: "segments", Usage: "with --segment-index-from-env: the number of segments N"},
		&cli.StringFlag{Name: "start-at", Usage: "with --segment: the shared start of the timeline every segment places its windows on (RFC 3339, or Unix seconds)"},
		&cli.DurationFlag{Name: "prelude-slot", Usage: "with --segment: the time each window's prelude gets on the timeline beyond its warm-up, idle and before steps", Value: runner.DefaultPreludeSlot},
	}
}

// segmentOf reads the segment flags: the share to run and, for a split
// load, the timeline its windows keep to.
func segmentOf(c *cli.Context, s *scenario.Scenario) (engine.Segment, *runner.Timeline, error) {
	spec, err := segmentSpec(c)
	if err != nil {
		return engine.Segment{}, nil, err
	}
	if spec == "" {
		if c.IsSet("start-at") {
			return engine.Segment{}, nil, badInput("--start-at needs --segment")
		}
		return engine.Segment{}, nil, nil
	}
	seg, err := engine.ParseSegment(spec)
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

// segmentSpec is the segment to run as i/N: --segment's, or one made from
// an index in the environment, for a Kubernetes Indexed Job whose pods all
// have the same arguments and differ only in JOB_COMPLETION_INDEX (an
// image without a shell cannot add 1 to it).
func segmentSpec(c *cli.Context) (string, error) {
	name := c.String("segment-index-from-env")
	switch {
	case name == "" && c.IsSet("segments"):
		return "", badInput("--segments needs --segment-index-from-env (or write --segment i/N)")
	case name == "":
		return c.String("segment"), nil
	case c.String("segment") != "":
		return "", badInput("--segment and --segment-index-from-env both say which segment: give one")
	case c.Int("segments") < 1:
		return "", badInput("--segment-index-from-env needs --segments N")
	}
	v, ok := os.LookupEnv(name)
	if !ok {
		return "", badInput("--segment-index-from-env: the environment variable %s is not set", name)
	}
	i, err := strconv.Atoi(v)
	n := c.Int("segments")
	if err != nil || i < 0 || i >= n {
		return "", badInput("--segment-index-from-env: %s=%q: want an index from 0 to %d (--segments %d)", name, v, n-1, n)
	}
	return fmt.Sprintf("%d/%d", i+1, n), nil
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
