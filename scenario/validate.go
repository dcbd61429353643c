package scenario

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/poolload/poolload/threshold"
	"github.com/poolload/poolload/units"
)

// FieldError is one problem found by Validate: Field is the dotted YAML
// path (load.stages[1].duration).
type FieldError struct {
	Field, Msg string
}

func (e FieldError) Error() string { return e.Field + ": " + e.Msg }

// namePattern is what scenario and variant names may be: they become tags
// in metrics.hlog, where dots, commas and spaces would break the tag.
var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// problems collects FieldErrors.
type problems []FieldError

func (p *problems) add(field, format string, args ...any) {
	*p = append(*p, FieldError{field, fmt.Sprintf(format, args...)})
}

// Validate reports every problem in s, after defaults. An empty result
// means s can be run.
func (s *Scenario) Validate() []FieldError {
	var p problems
	p.name("name", s.Name)
	s.Target.validate(&p)
	s.Load.validate(&p)
	validateVariants(&p, s.Variants, s.Target.Driver, s.Load.TimeUnit.D(), s.Load.unitOK())
	s.validateService(&p)
	if s.Repeat < 1 || s.Repeat > MaxRepeat {
		p.add("repeat", "must be between 1 and %d, got %d", MaxRepeat, s.Repeat)
	}
	validateThresholds(&p, s.Thresholds, s.Variants)
	if s.Output.Dir == "" {
		p.add("output.dir", "required (a folder for the run records)")
	}
	if iv := s.Output.Interval.D(); iv < MinInterval || iv > MaxInterval {
		p.add("output.interval", "must be between %s and %s, got %s", short(MinInterval), short(MaxInterval), short(iv))
	}
	if len(p) == 0 {
		// Only a run whose every part is in range is worth adding up.
		s.validateRunLength(&p)
	}
	return p
}

func (p *problems) name(field, name string) {
	switch {
	case name == "":
		p.add(field, "required")
	case !namePattern.MatchString(name):
		p.add(field, "%q: use lowercase letters, digits, _ and -, starting with a letter or digit (names become tags in metrics.hlog)", name)
	}
}

func knownDrivers() string {
	var names []string
	for _, r := range registered() {
		names = append(names, r.Name)
	}
	return strings.Join(names, ", ")
}

// validate checks the driver name and that exactly its block is present,
// then the block itself.
func (t *Target) validate(p *problems) {
	reg, known := lookup(t.Driver)
	switch {
	case t.Driver == "":
		p.add("target.driver", "required (one of %s)", knownDrivers())
	case !known:
		p.add("target.driver", "unknown driver %q (one of %s)", t.Driver, knownDrivers())
	}
	if t.Network != nil {
		if known && !reg.Caps.Network {
			p.add("target.network", "the %s driver makes no connection to put a network link on", t.Driver)
		}
		addSorted(p, "target.network.", t.Network.Validate())
	}
	if t.Instances < 0 || t.Instances > MaxInstances {
		p.add("target.instances", "must be between 1 and %d (0 means 1), got %d", MaxInstances, t.Instances)
	}
	for _, d := range registered() {
		b, field := t.Blocks[d.Name], "target."+d.Name
		switch {
		case d.Name == t.Driver && b == nil:
			p.add(field, "required when target.driver is %s", d.Name)
		case d.Name == t.Driver:
			addSorted(p, field+".", b.Validate())
		case b != nil && known:
			p.add(field, "not allowed when target.driver is %s (remove it, or set target.driver: %s)", t.Driver, d.Name)
		}
	}
}

// addSorted adds a driver's field → message map in a stable order.
func addSorted(p *problems, prefix string, m map[string]string) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p.add(prefix+k, "%s", m[k])
	}
}

// unitOK reports whether time_unit is in range, so that the rates per
// time_unit can be checked against MaxRate.
func (l *LoadConfig) unitOK() bool { return l.TimeUnit > 0 && l.TimeUnit.D() <= MaxDuration }

func (l *LoadConfig) validate(p *problems) {
	unitOK := p.duration("load.time_unit", l.TimeUnit.D(), MaxDuration, true)
	switch l.Executor {
	case ConstantArrivalRate:
		l.validateConstant(p, unitOK)
	case RampingArrivalRate:
		l.validateRamping(p, unitOK)
	case "":
		p.add("load.executor", "required (one of %s, %s)", ConstantArrivalRate, RampingArrivalRate)
	default:
		p.add("load.executor", "unknown executor %q (one of %s, %s)", l.Executor, ConstantArrivalRate, RampingArrivalRate)
	}
	preOK := l.PreAllocatedVUs >= 1 && l.PreAllocatedVUs <= MaxVUsLimit
	if !preOK {
		p.add("load.pre_allocated_vus", "must be between 1 and %d, got %d", MaxVUsLimit, l.PreAllocatedVUs)
	}
	// An unwritten max_vus is pre_allocated_vus: when that is out of range,
	// its own message says so, and max_vus gets none.
	derived := l.MaxVUs == l.PreAllocatedVUs && !preOK
	switch {
	case preOK && l.MaxVUs < l.PreAllocatedVUs:
		p.add("load.max_vus", "must be at least pre_allocated_vus (%d), got %d", l.PreAllocatedVUs, l.MaxVUs)
	case l.MaxVUs > MaxVUsLimit && !derived:
		p.add("load.max_vus", "must be at most %d, got %d", MaxVUsLimit, l.MaxVUs)
	}
	p.duration("load.graceful_stop", l.GracefulStop.D(), MaxDuration, false)
}

