package scenario

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/poolload/poolload/driver"
	"github.com/poolload/poolload/driver/http"
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
	case "http":
		return s.Target.HTTP, func() {}, nil
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
	if s.Target.HTTP != nil {
		h := *s.Target.HTTP
		h.Requests = make([]http.Request, len(s.Target.HTTP.Requests))
		for i, r := range s.Target.HTTP.Requests {
			r.Headers = redactHeaders(r.Headers)
			h.Requests[i] = r
		}
		c.Target.HTTP = &h
	}
	return &c
}

// secretHeader matches header names whose values are credentials.
var secretHeader = regexp.MustCompile(`(?i)auth|token|key|secret|cookie|session|password`)

func redactHeaders(in map[string]string) map[string]string {
	if in == nil {
		return nil
	}
	out := make(map[string]string, len(in))
	for k, v := range in {
		if secretHeader.MatchString(k) {
			v = "*****"
		}
		out[k] = v
	}
	return out
}
