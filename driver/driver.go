// Package driver defines the contract between the load engine and a load
// target: a Driver runs one iteration at a time for one VU and fills a Trace
// with the timings of what it did. Concrete drivers live in sub-packages
// (noop, mysql, http) and describe themselves to the registry (registry.go):
// their name, their scenario block, how a run starts and what they can do,
// so that the scenario format and the runner never name a driver.
package driver

import (
	"context"
	"time"
)

// Driver runs iterations against one target. A Driver is opened once per
// variant run (so a cold variant gets a fresh pool) and shared by all VUs of
// that run: Iterate is called concurrently from many goroutines.
type Driver interface {
	// Iterate runs one iteration and fills t. It must not allocate on the
	// happy path and must return promptly once ctx is cancelled. A failed
	// iteration sets t.Err (and usually t.Class); Iterate never panics on
	// target errors.
	Iterate(ctx context.Context, t *Trace)
	// Close releases everything the driver holds (connections, servers).
	Close() error
}

// Prewarmer is implemented by drivers that can fill their pool before the
// measured window starts (the "warm" variant's prelude).
type Prewarmer interface {
	// Prewarm opens n connections at once, releases them into the pool and
	// verifies they are still open. It returns how many are ready.
	Prewarm(ctx context.Context, n int) (int, error)
}

// Settler is implemented by drivers that can wait for the target to return
// to its baseline before a variant starts (for MySQL: Threads_connected back
// to where it was before the previous variant's pool was closed).
type Settler interface {
	Settle(ctx context.Context) error
}

// Sampler is implemented by drivers that expose gauges sampled on the
// interval tick (client pool stats, server status). Names must be stable for
// the life of a run: they become columns of timeseries.csv.
type Sampler interface {
	GaugeNamer
	// Sample fills dst (len(dst) == len(GaugeNames())) with current values;
	// a gauge that could not be read is NaN.
	Sample(ctx context.Context, dst []float64)
}

// GaugeNamer lists the gauges a Sampler fills, in order. An Opener whose
// drivers sample gauges implements it too, so that the record's columns are
// known before the first driver is opened.
type GaugeNamer interface {
	GaugeNames() []string
}

// Describer is implemented by drivers that know facts about the target worth
// keeping in run.json (server version, max_connections, wait_timeout...).
type Describer interface {
	Describe(ctx context.Context) map[string]string
}

// Opener opens a Driver for one variant run. Scenario target blocks produce
// Openers; the runner calls Open before each variant run.
type Opener interface {
	Open(ctx context.Context) (Driver, error)
}

// OpenerFunc adapts a function to Opener.
type OpenerFunc func(ctx context.Context) (Driver, error)

// Open calls f.
func (f OpenerFunc) Open(ctx context.Context) (Driver, error) { return f(ctx) }

// DefaultConnectTimeout bounds connection setup when a target gives none.
const DefaultConnectTimeout = 5 * time.Second
