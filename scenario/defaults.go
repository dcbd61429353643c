package scenario

import (
	"path/filepath"
	"strings"
	"time"

	"github.com/poolload/poolload/driver"
	"github.com/poolload/poolload/units"
)

// Defaults for what a scenario may leave out.
const (
	DefaultRepeat       = 1
	DefaultTimeUnit     = time.Second
	DefaultGracefulStop = 30 * time.Second
	DefaultOutputDir    = "results"
	DefaultInterval     = time.Second
	DefaultVariant      = "default"
)

// ApplyDefaults fills in what s leaves at its zero value, for a Scenario
// built in code. (A loaded file gets its defaults only where a key is
// absent, so that a written 0 is kept and validated.)
func (s *Scenario) ApplyDefaults() {
	s.applyDefaults(s.File, func(string) bool { return false })
}

// applyDefaults fills in the fields that are zero and not written (as
// written reports for a field path). The name comes from file.
func (s *Scenario) applyDefaults(file string, written func(field string) bool) {
	unset := func(zero bool, field string) bool { return zero && !written(field) }
	if s.Name == "" && file != "" {
		base := filepath.Base(file)
		s.Name = strings.TrimSuffix(base, filepath.Ext(base))
	}
	if unset(s.Repeat == 0, "repeat") {
		s.Repeat = DefaultRepeat
	}
	l := &s.Load
	if unset(l.TimeUnit == 0, "load.time_unit") {
		l.TimeUnit = units.Duration(DefaultTimeUnit)
	}
	// k6's maxVUs: no headroom unless asked for, whether 0 is written or not.
	if l.MaxVUs == 0 {
		l.MaxVUs = l.PreAllocatedVUs
	}
	// graceful_stop: 0 is meaningful (cut off at once), so only a missing
	// key gets the default.
	if unset(l.GracefulStop == 0, "load.graceful_stop") {
		l.GracefulStop = units.Duration(DefaultGracefulStop)
	}
	if unset(s.Output.Dir == "", "output.dir") {
		s.Output.Dir = DefaultOutputDir
	}
	if unset(s.Output.Interval == 0, "output.interval") {
		s.Output.Interval = units.Duration(DefaultInterval)
	}
	if len(s.Variants) == 0 {
		s.Variants = []Variant{{Name: DefaultVariant}}
	}
	for _, b := range s.Target.Blocks {
		if d, ok := b.(driver.Defaulter); ok {
			d.SetDefaults()
		}
	}
}
