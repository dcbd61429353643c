package http

import (
	"context"
	"math"
	"strconv"
	"sync"

	"github.com/poolload/poolload/driver"
	"github.com/poolload/poolload/redact"
	"github.com/poolload/poolload/units"
)

// GaugeNames lists the gauges the driver samples, so that the runner can
// name the record's columns before the first Open: svc_pool_* with
// pool_metrics, then db_* with database, then the load's own connections
// (http_conns_*).
func (c Config) GaugeNames() []string {
	var names []string
	if c.PoolMetrics != nil {
		names = append(names, c.PoolMetrics.gaugeNames()...)
	}
	if c.Database != nil {
		names = append(names, c.Database.gaugeNames()...)
	}
	return append(names, connGauges[:]...)
}

// GaugeNames implements driver.Sampler.
func (d *Driver) GaugeNames() []string { return d.cfg.GaugeNames() }

// Sample implements driver.Sampler. The service and its database are read
// at the same time, each within its own short timeout, so that one slow
// side neither delays the other nor the interval; what could not be read
// is NaN.
func (d *Driver) Sample(ctx context.Context, dst []float64) {
	for i := range dst {
		dst[i] = math.NaN()
	}
	var svc, db []float64
	rest := dst
	if d.scrape != nil {
		n := min(len(d.cfg.PoolMetrics.gaugeNames()), len(rest))
		svc, rest = rest[:n], rest[n:]
	}
	if d.db != nil {
		n := min(len(d.cfg.Database.gaugeNames()), len(rest))
		db, rest = rest[:n], rest[n:]
	}
	d.conns.sample(rest)
	var wg sync.WaitGroup
	if d.scrape != nil {
		wg.Go(func() { d.scrape.sample(ctx, svc) })
	}
	if d.db != nil {
		d.db.sample(ctx, db)
	}
	wg.Wait()
}

// Describe implements driver.Describer: the settings that shape the
// numbers, what auth and pool_metrics did (never the token), and the
// database's facts prefixed db.
func (d *Driver) Describe(ctx context.Context) map[string]string {
	c := &d.cfg
	out := map[string]string{
		"base_url":  redact.URL(c.BaseURL),
		"no_reuse":  strconv.FormatBool(c.NoReuse),
		"timeout":   units.Duration(c.timeout()).String(),
		"max_conns": strconv.Itoa(c.MaxConns),
	}
	if c.DialAddr != "" {
		out["dial_addr"] = c.DialAddr
	}
	if c.Auth != nil {
		out["auth"] = "logged in with " + redact.URL(c.Auth.Path) + ", token sent in " + d.authed
	}
	if d.scrape != nil {
		out["pool_metrics.url"] = redact.URL(d.scrape.url)
		d.scrape.mu.Lock()
		out["pool_metrics.status"] = orDefault(d.scrape.status, "ok")
		d.scrape.mu.Unlock()
	}
	if d.db != nil {
		d.db.describe(ctx, out)
	}
	return out
}

// The optional interfaces the engine looks for.
var (
	_ driver.Driver     = (*Driver)(nil)
	_ driver.Sampler    = (*Driver)(nil)
	_ driver.Describer  = (*Driver)(nil)
	_ driver.GaugeNamer = Config{}
	_ driver.Opener     = Config{}
)
