package runner

import (
	"context"
	"fmt"
	"time"

	"github.com/poolload/poolload/driver"
	"github.com/poolload/poolload/scenario"
)

// teardownTimeout bounds the teardown statements at the end of a run, which
// run even after Ctrl-C.
const teardownTimeout = 30 * time.Second

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
	undo     []func()
}

// Release undoes the preparation in reverse order (stops the service, runs
// teardown, stops a managed server). It is safe on a failed preparation
// and must be called once whatever happened.
func (p *Prepared) Release() {
	for i := len(p.undo) - 1; i >= 0; i-- {
		p.undo[i]()
	}
	p.undo = nil
}

// OpenTarget prepares the scenario's target for a run: it starts a managed
// server and runs setup, starts the service block, and checks that an HTTP
// target answers, so that a target that is down fails here, before
// anything is measured. The result is never nil; call its Release.
func OpenTarget(ctx context.Context, s *scenario.Scenario) (*Prepared, error) {
	p := &Prepared{}
	var err error
	switch s.Target.Driver {
	case "noop":
		p.Opener = s.Target.Noop
	case "mysql":
		p.Opener, err = openMySQL(ctx, s, p)
	case "http":
		p.Opener, err = openHTTP(ctx, s, p)
	default:
		err = fmt.Errorf("target.driver: unknown driver %q", s.Target.Driver)
	}
	if err == nil && s.Service != nil {
		err = startService(ctx, s, p)
	}
	if err == nil && s.Target.Driver == "http" && s.Service == nil {
		err = checkHTTP(ctx, s)
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
	p.undo = append(p.undo, func() { _ = svc.Stop() })
	return nil
}

// checkHTTP makes sure the HTTP target accepts connections before the run
// starts. Only the connection is checked: a service that answers 5xx is up,
// and the load is there to measure its answers.
func checkHTTP(ctx context.Context, s *scenario.Scenario) error {
	addr, err := httpUpstream(s.BaseURL())
	if err != nil {
		return fmt.Errorf("target.http.base_url: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := probeOnce(ctx, scenario.Probe{Addr: addr}, nil); err != nil {
		return fmt.Errorf("the HTTP target %s does not answer: %w", s.BaseURL(), err)
	}
	return nil
}

// openMySQL starts the managed server if asked for and runs setup once.
// Start must come before the Config is copied into the Opener: the copies
// share the managed server and the baseline it measured.
func openMySQL(ctx context.Context, s *scenario.Scenario, p *Prepared) (driver.Opener, error) {
	cfg := s.Target.MySQL
	p.undo = append(p.undo, func() { _ = cfg.Stop() })
	if err := cfg.Start(ctx); err != nil {
		return nil, fmt.Errorf("starting the MySQL target: %w", err)
	}
	if err := cfg.Setup(ctx); err != nil {
		return nil, fmt.Errorf("running setup: %w", err)
	}
	p.undo = append(p.undo, func() {
		tctx, cancel := context.WithTimeout(context.Background(), teardownTimeout)
		_ = cfg.Teardown(tctx)
		cancel()
	})
	opener := *cfg
	if s.Target.Network != nil {
		addr, err := cfg.ServerAddr()
		if err != nil {
			return nil, fmt.Errorf("target.network: %w", err)
		}
		if opener.DialAddr, err = startLink(ctx, s, p, addr); err != nil {
			return nil, err
		}
	}
	return opener, nil
}

// openHTTP puts the network emulator, if any, between the load's client
// and the service.
func openHTTP(ctx context.Context, s *scenario.Scenario, p *Prepared) (driver.Opener, error) {
	h := *s.Target.HTTP
	if s.Target.Network == nil {
		return h, nil
	}
	addr, err := httpUpstream(h.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("target.http.base_url: %w", err)
	}
	if h.DialAddr, err = startLink(ctx, s, p, addr); err != nil {
		return nil, err
	}
	return h, nil
}

// GaugeNames lists the gauges the target's drivers sample, if any.
func GaugeNames(s *scenario.Scenario) []string {
	var names []string
	switch {
	case s.Target.MySQL != nil && s.Target.Driver == "mysql":
		names = s.Target.MySQL.GaugeNames()
	case s.Target.HTTP != nil && s.Target.Driver == "http":
		names = s.Target.HTTP.GaugeNames()
	}
	return append(names, linkGaugeNames(s)...)
}
