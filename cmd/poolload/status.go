package main

import (
	"fmt"
	"io"
	"time"

	"github.com/poolload/poolload/analysis"
	"github.com/poolload/poolload/collector"
	"github.com/poolload/poolload/runner"
	"github.com/poolload/poolload/scenario"
)

// statusPrinter prints one plain line per interval: plain so that a CI log
// or a file gets the same readable text as a terminal.
type statusPrinter struct {
	w     io.Writer
	reps  int
	every time.Duration
}

func newStatusPrinter(w io.Writer, s *scenario.Scenario) *statusPrinter {
	return &statusPrinter{w: w, reps: s.Repeat, every: s.Output.Interval.D()}
}

func (p *statusPrinter) print(pr runner.Progress) {
	iv := pr.Interval
	if iv.End-iv.Start < p.every/10 && iv.Counts.Iterations == 0 && iv.Counts.DroppedTotal() == 0 {
		return // the sliver after the last tick while the last VU finished
	}
	secs := (iv.End - iv.Start).Seconds()
	rate := 0.0
	if secs > 0 {
		rate = float64(iv.Counts.Iterations) / secs
	}
	p99 := "-"
	if h := iv.Hists[collector.Latency]; h != nil && h.TotalCount() > 0 {
		p99 = analysis.Ms(float64(h.ValueAtQuantile(99)) / 1e6)
	}
	fmt.Fprintf(p.w, "%-8s %d/%d  t=%-6s rate=%7.1f/s  vus=%d/%d  dropped=%d  errors=%d  p99=%s\n",
		pr.Variant, pr.Rep, p.reps, iv.End.Truncate(100*time.Millisecond), rate,
		iv.VUsBusy, iv.VUsAlloc, iv.Counts.DroppedTotal(), iv.Counts.ErrorTotal(), p99)
}
