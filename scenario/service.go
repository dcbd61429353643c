package scenario

import (
	"time"

	"github.com/poolload/poolload/units"
)

// DefaultServiceTimeout bounds a service start or restart, and a before
// command, when the scenario gives no timeout.
const DefaultServiceTimeout = 30 * time.Second

// ServiceConfig is the scenario's `service` block: a process poolload runs
// for the whole run (the service under test), so that a variant can
// restart it for a cold start and the run ends with nothing left behind.
type ServiceConfig struct {
	// Run is a shell command (sh -c) that runs the service in the
	// foreground. It starts in its own process group, and the whole group
	// is stopped at the end.
	Run string `yaml:"run" json:"run"`
	// Ready is polled after each start until it answers: an http:// URL
	// (any status below 500 counts), a path relative to the HTTP target's
	// base_url, or tcp://host:port. Default: the HTTP target's base_url.
	Ready string `yaml:"ready" json:"ready,omitempty"`
	// Timeout bounds each start, from exec to ready.
	Timeout units.Duration `yaml:"timeout" json:"timeout,omitempty"`
	// Log, if set, is a file that receives the service's output; otherwise
	// the last lines are kept for error messages only.
	Log string `yaml:"log" json:"log,omitempty"`
}
