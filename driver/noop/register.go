package noop

import (
	"context"
	"fmt"

	"github.com/poolload/poolload/driver"
)

// Name is the noop driver's name in a scenario: target.driver: noop, and
// its block target.noop.
const Name = "noop"

// Register adds the noop driver to the driver registry. It has no pool to
// prewarm and makes no connection a network link could sit on.
func Register() {
	driver.Register(driver.Registration{
		Name:      Name,
		NewConfig: func() driver.Config { return new(Config) },
		Start:     start,
	})
}

// run is a noop block ready for a run: there is nothing to set up or undo.
type run struct{ Config }

func (run) Close() error { return nil }

func start(_ context.Context, cfg driver.Config) (driver.Target, error) {
	c, ok := cfg.(*Config)
	if !ok {
		return nil, fmt.Errorf("the noop driver cannot start a %T block", cfg)
	}
	return run{*c}, nil
}
