package driver

import (
	"context"
	"fmt"
	"sync"
)

// Config is a driver's block in a scenario's target (target.<name>): plain
// data decoded from the scenario file, which checks itself.
type Config interface {
	// Validate reports every problem in the block as field → message,
	// the field relative to the block (max_open, tls.mode).
	Validate() map[string]string
}

// Defaulter is a Config that fills in what the file leaves out, so that the
// resolved scenario written to run.json shows what was used.
type Defaulter interface {
	SetDefaults()
}

// Target is a driver's block made ready for one run: what opens a Driver
// for each variant, and what is undone at the end of the run.
type Target interface {
	Opener
	// Close undoes what Start did (teardown, a managed server). It is
	// called once, also after a failure or Ctrl-C.
	Close() error
}

// Warner is a Target that has something to tell the user before the run
// starts: a server that did not take a setting as given, leftovers it
// cleaned up. Each warning is one line.
type Warner interface {
	Warnings() []string
}

// Linker is a Target whose connections a network link can sit on.
type Linker interface {
	// Upstream is the host:port the drivers' connections go to.
	Upstream() (string, error)
	// DialVia makes the drivers opened from now on dial addr instead of
	// Upstream; the connections still present themselves to the real
	// server (TLS names, Host headers).
	DialVia(addr string)
}

// Caps are what a driver can do, for the checks that depend on the driver
// chosen rather than on its block.
type Caps struct {
	// Prewarm: the driver has a pool that a variant's prewarm can fill.
	Prewarm bool
	// Network: the driver makes connections that target.network can put
	// an emulated link on.
	Network bool
}

// Registration is everything the scenario format and the runner know about
// a driver, so that neither names one.
type Registration struct {
	// Name is the value of target.driver and the key of the driver's block.
	Name string
	// NewConfig returns an empty block (a pointer to the driver's config
	// struct) for the scenario loader to decode target.<Name> into.
	NewConfig func() Config
	// Start makes a block ready for a run (a managed server, setup
	// statements) and returns what opens each variant's Driver.
	Start func(ctx context.Context, cfg Config) (Target, error)
	// Redact, if set, returns a copy of a block that is safe to print or
	// store; without it the block is shown as it is.
	Redact func(Config) Config
	// BaseURL, if set, returns the block's base URL: a service's or a
	// variant's ready probe may then be a path under it, and the runner
	// checks that it answers when no service block starts it.
	BaseURL func(Config) string
	// Follower, if set, returns the block as a segment other than the
	// first runs it (poolload run --segment i/N, i > 1): without what the
	// first segment does once for all (setup, seed, teardown), or an error
	// for what segments cannot share (a private server each).
	Follower func(Config) (Config, error)
	Caps     Caps
}

var registry struct {
	mu   sync.Mutex
	regs []Registration
}

// Register adds a driver. Registration order is the order in which
// messages list the drivers (one of noop, mysql, http), so the drivers are
// registered in one place, one line each. Register panics on a duplicate or
// incomplete registration: that is a programming error.
func Register(r Registration) {
	if r.Name == "" || r.NewConfig == nil || r.Start == nil {
		panic(fmt.Sprintf("driver: registration of %q lacks a name, NewConfig or Start", r.Name))
	}
	registry.mu.Lock()
	defer registry.mu.Unlock()
	for _, have := range registry.regs {
		if have.Name == r.Name {
			panic(fmt.Sprintf("driver: %q is registered twice", r.Name))
		}
	}
	registry.regs = append(registry.regs, r)
}

// Registered returns the registered drivers in registration order.
func Registered() []Registration {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	return append([]Registration(nil), registry.regs...)
}

// Lookup returns the driver registered under name.
func Lookup(name string) (Registration, bool) {
	for _, r := range Registered() {
		if r.Name == name {
			return r, true
		}
	}
	return Registration{}, false
}
