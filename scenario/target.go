package scenario

import (
	"context"
	"fmt"
	"time"

	"github.com/poolload/poolload/driver"
)

// teardownTimeout bounds the teardown statements at the end of a run, which
// run even after Ctrl-C.
const teardownTimeout = 30 * time.Second

// OpenTarget prepares the scenario's target for a run and returns the
// Opener the runner calls before each window, and a release function that
// undoes the preparation (runs teardown, stops a managed server). release
// is never nil and must be called once whatever happened.
func (s *Scenario) OpenTarget(ctx context.Context) (driver.Opener, func(), error) {
	switch s.Target.Driver {
	case "noop":
		return s.Target.Noop, func() {}, nil
	case "mysql":
		return openMySQL(ctx, s)
	}
	return nil, func() {}, fmt.Errorf("target.driver: unknown driver %q", s.Target.Driver)
}

// openMySQL starts the managed server if asked for and runs setup once.
// Start must come before the Config is copied into the Opener: the copies
// share the managed server and the baseline it measured.
func openMySQL(ctx context.Context, s *Scenario) (driver.Opener, func(), error) {
	cfg := s.Target.MySQL
	setupDone := false
	release := func() {
		if setupDone {
			tctx, cancel := context.WithTimeout(context.Background(), teardownTimeout)
			_ = cfg.Teardown(tctx)
			cancel()
		}
		_ = cfg.Stop()
	}
	if err := cfg.Start(ctx); err != nil {
		return nil, release, fmt.Errorf("starting the MySQL target: %w", err)
	}
	if err := cfg.Setup(ctx); err != nil {
		return nil, release, fmt.Errorf("running setup: %w", err)
	}
	setupDone = true
	return *cfg, release, nil
}

// GaugeNames lists the gauges the target's drivers sample, if any.
func (s *Scenario) GaugeNames() []string {
	if s.Target.MySQL != nil && s.Target.Driver == "mysql" {
		return s.Target.MySQL.GaugeNames()
	}
	return nil
}

// Redacted returns a copy of s that is safe to print or store: passwords in
// DSNs are replaced.
func (s *Scenario) Redacted() *Scenario {
	c := *s
	if s.Target.MySQL != nil {
		r := s.Target.MySQL.Redacted()
		c.Target.MySQL = &r
	}
	return &c
}