func (l *LoadConfig) validateConstant(p *problems, unitOK bool) {
	p.window("load.", l.Rate, l.Duration.D(), l.TimeUnit.D(), unitOK)
	const why = "not allowed with executor constant-arrival-rate (it belongs to ramping-arrival-rate)"
	if l.StartRate != 0 {
		p.add("load.start_rate", why)
	}
	if len(l.Stages) > 0 {
		p.add("load.stages", why)
	}
}

func (l *LoadConfig) validateRamping(p *problems, unitOK bool) {
	if l.Rate != 0 {
		p.add("load.rate", "not allowed with executor ramping-arrival-rate (use start_rate and stages[].target)")
	}
	if l.Duration != 0 {
		p.add("load.duration", "not allowed with executor ramping-arrival-rate (the stages' durations add up to the run's)")
	}
	unit := l.TimeUnit.D()
	ok := p.rate("load.start_rate", l.StartRate, unit, unitOK, true)
	if len(l.Stages) == 0 {
		p.add("load.stages", "required: at least one {target, duration} stage")
		return
	}
	// Iterations and length are summed as floats: each stage is checked
	// on its own, and a sum of many stages must not overflow either.
	iterations, secs, prev := 0.0, 0.0, l.StartRate
	for i, st := range l.Stages {
		field := fmt.Sprintf("load.stages[%d]", i)
		ok = p.rate(field+".target", st.Target, unit, unitOK, true) && ok
		ok = p.duration(field+".duration", st.Duration.D(), MaxWindow, true) && ok
		iterations += planned((prev+st.Target)/2, unit, st.Duration.D())
		secs += st.Duration.D().Seconds()
		prev = st.Target
	}
	switch {
	case !ok || !unitOK:
	case secs > MaxWindow.Seconds():
		p.add("load.stages", "the stages last %s in all; a window may last at most %s",
			hours(secs), short(MaxWindow))
	case iterations <= minPlanned:
		p.add("load.stages", "the ramp starts no iteration: start_rate and every target are 0")
	}
}

// validateVariants checks each variant; a warm-up's rate is per the load's
// time_unit (unitOK false when that is wrong).
func validateVariants(p *problems, vs []Variant, driverName string, unit time.Duration, unitOK bool) {
	seen := map[string]int{}
	for i, v := range vs {
		field := fmt.Sprintf("variants[%d]", i)
		p.name(field+".name", v.Name)
		if j, dup := seen[v.Name]; dup && v.Name != "" {
			p.add(field+".name", "%q is already the name of variants[%d]", v.Name, j)
		} else {
			seen[v.Name] = i
		}
		if v.Prewarm < 0 || v.Prewarm > MaxPrewarm {
			p.add(field+".prewarm", "must be between 0 and %d, got %d", MaxPrewarm, v.Prewarm)
		}
		if reg, _ := lookup(driverName); v.Prewarm > 0 && driverName != "" && !reg.Caps.Prewarm {
			p.add(field+".prewarm", "the %s driver has no pool to prewarm (use warmup: for an unmeasured load phase)", driverName)
		}
		if w := v.Warmup; w != nil {
			p.window(field+".warmup.", w.Rate, w.Duration.D(), unit, unitOK)
		}
		p.duration(field+".idle", v.Idle.D(), MaxDuration, false)
	}
}

// validateThresholds parses every expression now, so a typo fails before
// the run instead of after it; a key scoped to a variant must name one.
func validateThresholds(p *problems, th map[string][]string, variants []Variant) {
	keys := make([]string, 0, len(th))
	for k := range th {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		field := "thresholds." + k
		if strings.TrimSpace(k) == "" {
			p.add("thresholds", "a metric name is empty")
			continue
		}
		if len(th[k]) == 0 {
			p.add(field, "needs at least one expression, such as \"p(99) < 200ms\"")
		}
		for i, expr := range th[k] {
			at := fmt.Sprintf("%s[%d]", field, i)
			if strings.TrimSpace(expr) == "" {
				p.add(at, "must not be empty")
				continue
			}
			t, err := threshold.Parse(k, expr)
			var te *threshold.Error
			switch {
			case errors.As(err, &te) && te.Key:
				p.add(field, "%s", err)
			case err != nil:
				p.add(at, "%s", err)
			case t.Variant != "" && !hasVariant(variants, t.Variant):
				p.add(field, "no variant is named %q", t.Variant)
			}
			if te != nil && te.Key {
				break // one message per bad key
			}
		}
	}
}

// short writes d without trailing zero units: 1m rather than 1m0s.
func short(d time.Duration) string { return units.Short(d) }

// positive is true for a finite number greater than 0 (false for NaN).
func positive(x float64) bool { return x > 0 && !math.IsInf(x, 1) }

func hasVariant(vs []Variant, name string) bool {
	for _, v := range vs {
		if v.Name == name {
			return true
		}
	}
	return false
}
