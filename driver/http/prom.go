package http

import (
	"errors"
	"fmt"
	"math"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Reading a service's /metrics with the Prometheus project's own parser
// (common/expfmt), so that what the format allows (escapes, timestamps,
// quoted UTF-8 names, blanks) is what Prometheus allows. Each sample line
// is parsed on its own, without the # TYPE lines, for two reasons: one odd
// line must not hide the gauges the other lines hold (expfmt stops at the
// first error), and a histogram's or summary's series then keep the names
// a user writes in a selector (x_bucket{le="0.5"}, x_count) instead of
// being folded into one family named x.

// promLabel is one label pair.
type promLabel struct{ name, value string }

// promSample is one line's sample.
type promSample struct {
	name   string
	labels []promLabel
	value  float64
}

// parsePrometheus reads every sample in text. A malformed line is skipped
// and reported (the first one, with its number) so that one odd line does
// not hide the gauges the other lines hold.
func parsePrometheus(text string) ([]promSample, error) {
	var out []promSample
	var firstErr error
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		s, err := parsePromLine(line)
		if err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("line %d: %w", n+1, err)
			}
			continue
		}
		out = append(out, s)
	}
	return out, firstErr
}

// parsePromLine reads one sample line (trimmed, not a comment).
func parsePromLine(line string) (promSample, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(line + "\n"))
	if err != nil {
		var pe expfmt.ParseError
		if errors.As(err, &pe) {
			return promSample{}, errors.New(pe.Msg) // its line number is always 1 here
		}
		return promSample{}, err
	}
	for name, f := range fams {
		for _, m := range f.GetMetric() {
			return promSample{name: name, labels: promLabels(m), value: untypedValue(m)}, nil
		}
	}
	return promSample{}, fmt.Errorf("no sample")
}

// promLabels are m's labels in the order written.
func promLabels(m *dto.Metric) []promLabel {
	var out []promLabel
	for _, l := range m.GetLabel() {
		out = append(out, promLabel{l.GetName(), l.GetValue()})
	}
	return out
}

// untypedValue is the value of a sample read without its # TYPE line.
func untypedValue(m *dto.Metric) float64 {
	if u := m.GetUntyped(); u != nil {
		return u.GetValue()
	}
	return math.NaN() // unreachable: without a TYPE line every sample is untyped
}

// promSelector picks samples: a metric name, optionally with labels that
// must all match (name{pool="main"}).
type promSelector struct {
	name   string
	labels []promLabel
}

// parsePromSelector reads name or name{label="value",...}: a sample line
// without its value, which the format's parser reads once a value is put
// after it.
func parsePromSelector(s string) (promSelector, error) {
	s = strings.TrimSpace(s)
	bad := func(why string) (promSelector, error) {
		return promSelector{}, fmt.Errorf("%q is not a selector (%s): want name or name{label=\"value\"}", s, why)
	}
	// Only a name, or labels closed by a brace, may end it: "x 5" would
	// read as x with value 5.
	if s == "" || strings.ContainsRune(s, '\n') ||
		!strings.HasSuffix(s, "}") && len(strings.Fields(s)) != 1 {
		return bad("not one name or name{...}")
	}
	sample, err := parsePromLine(s + " 0")
	if err != nil {
		return bad(err.Error())
	}
	if sample.name == "" {
		return bad("no metric name")
	}
	return promSelector{name: sample.name, labels: sample.labels}, nil
}

// sum adds the values of the matching samples: a pool exposed per label
// (per pool, per instance) reads as its total. ok is false if none match.
func (sel *promSelector) sum(samples []promSample) (total float64, ok bool) {
	for i := range samples {
		if samples[i].name == sel.name && hasLabels(samples[i].labels, sel.labels) {
			total += samples[i].value
			ok = true
		}
	}
	return total, ok
}

// hasLabels reports whether have includes every pair of want.
func hasLabels(have, want []promLabel) bool {
	for _, w := range want {
		found := false
		for _, h := range have {
			found = found || h == w
		}
		if !found {
			return false
		}
	}
	return true
}
