package scenario

import (
	"fmt"
	"time"

	"github.com/poolload/poolload/units"
)

// Overrides change a loaded scenario from the command line; a zero field
// leaves the scenario as written.
type Overrides struct {
	// Rate is iterations per load.time_unit. For a ramp it is the new peak:
	// start_rate and every stage target are scaled to keep the ramp's shape.
	Rate float64
	// Duration is the length of a constant-arrival-rate load.
	Duration time.Duration
	// VUs sets pre_allocated_vus and raises max_vus to it if lower.
	VUs int
}

// ApplyOverrides applies o to s. It refuses what does not fit s (a duration
// for a ramp) rather than guess; call Validate afterwards.
func (s *Scenario) ApplyOverrides(o Overrides) error {
	if o.Rate < 0 || !positive(o.Rate) && o.Rate != 0 {
		return fmt.Errorf("rate override must be a number greater than 0, got %v", o.Rate)
	}
	if o.Duration < 0 {
		return fmt.Errorf("duration override must be greater than 0, got %v", o.Duration)
	}
	if o.VUs < 0 || o.VUs > MaxVUsLimit {
		return fmt.Errorf("VUs override must be between 1 and %d, got %d", MaxVUsLimit, o.VUs)
	}
	l := &s.Load
	if o.Rate > 0 {
		if err := l.overrideRate(o.Rate); err != nil {
			return err
		}
	}
	if o.Duration > 0 {
		if l.Executor == RampingArrivalRate {
			return fmt.Errorf("a duration override applies to %s only: this scenario's load is %s, whose length is the sum of its stages", ConstantArrivalRate, RampingArrivalRate)
		}
		l.Duration = units.Duration(o.Duration)
	}
	if o.VUs > 0 {
		l.PreAllocatedVUs = o.VUs
		l.MaxVUs = max(l.MaxVUs, o.VUs)
	}
	return nil
}

// overrideRate sets the constant rate, or scales a ramp so its peak is rate.
func (l *LoadConfig) overrideRate(rate float64) error {
	if l.Executor != RampingArrivalRate {
		l.Rate = rate
		return nil
	}
	peak := l.StartRate
	for _, st := range l.Stages {
		peak = max(peak, st.Target)
	}
	if !positive(peak) {
		return fmt.Errorf("cannot scale the ramp to a rate of %v: its start_rate and every stage target are 0", rate)
	}
	f := rate / peak
	l.StartRate *= f
	for i := range l.Stages {
		l.Stages[i].Target *= f
	}
	return nil
}
