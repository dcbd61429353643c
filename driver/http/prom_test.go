package http

import (
	"fmt"
	"math"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"google.golang.org/protobuf/proto"
)

const promText = `# HELP pooldemo_pool_in_use Connections in use.
# TYPE pooldemo_pool_in_use gauge
pooldemo_pool_in_use 3
hikaricp_connections_active{pool="main"} 4 1700000000000
hikaricp_connections_active{pool="batch",zone="a b"} 2
esc{v="a\"b\\c\nd"} +Inf
spaced { a = "1" , } 7
broken{x=1} 5

# EOF
`

func TestParsePrometheus(t *testing.T) {
	samples, err := parsePrometheus(promText)
	if err == nil || !strings.Contains(err.Error(), `line 8: expected '"' at start of label value`) {
		t.Errorf("err = %v, want line 8's problem", err)
	}
	if len(samples) != 5 {
		t.Fatalf("samples = %+v", samples)
	}
	if s := samples[3]; s.name != "esc" || s.labels[0].value != "a\"b\\c\nd" || !math.IsInf(s.value, 1) {
		t.Errorf("escapes: %+v", s)
	}
	cases := []struct {
		sel  string
		want float64
		ok   bool
	}{
		{"pooldemo_pool_in_use", 3, true},
		{"hikaricp_connections_active", 6, true}, // summed over pools
		{`hikaricp_connections_active{pool="main"}`, 4, true},
		{`hikaricp_connections_active{zone="a b",pool="batch"}`, 2, true},
		{`hikaricp_connections_active{pool="none"}`, 0, false},
		{`spaced{a="1"}`, 7, true},
		{"absent", 0, false},
	}
	for _, c := range cases {
		sel, err := parsePromSelector(c.sel)
		if err != nil {
			t.Errorf("%s: %v", c.sel, err)
			continue
		}
		if v, ok := sel.sum(samples); v != c.want || ok != c.ok {
			t.Errorf("%s = %v, %v; want %v, %v", c.sel, v, ok, c.want, c.ok)
		}
	}
	for _, bad := range []string{"", "{a=\"b\"}", "x{a=b}", "x y", "x 5", `x{a="b"`, "9x", "x{a=\"b\"} 5", "a\nb"} {
		if _, err := parsePromSelector(bad); err == nil {
			t.Errorf("selector %q accepted", bad)
		}
	}
}

// FuzzParsePrometheus checks that no input panics the parser and that what
// it reads, written back out, reads the same.
func FuzzParsePrometheus(f *testing.F) {
	f.Add(promText)
	f.Add("a 1\nb{c=\"d\"} 2 3\n")
	f.Add("x{y=\"\\\\\"} NaN")
	f.Fuzz(func(t *testing.T, text string) {
		samples, _ := parsePrometheus(text)
		again, err := parsePrometheus(formatProm(samples))
		if err != nil || len(again) != len(samples) {
			t.Fatalf("reparse of %q: %d samples, err %v; first parse had %d", formatProm(samples), len(again), err, len(samples))
		}
		for i := range samples {
			a, b := samples[i], again[i]
			same := a.value == b.value || math.IsNaN(a.value) && math.IsNaN(b.value)
			if a.name != b.name || !same || len(a.labels) != len(b.labels) || !hasLabels(a.labels, b.labels) {
				t.Errorf("sample %d: %+v became %+v", i, a, b)
			}
		}
		_, _ = parsePromSelector(text)
	})
}

// formatProm writes samples in the text format with the Prometheus
// project's own writer, so that the fuzz target checks the parser against
// it.
func formatProm(samples []promSample) string {
	var b strings.Builder
	for _, s := range samples {
		m := &dto.Metric{Untyped: &dto.Untyped{Value: proto.Float64(s.value)}}
		for _, l := range s.labels {
			m.Label = append(m.Label, &dto.LabelPair{Name: proto.String(l.name), Value: proto.String(l.value)})
		}
		f := &dto.MetricFamily{Name: proto.String(s.name), Type: dto.MetricType_UNTYPED.Enum(), Metric: []*dto.Metric{m}}
		if _, err := expfmt.MetricFamilyToText(&b, f); err != nil {
			panic(fmt.Sprintf("writing %+v: %v", s, err))
		}
	}
	return b.String()
}
