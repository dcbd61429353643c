package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	pdriver "github.com/poolload/poolload/driver"
)

// Name is the postgres driver's name in a scenario: target.driver:
// postgres, and its block target.postgres.
const Name = "postgres"

// TeardownTimeout bounds the teardown statements at the end of a run,
// which run even after Ctrl-C.
const TeardownTimeout = 30 * time.Second

// Register adds the postgres driver to the driver registry. Its pool can
// be prewarmed and its connections can go through a network link.
func Register() {
	pdriver.Register(pdriver.Registration{
		Name:      Name,
		NewConfig: func() pdriver.Config { return new(Config) },
		Start:     startRun,
		Redact: func(cfg pdriver.Config) pdriver.Config {
			r := cfg.(*Config).Redacted()
			return &r
		},
		Caps: pdriver.Caps{Prewarm: true, Network: true},
	})
}

// run is a Target as the runner drives it: set up when it starts, torn
// down and stopped at Close.
type run struct{ *Target }

// startRun starts the target (a managed server if asked for) and runs
// setup once.
func startRun(ctx context.Context, cfg pdriver.Config) (pdriver.Target, error) {
	c, ok := cfg.(*Config)
	if !ok {
		return nil, fmt.Errorf("the postgres driver cannot start a %T block", cfg)
	}
	t, err := Start(ctx, *c)
	if err != nil {
		return nil, fmt.Errorf("starting the PostgreSQL target: %w", err)
	}
	if err := t.Setup(ctx); err != nil {
		_ = t.Close() // the setup error is the one to report
		return nil, fmt.Errorf("running setup: %w", err)
	}
	return run{t}, nil
}

// Close runs teardown, on a context of its own since the run's may be
// cancelled already, then stops a managed server.
func (r run) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), TeardownTimeout)
	defer cancel()
	return errors.Join(r.Teardown(ctx), r.Target.Close())
}

// Warnings says which directories of killed runs the managed server's
// start removed.
func (r run) Warnings() []string {
	s := r.Managed()
	if s == nil || len(s.Removed) == 0 {
		return nil
	}
	n := len(s.Removed)
	return []string{fmt.Sprintf("removed %d data director%s of managed PostgreSQL servers left by a poolload that was killed (%s)",
		n, map[bool]string{true: "y", false: "ies"}[n == 1], strings.Join(s.Removed, ", "))}
}

// Upstream is the server's host:port.
func (r run) Upstream() (string, error) { return r.ServerAddr() }

// DialVia makes the pools opened from now on dial addr; the monitoring and
// setup connections keep the server's address.
func (r run) DialVia(addr string) { r.DialAddr = addr }

var (
	_ pdriver.Target = run{}
	_ pdriver.Linker = run{}
)
