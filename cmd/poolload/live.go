package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/poolload/poolload/live"
	"github.com/poolload/poolload/record"
	"github.com/poolload/poolload/runner"
)

// liveFlags are run's live-metrics flags.
func liveFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "metrics-addr", Usage: "serve the run's metrics in the Prometheus text format at `HOST:PORT`/metrics while it lasts (e.g. 127.0.0.1:9464)"},
		&cli.StringFlag{Name: "prometheus-remote-write", Usage: "push the run's metrics by Prometheus remote write to `URL` after every interval (e.g. http://127.0.0.1:9090/api/v1/write)"},
	}
}

// liveMetrics is the exporter of a run and what serves or pushes it; the
// zero value (no flag given) does nothing.
type liveMetrics struct {
	exp    *live.Exporter
	server *live.Server
	pusher *live.Pusher
}

// startLive starts what the flags ask for, before the target is touched:
// an address that cannot be listened on or a bad URL is bad input.
func startLive(c *cli.Context, w *record.Writer, scenario string) (*liveMetrics, error) {
	addr, url := c.String("metrics-addr"), c.String("prometheus-remote-write")
	lm := &liveMetrics{}
	if addr == "" && url == "" {
		return lm, nil
	}
	lm.exp = live.New(w.Info.ID, scenario, w.Info.Gauges)
	if addr != "" {
		s, err := lm.exp.Serve(addr)
		if err != nil {
			return nil, badInput("--metrics-addr: %v", err)
		}
		lm.server = s
		fmt.Fprintf(c.App.Writer, "metrics: http://%s%s\n", s.Addr(), live.MetricsPath)
	}
	if url != "" {
		p, err := live.NewPusher(lm.exp, url)
		if err != nil {
			lm.close(c.Context)
			return nil, badInput("--prometheus-remote-write: %v", err)
		}
		lm.pusher = p
	}
	return lm, nil
}

// progress chains the exporter after next (the status line, or nil).
func (lm *liveMetrics) progress(next func(runner.Progress)) func(runner.Progress) {
	if lm.exp == nil {
		return next
	}
	return func(p runner.Progress) {
		if next != nil {
			next(p)
		}
		lm.exp.Observe(p.Variant, p.Rep, p.Interval)
	}
}

// end marks the run over and makes the last push.
func (lm *liveMetrics) end(ctx context.Context) error {
	if lm.exp == nil {
		return nil
	}
	lm.exp.End()
	if lm.pusher == nil {
		return nil
	}
	err := lm.pusher.Close(ctx)
	lm.pusher = nil
	return err
}

// close stops serving, once a scrape has read the final values (see
// live.Server.Close).
func (lm *liveMetrics) close(ctx context.Context) error {
	var err error
	if lm.pusher != nil {
		err = lm.pusher.Close(ctx)
	}
	if lm.server != nil {
		err = errors.Join(err, lm.server.Close(ctx))
	}
	return err
}
