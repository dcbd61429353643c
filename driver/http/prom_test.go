package http

import (
	"math"
	"strconv"
	"strings"
	"testing"
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
	if err == nil || !strings.Contains(err.Error(), "line 8: broken: label x: value is not quoted") {
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
	for _, bad := range []string{"", "{a=\"b\"}", "x{a=b}", "x y", `x{a="b"`, "9x"} {
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

// formatProm writes samples in the text format.
func formatProm(samples []promSample) string {
	var b strings.Builder
	for _, s := range samples {
		b.WriteString(s.name)
		if len(s.labels) > 0 {
			b.WriteByte('{')
			for i, l := range s.labels {
				if i > 0 {
					b.WriteByte(',')
				}
				v := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(l.value)
				b.WriteString(l.name + `="` + v + `"`)
			}
			b.WriteByte('}')
		}
		b.WriteString(" " + strconv.FormatFloat(s.value, 'g', -1, 64) + "\n")
	}
	return b.String()
}
