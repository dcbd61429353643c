package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/poolload/poolload/record"
	"github.com/poolload/poolload/runner"
	"github.com/poolload/poolload/scenario"
)

func validateCommand() *cli.Command {
	return &cli.Command{
		Name:      "validate",
		Usage:     "check a scenario and print its plan, without touching the target",
		ArgsUsage: "FILE",
		Flags: []cli.Flag{
			&cli.Float64Flag{Name: "rate", Usage: "override the arrival rate, as for run"},
			&cli.DurationFlag{Name: "duration", Usage: "override the duration, as for run"},
			&cli.IntFlag{Name: "vus", Usage: "override pre_allocated_vus, as for run"},
		},
		Action: func(c *cli.Context) error {
			s, err := loadScenario(c)
			if err != nil {
				return err
			}
			printPlan(c.App.Writer, s)
			return nil
		},
	}
}

// printPlan shows what run would do: one line per window, in run order.
func printPlan(w io.Writer, s *scenario.Scenario) {
	sched := runner.ScheduleOf(&s.Load)
	l := &s.Load
	fmt.Fprintf(w, "%s: valid\n", s.File)
	fmt.Fprintf(w, "  target     %s\n", s.Target.Driver)
	if s.Service != nil {
		fmt.Fprintf(w, "  service    run and stopped by poolload: %s\n", s.Redacted().Service.Run)
	}
	if n := s.Target.Network; n != nil {
		r, _ := n.Resolved() // Validate has accepted it
		facts := r.Describe()
		keys := slices.Sorted(maps.Keys(facts))
		for i, k := range keys {
			keys[i] = strings.TrimPrefix(k, "network.") + "=" + facts[k]
		}
		if len(keys) == 0 {
			keys = []string{"nothing added (the proxy only counts connections)"}
		}
		fmt.Fprintf(w, "  network    emulated link: %s\n", strings.Join(keys, ", "))
	}
	fmt.Fprintf(w, "  load       %s, %d iterations over %v (%.1f/s on average)\n", l.Executor,
		sched.Total(), sched.Duration(), float64(sched.Total())/sched.Duration().Seconds())
	fmt.Fprintf(w, "  VUs        %d pre-allocated, up to %d; graceful stop %v\n", l.PreAllocatedVUs, l.MaxVUs, l.GracefulStop)
	fmt.Fprintf(w, "  output     %s/<run-id>/, interval %v\n\n", s.Output.Dir, s.Output.Interval)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  #\tvariant\trep\tprelude\titerations\tmeasured\t")
	var total time.Duration
	plan, err := planOf(s)
	if err != nil {
		fmt.Fprintf(w, "  (the variants cannot be described: %v)\n", err)
		return
	}
	for i, p := range runner.Plan(s) {
		v := plan.Variant(p.Variant.Name)
		total += v.Length() + sched.Duration()
		fmt.Fprintf(tw, "  %d\t%s\t%d\t%s\t%d\t%v\t\n", i+1, p.Variant.Name, p.Rep, v.Describe(), sched.Total(), sched.Duration())
	}
	tw.Flush()
	fmt.Fprintf(w, "\n  about %v in all, plus connection setup and graceful stops\n", total)
}

// planOf is the scenario as a run record will describe it, so that the
// plan printed here and the report's say the same.
func planOf(s *scenario.Scenario) (*record.Plan, error) {
	raw, err := json.Marshal(s.Redacted())
	if err != nil {
		return nil, fmt.Errorf("encoding the scenario: %w", err)
	}
	p, err := record.DecodePlan(raw)
	return &p, err
}
