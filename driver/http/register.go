package http

import (
	"context"
	"fmt"
	"net"
	"net/url"

	"github.com/poolload/poolload/driver"
)

// Name is the http driver's name in a scenario: target.driver: http, and
// its block target.http.
const Name = "http"

// Register adds the http driver to the driver registry. Its base_url is
// what relative ready probes are paths under, and its connections can go
// through a network link.
func Register() {
	driver.Register(driver.Registration{
		Name:      Name,
		NewConfig: func() driver.Config { return new(Config) },
		Start:     start,
		Redact: func(cfg driver.Config) driver.Config {
			r := cfg.(*Config).Redacted()
			return &r
		},
		BaseURL: func(cfg driver.Config) string { return cfg.(*Config).BaseURL },
		Caps:    driver.Caps{Network: true},
	})
}

// target is an http block ready for a run. A service needs no setup; the
// copy only carries where the load dials.
type target struct{ cfg Config }

func start(_ context.Context, cfg driver.Config) (driver.Target, error) {
	c, ok := cfg.(*Config)
	if !ok {
		return nil, fmt.Errorf("the http driver cannot start a %T block", cfg)
	}
	return &target{cfg: *c}, nil
}

func (r *target) Open(ctx context.Context) (driver.Driver, error) { return r.cfg.Open(ctx) }

func (r *target) Close() error { return nil }

// GaugeNames lists the gauges the run's drivers sample.
func (r *target) GaugeNames() []string { return r.cfg.GaugeNames() }

// Upstream is the host:port base_url connects to.
func (r *target) Upstream() (string, error) {
	u, err := url.Parse(r.cfg.BaseURL)
	if err != nil {
		return "", err
	}
	if u.Port() != "" {
		return u.Host, nil
	}
	port := "80"
	if u.Scheme == "https" {
		port = "443"
	}
	return net.JoinHostPort(u.Hostname(), port), nil
}

// DialVia makes the load's Transport dial addr; requests keep base_url's
// Host.
func (r *target) DialVia(addr string) { r.cfg.DialAddr = addr }
