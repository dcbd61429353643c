package scenario

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/poolload/poolload/units"
)

func TestParseAppliesDefaults(t *testing.T) {
	s, err := Parse("scenarios/pool-size.yaml", []byte(validDoc), envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		field     string
		got, want any
	}{
		{"name", s.Name, "pool-size"},
		{"file", s.File, "scenarios/pool-size.yaml"},
		{"repeat", s.Repeat, 1},
		{"load.time_unit", s.Load.TimeUnit.D(), time.Second},
		{"load.max_vus", s.Load.MaxVUs, 1},
		{"load.graceful_stop", s.Load.GracefulStop.D(), 30 * time.Second},
		{"output.dir", s.Output.Dir, "results"},
		{"output.interval", s.Output.Interval.D(), time.Second},
		{"output.plots", s.Output.Plots, (*bool)(nil)},
		{"variants", s.Variants, []Variant{{Name: "default"}}},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.field, c.got, c.want)
		}
	}
}

func TestParseKeepsWrittenValues(t *testing.T) {
	doc := "name: mine\n" + validDoc + "  max_vus: 7\n  graceful_stop: 0\n  time_unit: 1m\n" +
		"variants: [{name: cold}]\nrepeat: 4\noutput: {dir: out, interval: 5s}\n"
	s, err := Parse("scenarios/x.yaml", []byte(doc), envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	l := s.Load
	if s.Name != "mine" || l.MaxVUs != 7 || l.GracefulStop != 0 || l.TimeUnit.D() != time.Minute ||
		s.Repeat != 4 || s.Output.Dir != "out" || s.Output.Interval.D() != 5*time.Second ||
		len(s.Variants) != 1 || s.Variants[0].Name != "cold" {
		t.Fatalf("written values changed: %+v", s)
	}
}

// A written 0 is kept, so it is validated rather than replaced.
func TestParseValidatesWrittenZeros(t *testing.T) {
	doc := validDoc + "  time_unit: 0\nrepeat: 0\noutput: {interval: 0}\n"
	_, err := Parse("x.yaml", []byte(doc), envOf(nil))
	want := `x.yaml:9:14: load.time_unit: must be greater than 0
x.yaml:10:9: repeat: must be between 1 and 1000, got 0
x.yaml:11:20: output.interval: must be between 100ms and 1m, got 0s`
	if err == nil || err.Error() != want {
		t.Fatalf("got:\n%v\nwant:\n%s", err, want)
	}
}

func TestNameFromFileName(t *testing.T) {
	for file, want := range map[string]string{
		"a/b/warm-vs-cold.yaml": "warm-vs-cold",
		"noop.yml":              "noop",
		"plain":                 "plain",
		"":                      "",
	} {
		s := &Scenario{File: file}
		s.ApplyDefaults()
		if s.Name != want {
			t.Errorf("%q: name %q, want %q", file, s.Name, want)
		}
	}
}

func TestApplyDefaultsInCode(t *testing.T) {
	s := &Scenario{Load: LoadConfig{PreAllocatedVUs: 4}}
	s.ApplyDefaults()
	if s.Load.GracefulStop != units.Duration(DefaultGracefulStop) || s.Load.MaxVUs != 4 || s.Repeat != 1 {
		t.Fatalf("defaults not applied: %+v", s.Load)
	}
}

func TestBadNameFromFileIsReported(t *testing.T) {
	_, err := Parse("My Test.yaml", []byte(validDoc), envOf(nil))
	if err == nil || !strings.Contains(err.Error(), `My Test.yaml:1:1: name: "My Test": use lowercase`) {
		t.Fatalf("got %v", err)
	}
}
