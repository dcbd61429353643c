package runner

import (
	"context"
	"fmt"
	"time"

	"github.com/poolload/poolload/driver"
	"github.com/poolload/poolload/network"
	"github.com/poolload/poolload/record"
	"github.com/poolload/poolload/scenario"
)

// linkGauges are the network link's columns in timeseries.csv: new
// connections through the link, those it refused, reset or blackholed
// (per-interval deltas), and those open now.
var linkGauges = []string{record.LinkConns, record.LinkRefused, record.LinkResets, record.LinkDrops, record.LinkActive}

// linkSampler reads the proxy's counters on the interval tick.
type linkSampler struct {
	p    *network.Proxy
	prev network.Stats
}

func (l *linkSampler) GaugeNames() []string { return append([]string(nil), linkGauges...) }

func (l *linkSampler) Sample(_ context.Context, dst []float64) {
	s := l.p.Stats()
	p := l.prev
	l.prev = s
	dst[0] = float64(s.Accepted - p.Accepted)
	dst[1] = float64(s.Refused - p.Refused)
	dst[2] = float64(s.IdleResets + s.ByteResets + s.UpstreamErrors - p.IdleResets - p.ByteResets - p.UpstreamErrors)
	dst[3] = float64(s.IdleDrops - p.IdleDrops)
	dst[4] = float64(s.Active)
}

// startLink puts the network emulator in front of upstream and registers
// it with p: its gauges, its fault windows' t0 and its Close. It returns
// the address the pool must dial instead.
func startLink(ctx context.Context, s *scenario.Scenario, p *Prepared, upstream string) (string, error) {
	px, err := network.Listen(context.WithoutCancel(ctx), upstream, *s.Target.Network)
	if err != nil {
		return "", fmt.Errorf("starting the network emulator in front of %s: %w", upstream, err)
	}
	p.undo = append(p.undo, func() error {
		_ = px.Close() // what the link was carrying is gone either way
		return nil
	})
	p.Samplers = append(p.Samplers, &linkSampler{p: px})
	p.Marks = append(p.Marks, func(t0 time.Time) { px.Mark(t0) })
	r, _ := s.Target.Network.Resolved() // Listen has validated it
	p.Network = &r
	p.Facts = r.Describe()
	p.Facts["network.proxy"] = px.Addr()
	// How the bytes were relayed is part of how the run was measured: the
	// kernel and the goroutines add different costs (network/README.md).
	p.Facts["network.relay"] = px.Relay()
	if note := px.RelayNote(); note != "" {
		p.Facts["network.relay"] += " (kernel relay unavailable: " + note + ")"
	}
	return px.Addr(), nil
}

// linkGaugeNames is what GaugeNames adds for a network block.
func linkGaugeNames(s *scenario.Scenario) []string {
	if s.Target.Network == nil {
		return nil
	}
	return linkGauges
}

var _ driver.Sampler = (*linkSampler)(nil)
