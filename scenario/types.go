// Package scenario is the scenario format, what a user writes: the types,
// YAML loading with file:line:column errors, interpolation, defaults,
// validation, overrides and redaction. It is data: playing a scenario is
// the runner's job.
package scenario

import (
	"github.com/poolload/poolload/units"
)

// Scenario is one YAML file, loaded, defaulted and validated.
//
// A numeric field's range tag ("1..100000") is its range as the message
// about a number too large to read quotes it; Validate checks the range
// itself, against the constants in limits.go, and a test keeps the two in
// step.
type Scenario struct {
	Name        string              `yaml:"name" json:"name"`
	Description string              `yaml:"description" json:"description,omitempty"`
	Target      Target              `yaml:"target" json:"target"`
	Load        LoadConfig          `yaml:"load" json:"load"`
	Variants    []Variant           `yaml:"variants" json:"variants"`
	Repeat      int                 `yaml:"repeat" json:"repeat" range:"1..1000"`
	Thresholds  map[string][]string `yaml:"thresholds" json:"thresholds,omitempty"`
	Output      Output              `yaml:"output" json:"output"`
	// Service is a process poolload runs for the whole run, such as the
	// HTTP service under test, so that variants can restart it.
	Service *ServiceConfig `yaml:"service" json:"service,omitempty"`

	// File is the path the scenario was read from ("" when built in code).
	File string `yaml:"-" json:"file,omitempty"`
}

// Executors.
const (
	ConstantArrivalRate = "constant-arrival-rate"
	RampingArrivalRate  = "ramping-arrival-rate"
)

// LoadConfig is the executor and its parameters (k6's names, in snake_case).
type LoadConfig struct {
	Executor string `yaml:"executor" json:"executor"`

	// constant-arrival-rate
	Rate     float64        `yaml:"rate" json:"rate,omitempty" range:"0..10000000 per second"`
	Duration units.Duration `yaml:"duration" json:"duration,omitempty"`

	// ramping-arrival-rate
	StartRate float64 `yaml:"start_rate" json:"start_rate,omitempty" range:"0..10000000 per second"`
	Stages    []Stage `yaml:"stages" json:"stages,omitempty"`

	// common
	TimeUnit        units.Duration `yaml:"time_unit" json:"time_unit"`
	PreAllocatedVUs int            `yaml:"pre_allocated_vus" json:"pre_allocated_vus" range:"1..100000"`
	MaxVUs          int            `yaml:"max_vus" json:"max_vus" range:"pre_allocated_vus..100000"`
	GracefulStop    units.Duration `yaml:"graceful_stop" json:"graceful_stop"`
}

// Stage is one linear piece of a ramping rate: from the previous stage's
// target (or start_rate) to Target over Duration.
type Stage struct {
	Target   float64        `yaml:"target" json:"target" range:"0..10000000 per second"`
	Duration units.Duration `yaml:"duration" json:"duration"`
}

// Variant is one named way of starting the measured window. A variant with
// no prelude is cold: a fresh pool with no connection at t0.
type Variant struct {
	Name string `yaml:"name" json:"name"`
	// Prewarm holds this many connections at once before t0, then releases
	// them into the pool.
	Prewarm int `yaml:"prewarm" json:"prewarm,omitempty" range:"0..100000"`
	// Warmup is an unmeasured load phase before t0.
	Warmup *Warmup `yaml:"warmup" json:"warmup,omitempty"`
	// Idle is a pause between the prelude and t0.
	Idle units.Duration `yaml:"idle" json:"idle,omitempty"`
	// Before runs first, before the driver opens (restart the service,
	// run a command), and waits for the target to be ready.
	Before *Before `yaml:"before" json:"before,omitempty"`
}

// Warmup is an unmeasured constant-rate load phase.
type Warmup struct {
	Rate     float64        `yaml:"rate" json:"rate" range:"0..10000000 per second"`
	Duration units.Duration `yaml:"duration" json:"duration"`
}

// Output says where the run record goes and how often to sample.
type Output struct {
	Dir      string         `yaml:"dir" json:"dir"`
	Interval units.Duration `yaml:"interval" json:"interval"`
	Plots    *bool          `yaml:"plots" json:"plots,omitempty"`
}
