package scenario

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/poolload/poolload/driver/noop"
	"github.com/poolload/poolload/units"
)

// envOf is a lookupEnv over a fixed map.
func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// validDoc is a scenario with only what is required. Line numbers in the
// golden messages below count from its first line.
const validDoc = `target:
  driver: noop
  noop: {}
load:
  executor: constant-arrival-rate
  rate: 10
  duration: 1s
  pre_allocated_vus: 1
`

func TestParseErrorMessages(t *testing.T) {
	cases := []struct {
		name, doc string
		env       map[string]string
		want      string
	}{
		{
			name: "typo'd field",
			doc:  validDoc + "  max_vu: 5\n",
			want: `scenarios/x.yaml:9:3: load.max_vu: unknown field "max_vu" (did you mean max_vus?)`,
		},
		{
			name: "typo'd top-level field",
			doc:  validDoc + "varients: []\n",
			want: `scenarios/x.yaml:9:1: varients: unknown field "varients" (did you mean variants?)`,
		},
		{
			name: "unknown field with no close match",
			doc:  validDoc + "output: {folder: x}\n",
			want: `scenarios/x.yaml:9:10: output.folder: unknown field "folder" (expected one of dir, interval, plots)`,
		},
		{
			name: "wrong type",
			doc:  strings.Replace(validDoc, "rate: 10", "rate: lots", 1),
			want: `scenarios/x.yaml:6:9: load.rate: expected a number, got string "lots"`,
		},
		{
			name: "fraction where a whole number goes",
			doc:  strings.Replace(validDoc, "pre_allocated_vus: 1", "pre_allocated_vus: 1.5", 1),
			want: `scenarios/x.yaml:8:22: load.pre_allocated_vus: expected a whole number, got number 1.5`,
		},
		{
			name: "list where a mapping goes",
			doc:  validDoc + "output: [a]\n",
			want: `scenarios/x.yaml:9:9: output: expected a mapping of fields, got a list`,
		},
		{
			name: "missing required field",
			doc:  strings.Replace(validDoc, "  executor: constant-arrival-rate\n", "", 1),
			want: `scenarios/x.yaml:4:1: load.executor: required (one of constant-arrival-rate, ramping-arrival-rate)`,
		},
		{
			name: "bad bandwidth",
			doc:  strings.Replace(validDoc, "  driver: noop\n  noop: {}\n", "  driver: http\n  http: {base_url: http://127.0.0.1:1, requests: [{path: /}]}\n  network: {bandwidth: 100 megabits}\n", 1),
			want: `scenarios/x.yaml:4:24: target.network.bandwidth: "100 megabits" has an unknown unit "megabits": use bit, kbit, Mbit, Gbit, B, KB, MB, GB (or KiB, MiB, GiB), optionally /s`,
		},
		{
			name: "network preset typo",
			doc:  strings.Replace(validDoc, "  driver: noop\n  noop: {}\n", "  driver: http\n  http: {base_url: http://127.0.0.1:1, requests: [{path: /}]}\n  network: {preset: cross-zones}\n", 1),
			want: `scenarios/x.yaml:4:21: target.network.preset: must be one of cross-region, cross-zone, docker-bridge, same-host`,
		},
		{
			name: "bad duration",
			doc:  strings.Replace(validDoc, "duration: 1s", "duration: 10 seconds", 1),
			want: `scenarios/x.yaml:7:13: load.duration: "10 seconds" is not a duration: write one such as 500ms, 30s or 1m30s`,
		},
		{
			name: "duration without a unit",
			doc:  strings.Replace(validDoc, "noop: {}", "noop: {delay: 5}", 1),
			want: `scenarios/x.yaml:3:17: target.noop.delay: "5" has no unit: write a duration such as 500ms, 30s or 1m30s`,
		},
		{
			name: "unset environment variable",
			doc:  strings.Replace(validDoc, "rate: 10", "rate: ${RATE}", 1),
			want: `scenarios/x.yaml:6:9: load.rate: environment variable RATE is not set (write ${RATE:-default} to give a default)`,
		},
		{
			name: "every unset variable at once",
			doc:  "name: ${NAME}\n" + strings.Replace(validDoc, "noop: {}", "noop: {delay: ${DELAY}}", 1),
			env:  map[string]string{"NAME": ""},
			want: `scenarios/x.yaml:4:17: target.noop.delay: environment variable DELAY is not set (write ${DELAY:-default} to give a default)`,
		},
		{
			name: "several decode problems at once",
			doc: strings.NewReplacer("rate: 10", "rate: [1]", "duration: 1s", "duration: soon").Replace(validDoc) +
				"repeat: two\n",
			want: `scenarios/x.yaml:6:9: load.rate: expected a number, got a list
scenarios/x.yaml:7:13: load.duration: "soon" is not a duration: write one such as 500ms, 30s or 1m30s
scenarios/x.yaml:9:9: repeat: expected a whole number, got string "two"`,
		},
		{
			name: "several validation problems at once",
			doc: `name: Load Test
target:
  driver: noop
load:
  executor: constant-arrival-rate
  rate: 0
  duration: 1s
  pre_allocated_vus: 10
  max_vus: 5
variants:
  - name: cold
  - name: cold
    prewarm: -1
repeat: 0
output:
  interval: 10ms
`,
			want: `scenarios/x.yaml:1:7: name: "Load Test": use lowercase letters, digits, _ and -, starting with a letter or digit (names become tags in metrics.hlog)
scenarios/x.yaml:2:1: target.noop: required when target.driver is noop
scenarios/x.yaml:6:9: load.rate: must be greater than 0
scenarios/x.yaml:9:12: load.max_vus: must be at least pre_allocated_vus (10), got 5
scenarios/x.yaml:12:11: variants[1].name: "cold" is already the name of variants[0]
scenarios/x.yaml:13:14: variants[1].prewarm: must be between 0 and 100000, got -1
scenarios/x.yaml:14:9: repeat: must be between 1 and 1000, got 0
scenarios/x.yaml:16:13: output.interval: must be between 100ms and 1m, got 10ms`,
		},
		{
			name: "driver block validation",
			doc:  strings.Replace(validDoc, "noop: {}", "noop: {error_rate: 2}", 1),
			want: `scenarios/x.yaml:3:22: target.noop.error_rate: must be between 0 and 1`,
		},
		{
			name: "ramping problems",
			doc: `target: {driver: noop, noop: {}}
load:
  executor: ramping-arrival-rate
  duration: 1m
  stages:
    - target: 0
      duration: 10s
    - {target: -3, duration: 0}
  pre_allocated_vus: 1
`,
			want: `scenarios/x.yaml:4:13: load.duration: not allowed with executor ramping-arrival-rate (the stages' durations add up to the run's)
scenarios/x.yaml:8:16: load.stages[1].target: must be 0 or more
scenarios/x.yaml:8:30: load.stages[1].duration: must be greater than 0`,
		},
		{
			name: "a ramp that starts nothing",
			doc:  "target: {driver: noop, noop: {}}\nload:\n  executor: ramping-arrival-rate\n  stages: [{target: 0, duration: 1s}]\n  pre_allocated_vus: 1\n",
			want: `scenarios/x.yaml:4:3: load.stages: the ramp starts no iteration: start_rate and every target are 0`,
		},
		{
			name: "YAML syntax error",
			doc:  "name: [x\n",
			want: `scenarios/x.yaml:1:7: invalid YAML: sequence end token ']' not found`,
		},
		{
			name: "duplicate key",
			doc:  validDoc + "load: {}\n",
			want: `scenarios/x.yaml:9:1: duplicate key "load" (first written at line 4, column 1)`,
		},
		{
			name: "not a mapping",
			doc:  "- name: x\n",
			want: `scenarios/x.yaml:1:1: expected a mapping of fields, got a list`,
		},
		{
			name: "two documents",
			doc:  validDoc + "---\nname: other\n",
			want: `scenarios/x.yaml:10:1: a scenario file holds one YAML document: remove this second one (or the --- before it)`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse("scenarios/x.yaml", []byte(tc.doc), envOf(tc.env))
			if s != nil {
				t.Fatalf("got a scenario, want errors:\n%s", tc.want)
			}
			var errs *Errors
			if !errors.As(err, &errs) {
				t.Fatalf("got %T %v, want *Errors", err, err)
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

// fullScenario is testdata/full.yaml as it should load.
func fullScenario() *Scenario {
	d := func(x time.Duration) units.Duration { return units.Duration(x) }
	no := false
	return &Scenario{
		Name:        "full-scenario",
		Description: "every field, for the round-trip test",
		Target: NewTarget(noop.Name, &noop.Config{
			Delay: d(2 * time.Millisecond), Jitter: d(time.Millisecond), Blocked: d(500 * time.Microsecond), ErrorRate: 0.01}),
		Load: LoadConfig{
			Executor:  RampingArrivalRate,
			StartRate: 10,
			Stages: []Stage{{Target: 100, Duration: d(10 * time.Second)},
				{Target: 100, Duration: d(90 * time.Second)}, {Target: 0, Duration: d(5 * time.Second)}},
			TimeUnit: d(100 * time.Millisecond), PreAllocatedVUs: 20, MaxVUs: 200, GracefulStop: 0,
		},
		Variants: []Variant{{Name: "cold"}, {Name: "warm", Idle: d(2 * time.Second)},
			{Name: "warm_load", Warmup: &Warmup{Rate: 50, Duration: d(3 * time.Second)}}},
		Repeat: 3,
		Thresholds: map[string][]string{
			"latency": {"p(99) < 200ms", "p(50) < 20ms"}, "dropped_iterations": {"count == 0"}},
		Output: Output{Dir: "out/runs", Interval: d(250 * time.Millisecond), Plots: &no},
		File:   filepath.Join("testdata", "full.yaml"),
	}
}

func TestLoadFullScenarioRoundTrip(t *testing.T) {
	s, err := Load(filepath.Join("testdata", "full.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if want := fullScenario(); !reflect.DeepEqual(s, want) {
		t.Fatalf("loaded:\n%+v\nwant:\n%+v", s, want)
	}
	// What poolload writes back (run.json's scenario, say) must load to the
	// same scenario.
	out, err := yaml.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Parse(s.File, out, envOf(nil))
	if err != nil {
		t.Fatalf("%v\nin:\n%s", err, out)
	}
	if !reflect.DeepEqual(again, s) {
		t.Fatalf("after a round trip:\n%+v\nwant:\n%+v", again, s)
	}
}

func TestLoadExampleScenarios(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "scenarios", "*.yaml"))
	for _, f := range files {
		if _, err := Load(f); err != nil {
			t.Errorf("%v", err)
		}
	}
}

func TestLoadMissingFileIsNotAScenarioError(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	var errs *Errors
	if !errors.Is(err, os.ErrNotExist) || errors.As(err, &errs) {
		t.Fatalf("got %T %v, want a not-exist error", err, err)
	}
}

func TestParseRefusesAHugeFile(t *testing.T) {
	data := []byte("# " + strings.Repeat("x", maxFileSize) + "\n")
	_, err := Parse("big.yaml", data, envOf(nil))
	if want := "big.yaml:1:1: file is larger than 256 KiB: is this a scenario?"; err == nil || err.Error() != want {
		t.Fatalf("got %v, want %s", err, want)
	}
}

func TestErrorWithoutFileOrField(t *testing.T) {
	e := Error{Line: 3, Col: 4, Msg: "bad"}
	if got := e.Error(); got != "3:4: bad" {
		t.Fatalf("got %q", got)
	}
}

func TestLevenshtein(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"max_vu", "max_vus", 1}, {"nme", "name", 1}, {"rate", "tare", 2}, {"abc", "", 3}} {
		if got := levenshtein(tc.a, tc.b); got != tc.want {
			t.Errorf("levenshtein(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

// A panic inside Parse (goccy has had some on odd input) becomes an error.
func TestParseRecoversFromAPanic(t *testing.T) {
	boom := func(string) (string, bool) { panic("boom") }
	_, err := Parse("x.yaml", []byte("a: ${X}\n"), boom)
	want := "x.yaml:1:1: cannot read this file as YAML (parser failure: boom)"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %s", err, want)
	}
}
