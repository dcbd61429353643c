package mysql

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	pdriver "github.com/poolload/poolload/driver"
)

// Name is the mysql driver's name in a scenario: target.driver: mysql, and
// its block target.mysql.
const Name = "mysql"

// TeardownTimeout bounds the teardown statements at the end of a run,
// which run even after Ctrl-C.
const TeardownTimeout = 30 * time.Second

// Register adds the mysql driver to the driver registry. Its pool can be
// prewarmed and its connections can go through a network link.
func Register() {
	pdriver.Register(pdriver.Registration{
		Name:      Name,
		NewConfig: func() pdriver.Config { return new(Config) },
		Start:     startRun,
		Redact: func(cfg pdriver.Config) pdriver.Config {
			r := cfg.(*Config).Redacted()
			return &r
		},
		Follower: follower,
		Caps:     pdriver.Caps{Prewarm: true, Network: true},
	})
}

// follower is the block without setup, seed and teardown, which the first
// segment runs once for all. A managed server is private to one process:
// segments on other machines could not reach it.
func follower(cfg pdriver.Config) (pdriver.Config, error) {
	c := *cfg.(*Config)
	if c.Server == ServerManaged {
		return nil, errors.New("target.mysql.server: managed cannot be split into segments (each would start its own private server): give a dsn that every segment can reach")
	}
	c.SetupSQL, c.TeardownSQL, c.Seed = nil, nil, nil
	return &c, nil
}

// run is a Target as the runner drives it: set up when it starts, torn
// down and stopped at Close.
type run struct{ *Target }

// startRun starts the target (a managed server if asked for) and runs setup
// once.
func startRun(ctx context.Context, cfg pdriver.Config) (pdriver.Target, error) {
	c, ok := cfg.(*Config)
	if !ok {
		return nil, fmt.Errorf("the mysql driver cannot start a %T block", cfg)
	}
	t, err := Start(ctx, *c)
	if err != nil {
		return nil, fmt.Errorf("starting the MySQL target: %w", err)
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

// Warnings says what the managed server did not take as given (MariaDB
// raises max_connections to at least 10) and which directories of killed
// runs its start removed.
func (r run) Warnings() []string {
	s := r.Managed()
	if s == nil {
		return nil
	}
	var out []string
	for _, k := range slices.Sorted(maps.Keys(s.Adjusted)) {
		asked, got, _ := strings.Cut(s.Adjusted[k], " → ")
		out = append(out, fmt.Sprintf("target.mysql.server_vars.%s: asked %s, the managed server took %s", k, asked, got))
	}
	if n := len(s.Removed); n > 0 {
		out = append(out, fmt.Sprintf("removed %d data director%s of managed servers left by a poolload that was killed (%s)",
			n, map[bool]string{true: "y", false: "ies"}[n == 1], strings.Join(s.Removed, ", ")))
	}
	return out
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
