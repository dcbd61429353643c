package record

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/poolload/poolload/units"
)

// Plan is what the readers of a record use of the resolved scenario that
// run.json keeps (the "scenario" object, secrets redacted). Open decodes
// it once, so that no reader decodes run.json again, each with its own
// idea of the fields.
type Plan struct {
	Name        string              `json:"name"`
	Description string              `json:"description"`
	Target      PlanTarget          `json:"target"`
	Load        PlanLoad            `json:"load"`
	Variants    []PlanVariant       `json:"variants"`
	Repeat      int                 `json:"repeat"`
	Thresholds  map[string][]string `json:"thresholds"`
}

// PlanTarget is the target block: its driver, how many copies of the pool
// share the server, and the managed server's variables.
type PlanTarget struct {
	Driver    string `json:"driver"`
	Instances int    `json:"instances"`
	MySQL     struct {
		ServerVars map[string]string `json:"server_vars"`
	} `json:"mysql"`
}

// PlanLoad is the load block.
type PlanLoad struct {
	Executor        string         `json:"executor"`
	Rate            float64        `json:"rate"`
	Duration        units.Duration `json:"duration"`
	StartRate       float64        `json:"start_rate"`
	Stages          []PlanStage    `json:"stages"`
	TimeUnit        units.Duration `json:"time_unit"`
	PreAllocatedVUs int            `json:"pre_allocated_vus"`
	MaxVUs          int            `json:"max_vus"`
}

// PlanStage is one stage of a ramping load.
type PlanStage struct {
	Target   float64        `json:"target"`
	Duration units.Duration `json:"duration"`
}

// PlanVariant is one variant and its prelude.
type PlanVariant struct {
	Name    string         `json:"name"`
	Before  *PlanBefore    `json:"before"`
	Prewarm int            `json:"prewarm"`
	Warmup  *PlanWarmup    `json:"warmup"`
	Idle    units.Duration `json:"idle"`
}

// PlanBefore is a variant's first step: restart the service, run a command.
type PlanBefore struct {
	Restart bool   `json:"restart"`
	Run     string `json:"run"`
}

// PlanWarmup is an unmeasured load phase before t0.
type PlanWarmup struct {
	Rate     float64        `json:"rate"`
	Duration units.Duration `json:"duration"`
}

// Warm reports whether the variant fills the pool before t0 (a prewarm or
// a warm-up load): the one answer to "is this variant warm?".
func (v *PlanVariant) Warm() bool { return v.Prewarm > 0 || v.Warmup != nil }

// Describe says the variant's prelude in words, the one way both
// `poolload validate` and the report say it: "restart the service,
// prewarm 4 (cold)…", "none (cold)" when there is none.
func (v *PlanVariant) Describe() string {
	var parts []string
	if b := v.Before; b != nil {
		if b.Restart {
			parts = append(parts, "restart the service")
		}
		if b.Run != "" {
			parts = append(parts, "run a command")
		}
	}
	if v.Prewarm > 0 {
		parts = append(parts, fmt.Sprintf("prewarm %d", v.Prewarm))
	}
	if v.Warmup != nil {
		parts = append(parts, fmt.Sprintf("warm-up %.0f/s for %v", v.Warmup.Rate, v.Warmup.Duration))
	}
	if v.Idle > 0 {
		parts = append(parts, fmt.Sprintf("idle %v", v.Idle))
	}
	switch {
	case len(parts) == 0:
		return "none (cold)"
	case !v.Warm() && v.Idle == 0:
		return strings.Join(parts, ", ") + " (cold)"
	}
	return strings.Join(parts, ", ")
}

// Length is how long the prelude's timed steps take: the warm-up and the
// idle gap.
func (v *PlanVariant) Length() time.Duration {
	d := v.Idle.D()
	if v.Warmup != nil {
		d += v.Warmup.Duration.D()
	}
	return d
}

// Variant returns the variant named name, or nil.
func (p *Plan) Variant(name string) *PlanVariant {
	for i := range p.Variants {
		if p.Variants[i].Name == name {
			return &p.Variants[i]
		}
	}
	return nil
}

// InstancesOrOne is target.instances, at least 1.
func (p *Plan) InstancesOrOne() int { return max(1, p.Target.Instances) }

// DecodePlan reads the plan from run.json's scenario object: Open calls
// it, and so may a test that builds a Record in memory.
func DecodePlan(raw json.RawMessage) (Plan, error) {
	var p Plan
	if len(raw) == 0 {
		return p, fmt.Errorf("run.json has no scenario")
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return p, fmt.Errorf("reading the scenario in run.json: %w", err)
	}
	return p, nil
}
