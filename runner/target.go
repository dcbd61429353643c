package runner

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/poolload/poolload/driver"
	"github.com/poolload/poolload/engine"
	"github.com/poolload/poolload/network"
	"github.com/poolload/poolload/redact"
	"github.com/poolload/poolload/scenario"
)

// Prepared is a scenario's target made ready for a run: what the runner
// opens before each window, and what has to be undone at the end.
type Prepared struct {
	Opener driver.Opener
	// Service is the running service block, or nil.
	Service *Service
	// Samplers, Marks and Facts come from the network emulator, if any:
	// its gauges, its fault windows' t0, and its conditions for run.json.
	Samplers []driver.Sampler
	Marks    []func(t0 time.Time)
	Facts    map[string]string
	// Network is the emulated link's conditions, resolved (presets and
	// directions filled in), for run.json; nil without a link.
	Network *network.Conditions
	// Warnings are what the target had to say before the run (driver.Warner).
	Warnings []string
	undo     []func() error
}

// Release undoes the preparation in reverse order (stops the service, runs
// teardown, stops a managed server) and returns what went wrong doing so.
// It is safe on a failed preparation and must be called at least once
// whatever happened; later calls do nothing.
func (p *Prepared) Release() error {
	var errs []error
	for i := len(p.undo) - 1; i >= 0; i-- {
		errs = append(errs, p.undo[i]())
	}
	p.undo = nil
	return errors.Join(errs...)
}

// OpenTarget prepares the scenario's target for a run: its driver starts
// it (a managed server, setup), the network emulator goes in front of it,
// the service block starts, and a target with a base URL and no service
// block is checked to answer, so that a target that is down fails here,
// before anything is measured. The result is never nil; call its Release.
func OpenTarget(ctx context.Context, s *scenario.Scenario) (*Prepared, error) {
	return OpenSegment(ctx, s, engine.Segment{})
}

// OpenSegment is OpenTarget for one segment of a split load. A segment
// other than the first leaves to the first what is done once for all: the
// driver's setup, seed and teardown, and the service block, whose
// readiness the shared timeline then waits for.
func OpenSegment(ctx context.Context, s *scenario.Scenario, seg engine.Segment) (*Prepared, error) {
	p := &Prepared{}
	reg, ok := driver.Lookup(s.Target.Driver)
	if !ok {
		return p, fmt.Errorf("target.driver: unknown driver %q", s.Target.Driver)
	}
	block := s.Target.Block()
	if !seg.First() && reg.Follower != nil {
		f, err := reg.Follower(block)
		if err != nil {
			return p, fmt.Errorf("segment %s: %w", seg, err)
		}
		block = f
	}
	tg, err := reg.Start(ctx, block)
	if err != nil {
		return p, err
	}
	p.undo = append(p.undo, func() error {
		if err := tg.Close(); err != nil {
			return fmt.Errorf("tearing down the %s target: %w", s.Target.Driver, err)
		}
		return nil
	})
	p.Opener = tg
	if w, ok := tg.(driver.Warner); ok {
		p.Warnings = w.Warnings()
	}
	if s.Target.Network != nil {
		err = linkTarget(ctx, s, p, tg)
	}
	if !seg.First() {
		return p, err
	}
	if err == nil && s.Service != nil {
		err = startService(ctx, s, p)
	}
	if err == nil && reg.BaseURL != nil && s.Service == nil {
		err = checkBaseURL(ctx, reg, s, tg)
	}
	return p, err
}

// startService runs the service block and waits until it is ready.
func startService(ctx context.Context, s *scenario.Scenario, p *Prepared) error {
	ready, err := scenario.ParseProbe(s.Service.Ready, s.BaseURL())
	if err != nil {
		return fmt.Errorf("service.ready: %w", err)
	}
	svc, err := StartService(ctx, *s.Service, ready)
	if err != nil {
		return err
	}
	p.Service = svc
	p.undo = append(p.undo, func() error {
		if err := svc.Stop(); err != nil {
			return fmt.Errorf("stopping the service: %w", err)
		}
		return nil
	})
	return nil
}

// checkBaseURL makes sure a target with a base URL accepts connections
// before the run starts. Only the connection is checked: a service that
// answers 5xx is up, and the load is there to measure its answers.
func checkBaseURL(ctx context.Context, reg driver.Registration, s *scenario.Scenario, tg driver.Target) error {
	l, ok := tg.(driver.Linker)
	if !ok {
		return nil // no address to try
	}
	addr, err := l.Upstream()
	if err != nil {
		return fmt.Errorf("target.%s.base_url: %w", reg.Name, err)
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := probeOnce(ctx, scenario.Probe{Addr: addr}, nil); err != nil {
		return fmt.Errorf("the %s target %s does not answer: %w", strings.ToUpper(reg.Name), redact.URL(s.BaseURL()), err)
	}
	return nil
}

// linkTarget puts the network emulator between the target's drivers and
// where they connect.
func linkTarget(ctx context.Context, s *scenario.Scenario, p *Prepared, tg driver.Target) error {
	l, ok := tg.(driver.Linker)
	if !ok {
		return fmt.Errorf("target.network: the %s driver's connections cannot go through a network link", s.Target.Driver)
	}
	addr, err := l.Upstream()
	if err != nil {
		return fmt.Errorf("target.network: %w", err)
	}
	via, err := startLink(ctx, s, p, addr)
	if err != nil {
		return err
	}
	l.DialVia(via)
	return nil
}

// GaugeNames lists the gauges the target's drivers sample, the network
// link's, and the host's CPU, which every run samples.
func GaugeNames(s *scenario.Scenario) []string {
	var names []string
	if g, ok := s.Target.Block().(driver.GaugeNamer); ok {
		names = fleetGaugeNames(g.GaugeNames(), instances(s))
	}
	return slices.Concat(names, linkGaugeNames(s), hostGauges)
}
