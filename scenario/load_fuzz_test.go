package scenario

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/poolload/poolload/engine"
)

// FuzzParse feeds arbitrary text to Parse: it must never panic, and must
// return either a scenario or an *Errors whose every entry has a position.
// A scenario that loads plans, in every window and warm-up, a number of
// iterations the engine can count: at least one, and at most MaxRate ×
// MaxWindow.
func FuzzParse(f *testing.F) {
	seeds := []string{
		validDoc,
		validDoc + "  max_vu: 5\n",
		"name: [x\n",
		"rate: ${RATE} ${UNSET:-1} $${x} ${\n",
		"- a\n- b\n",
		"a: &x [*x]\n",
		"target: {driver: noop, noop: {delay: 5}}\nload: {executor: ramping-arrival-rate, stages: [{target: 1, duration: 1s}]}\n",
		"---\n---\nname: x\n",
		"load: !!str 5\nrepeat: 1e3\nvariants: [{<<: {name: a}}]\n",
		strings.Replace(validDoc, "rate: 10", "rate: 1e300", 1),
		strings.Replace(validDoc, "rate: 10\n  duration: 1s", "rate: 1e9\n  duration: 2562047h", 1),
		strings.Replace(validDoc, "pre_allocated_vus: 1", "pre_allocated_vus: 99999999999999999999", 1),
		validDoc + "  time_unit: 1ns\nvariants: [{name: w, warmup: {rate: 0.001, duration: 1ns}}]\n",
		"target: {driver: noop, noop: {}}\nload: {executor: ramping-arrival-rate, time_unit: 1ms, pre_allocated_vus: 1, stages: [{target: 1e4, duration: 24h}]}\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	for _, name := range files {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	env := envOf(map[string]string{"RATE": "10", "EMPTY": ""})
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("fuzz.yaml", data, env)
		if (s == nil) == (err == nil) {
			t.Fatalf("got scenario %v and error %v: want exactly one", s, err)
		}
		if err == nil {
			checkPlan(t, s)
			return
		}
		var errs *Errors
		if !errors.As(err, &errs) || len(errs.List) == 0 {
			t.Fatalf("got %T %v, want a non-empty *Errors", err, err)
		}
		for _, e := range errs.List {
			if e.Line < 1 || e.Col < 1 || e.Msg == "" {
				t.Fatalf("error without a place or message: %+v", e)
			}
		}
	})
}

// checkPlan fails t unless every window and warm-up of s plans between 1
// and MaxRate × MaxWindow iterations, counted as the engine counts them.
func checkPlan(t *testing.T, s *Scenario) {
	t.Helper()
	l, unit := &s.Load, s.Load.TimeUnit.D()
	most := int64(MaxRate * MaxWindow.Seconds())
	var sched engine.Schedule = engine.NewConstant(l.Rate, unit, l.Duration.D())
	if l.Executor == RampingArrivalRate {
		stages := make([]engine.Stage, len(l.Stages))
		for i, st := range l.Stages {
			stages[i] = engine.Stage{Target: st.Target, Duration: st.Duration.D()}
		}
		sched = engine.NewRamping(l.StartRate, unit, stages)
	}
	if n := sched.Total(); n < 1 || n > most || sched.Duration() > MaxWindow {
		t.Fatalf("the window plans %d iterations over %v: want 1 to %d over at most %v", n, sched.Duration(), most, MaxWindow)
	}
	for _, v := range s.Variants {
		if w := v.Warmup; w != nil {
			if n := engine.NewConstant(w.Rate, unit, w.Duration.D()).Total(); n < 1 || n > most {
				t.Fatalf("variant %s's warm-up plans %d iterations: want 1 to %d", v.Name, n, most)
			}
		}
	}
}
