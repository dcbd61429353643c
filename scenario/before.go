package scenario

import (
	"fmt"

	"github.com/goccy/go-yaml"

	"github.com/poolload/poolload/units"
)

// Before is a variant's first step, before the driver opens: restart the
// scenario's service and/or run a command (reset a cache, restart a
// container, flush a pool), then wait until the target is ready.
type Before struct {
	// Restart stops and starts the scenario's service block.
	Restart bool `yaml:"restart" json:"restart,omitempty"`
	// Run is a shell command (sh -c) run to completion; a non-zero exit
	// fails the variant.
	Run string `yaml:"run" json:"run,omitempty"`
	// Ready is probed after the step, as the service block's ready is
	// (default: the service's probe when restarting, else none).
	Ready string `yaml:"ready" json:"ready,omitempty"`
	// Timeout bounds the whole step (default 30s).
	Timeout units.Duration `yaml:"timeout" json:"timeout,omitempty"`
}

// UnmarshalYAML also takes the short form `before: COMMAND`, which is
// {run: COMMAND}.
func (b *Before) UnmarshalYAML(data []byte) error {
	type plain Before // no methods: no recursion
	var full plain
	if err := yaml.Unmarshal(data, &full); err == nil {
		*b = Before(full)
		return nil
	}
	var cmd string
	if err := yaml.Unmarshal(data, &cmd); err != nil {
		return fmt.Errorf("before: want a command or {restart, run, ready, timeout}: %w", err)
	}
	*b = Before{Run: cmd}
	return nil
}
