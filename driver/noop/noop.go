// Package noop is a driver that does no I/O: each iteration optionally
// sleeps for a fixed or random delay. It is used by tests, as a stand-in
// target for the demo, and to measure the harness's own cost.
package noop

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/poolload/poolload/driver"
	"github.com/poolload/poolload/units"
)

// Config is the `target.noop` block of a scenario.
type Config struct {
	// Delay is how long each iteration takes (reported as wait).
	Delay units.Duration `yaml:"delay" json:"delay,omitempty"`
	// Jitter adds a uniform random extra delay in [0, Jitter).
	Jitter units.Duration `yaml:"jitter" json:"jitter,omitempty"`
	// Blocked is a fixed time spent in the blocked phase before the delay,
	// to imitate a pool acquire (used by tests of drop attribution).
	Blocked units.Duration `yaml:"blocked" json:"blocked,omitempty"`
	// ErrorRate is the fraction of iterations that fail with class "other".
	ErrorRate float64 `yaml:"error_rate" json:"error_rate,omitempty" range:"0..1"`
}

// Validate reports every problem in c as field → message.
func (c *Config) Validate() map[string]string {
	errs := map[string]string{}
	if !(c.ErrorRate >= 0 && c.ErrorRate <= 1) { // NaN too
		errs["error_rate"] = "must be between 0 and 1"
	}
	for name, d := range map[string]units.Duration{"delay": c.Delay, "jitter": c.Jitter, "blocked": c.Blocked} {
		if msg := d.Check(units.MaxDuration, false); msg != "" {
			errs[name] = msg
		}
	}
	return errs
}

// Driver is the noop driver.
type Driver struct {
	cfg Config
}

var errInjected = errors.New("noop: injected error")

// New returns a noop driver for cfg.
func New(cfg Config) *Driver { return &Driver{cfg: cfg} }

// Open implements driver.Opener: every variant run gets a fresh Driver.
func (c Config) Open(context.Context) (driver.Driver, error) { return New(c), nil }

// Iterate sleeps for the configured time, in the phases a real driver would
// report, and allocates nothing.
func (d *Driver) Iterate(ctx context.Context, t *driver.Trace) {
	if b := d.cfg.Blocked.D(); b > 0 {
		t.SetPhase(driver.PhaseBlocked)
		start := time.Now()
		if !sleep(ctx, b) {
			t.Fail(driver.ClassInterrupted, ctx.Err())
			return
		}
		t.Blocked = time.Since(start)
	}
	delay := d.cfg.Delay.D()
	if j := d.cfg.Jitter.D(); j > 0 {
		delay += rand.N(j)
	}
	t.SetPhase(driver.PhaseWaiting)
	start := time.Now()
	if delay > 0 && !sleep(ctx, delay) {
		t.Fail(driver.ClassInterrupted, ctx.Err())
		return
	}
	t.Wait = time.Since(start)
	if d.cfg.ErrorRate > 0 && rand.Float64() < d.cfg.ErrorRate {
		t.Fail(driver.ClassOther, errInjected)
	}
}

// Close does nothing.
func (d *Driver) Close() error { return nil }

// sleep waits for d or until ctx is done, and says whether it slept fully.
func sleep(ctx context.Context, d time.Duration) bool {
	if ctx.Done() == nil {
		time.Sleep(d)
		return true
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return true
	case <-ctx.Done():
		return false
	}
}
