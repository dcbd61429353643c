package scenario

import (
	"github.com/poolload/poolload/driver"
	"reflect"
	"testing"
	"time"

	"github.com/poolload/poolload/driver/noop"
	"github.com/poolload/poolload/units"
)

func validScenario() *Scenario {
	sec := units.Duration(time.Second)
	return &Scenario{
		Name:   "ok",
		Target: NewTarget(noop.Name, &noop.Config{}),
		Load: LoadConfig{Executor: ConstantArrivalRate, Rate: 10, Duration: sec, TimeUnit: sec,
			PreAllocatedVUs: 1, MaxVUs: 1, GracefulStop: sec},
		Variants: []Variant{{Name: "cold"}, {Name: "warm", Warmup: &Warmup{Rate: 10, Duration: units.Duration(time.Second)}}},
		Repeat:   1,
		Output:   Output{Dir: "results", Interval: sec},
	}
}

func ramping(s *Scenario) {
	s.Load.Executor, s.Load.Rate, s.Load.Duration = RampingArrivalRate, 0, 0
	s.Load.Stages = []Stage{{Target: 10, Duration: units.Duration(time.Second)}}
}

func TestValidate(t *testing.T) {
	type fe = FieldError
	cases := []struct {
		name   string
		change func(s *Scenario)
		want   []FieldError
	}{
		{"valid constant", func(*Scenario) {}, nil},
		{"valid ramping", ramping, nil},
		{"name with a dot", func(s *Scenario) { s.Name = "a.b" },
			[]fe{{"name", `"a.b": use lowercase letters, digits, _ and -, starting with a letter or digit (names become tags in metrics.hlog)`}}},
		{"name starting with _", func(s *Scenario) { s.Name = "_a" },
			[]fe{{"name", `"_a": use lowercase letters, digits, _ and -, starting with a letter or digit (names become tags in metrics.hlog)`}}},
		{"no driver", func(s *Scenario) { s.Target.Driver = "" },
			[]fe{{"target.driver", "required (one of noop, mysql, http, postgres)"}}},
		{"unknown driver", func(s *Scenario) { s.Target.Driver = "oracle" },
			[]fe{{"target.driver", `unknown driver "oracle" (one of noop, mysql, http, postgres)`}}},
		{"missing block", func(s *Scenario) { delete(s.Target.Blocks, noop.Name) },
			[]fe{{"target.noop", "required when target.driver is noop"}}},
		{"driver's own check", func(s *Scenario) { s.Target.Block().(*noop.Config).ErrorRate = -1 },
			[]fe{{"target.noop.error_rate", "must be between 0 and 1"}}},
		{"no executor", func(s *Scenario) { s.Load.Executor = "" },
			[]fe{{"load.executor", "required (one of constant-arrival-rate, ramping-arrival-rate)"}}},
		{"unknown executor", func(s *Scenario) { s.Load.Executor = "constant-vus" },
			[]fe{{"load.executor", `unknown executor "constant-vus" (one of constant-arrival-rate, ramping-arrival-rate)`}}},
		{"constant without rate and duration", func(s *Scenario) { s.Load.Rate, s.Load.Duration = 0, 0 },
			[]fe{{"load.rate", "must be greater than 0"}, {"load.duration", "must be greater than 0"}}},
		{"constant with ramp fields", func(s *Scenario) { s.Load.StartRate, s.Load.Stages = 1, []Stage{{}} },
			[]fe{{"load.start_rate", "not allowed with executor constant-arrival-rate (it belongs to ramping-arrival-rate)"},
				{"load.stages", "not allowed with executor constant-arrival-rate (it belongs to ramping-arrival-rate)"}}},
		{"ramping without stages", func(s *Scenario) { ramping(s); s.Load.Stages = nil },
			[]fe{{"load.stages", "required: at least one {target, duration} stage"}}},
		{"ramping with constant fields", func(s *Scenario) { ramping(s); s.Load.Rate, s.Load.Duration = 5, 5 },
			[]fe{{"load.rate", "not allowed with executor ramping-arrival-rate (use start_rate and stages[].target)"},
				{"load.duration", "not allowed with executor ramping-arrival-rate (the stages' durations add up to the run's)"}}},
		{"ramping bad stages", func(s *Scenario) {
			ramping(s)
			s.Load.StartRate = -1
			s.Load.Stages = append(s.Load.Stages, Stage{Target: -2, Duration: 0})
		}, []fe{{"load.start_rate", "must be 0 or more"}, {"load.stages[1].target", "must be 0 or more"},
			{"load.stages[1].duration", "must be greater than 0"}}},
		{"ramping from a start rate to 0 is fine", func(s *Scenario) {
			ramping(s)
			s.Load.StartRate, s.Load.Stages[0].Target = 5, 0
		}, nil},
		{"ramping with no arrivals", func(s *Scenario) { ramping(s); s.Load.Stages[0].Target = 0 },
			[]fe{{"load.stages", "the ramp starts no iteration: start_rate and every target are 0"}}},
		{"time unit", func(s *Scenario) { s.Load.TimeUnit = 0 }, []fe{{"load.time_unit", "must be greater than 0"}}},
		{"no VUs", func(s *Scenario) { s.Load.PreAllocatedVUs, s.Load.MaxVUs = 0, 0 },
			[]fe{{"load.pre_allocated_vus", "must be between 1 and 100000, got 0"}}},
		{"max below pre-allocated", func(s *Scenario) { s.Load.PreAllocatedVUs = 3 },
			[]fe{{"load.max_vus", "must be at least pre_allocated_vus (3), got 1"}}},
		{"too many VUs", func(s *Scenario) { s.Load.MaxVUs = MaxVUsLimit + 1 },
			[]fe{{"load.max_vus", "must be at most 100000, got 100001"}}},
		{"repeat", func(s *Scenario) { s.Repeat = 1001 }, []fe{{"repeat", "must be between 1 and 1000, got 1001"}}},
		{"variant problems", func(s *Scenario) {
			s.Variants = []Variant{{Name: "cold"}, {Name: "cold", Prewarm: -1}, {Name: "", Warmup: &Warmup{}}}
		}, []fe{{"variants[1].name", `"cold" is already the name of variants[0]`}, {"variants[1].prewarm", "must be between 0 and 100000, got -1"},
			{"variants[2].name", "required"}, {"variants[2].warmup.rate", "must be greater than 0"},
			{"variants[2].warmup.duration", "must be greater than 0"}}},
		{"output", func(s *Scenario) { s.Output = Output{Interval: units.Duration(2 * time.Minute)} },
			[]fe{{"output.dir", "required (a folder for the run records)"}, {"output.interval", "must be between 100ms and 1m, got 2m"}}},
		{"thresholds", func(s *Scenario) {
			s.Thresholds = map[string][]string{"latency": {"p(99) < 1s", " "}, "errors": nil, "": {"x"}}
		}, []fe{{"thresholds", "a metric name is empty"}, {"thresholds.errors", `needs at least one expression, such as "p(99) < 200ms"`},
			{"thresholds.latency[1]", "must not be empty"}}},
		{"prewarm without a pool", func(s *Scenario) {
			s.Variants = []Variant{{Name: "warm", Prewarm: 4}}
		}, []fe{{"variants[0].prewarm", "the noop driver has no pool to prewarm (use warmup: for an unmeasured load phase)"}}},
		{"threshold expressions", func(s *Scenario) {
			s.Thresholds = map[string][]string{"latency": {"p99 < 5ms"}, "hot.blocked": {"p(95) < 1ms"}, "latncy": {"avg < 3"}}
		}, []fe{{"thresholds.hot.blocked", `no variant is named "hot"`},
			{"thresholds.latency[0]", `unknown aggregation "p99" (write p(99))`},
			{"thresholds.latncy", `unknown metric "latncy" (one of latency, service, schedule_lag, blocked, connecting, dns, dial, handshake, wait, receiving, sending, tls, iterations, dropped_iterations, errors, interrupted)`}}},
		{"service without run or ready", func(s *Scenario) { s.Service = &ServiceConfig{} },
			[]fe{{"service.run", "required: the shell command that runs the service in the foreground"},
				{"service.ready", "required unless the target is http (then it defaults to base_url)"}}},
		{"service with a bad probe", func(s *Scenario) { s.Service = &ServiceConfig{Run: "x", Ready: "/healthz"} },
			[]fe{{"service.ready", "a path needs an HTTP target's base_url to be relative to; give a full http:// URL or tcp://host:port"}}},
		{"before restart without a service", func(s *Scenario) { s.Variants[0].Before = &Before{Restart: true, Ready: "ftp://x"} },
			[]fe{{"variants[0].before.restart", "there is no service block to restart (add service: {run: COMMAND})"},
				{"variants[0].before.ready", `"ftp://x": want an http:// URL, a /path under the target's base_url, or tcp://host:port`}}},
		{"empty before", func(s *Scenario) { s.Variants[1].Before = &Before{} },
			[]fe{{"variants[1].before", "needs restart: true or run: COMMAND"}}},
		{"valid service and before", func(s *Scenario) {
			s.Service = &ServiceConfig{Run: "x", Ready: "tcp://127.0.0.1:1"}
			s.Variants[0].Before = &Before{Restart: true}
		}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := validScenario()
			tc.change(s)
			if got := s.Validate(); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

type fakeBlock struct{}

func (fakeBlock) Validate() map[string]string { return nil }

// With a second driver registered, its block beside the chosen driver's is
// refused.
func TestValidateRefusesAnotherDriversBlock(t *testing.T) {
	saved := registered
	defer func() { registered = saved }()
	registered = func() []driver.Registration {
		return append(saved(), driver.Registration{Name: "fake",
			NewConfig: func() driver.Config { return &fakeBlock{} }})
	}
	s := validScenario()
	s.Target.Blocks["fake"] = &fakeBlock{}
	got := s.Validate()
	want := []FieldError{{"target.fake", "not allowed when target.driver is noop (remove it, or set target.driver: fake)"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}
