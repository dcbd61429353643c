package gen

import (
	"strings"
	"testing"

	"github.com/poolload/poolload/driver"
)

func TestTemplate(t *testing.T) {
	tr := &driver.Trace{VU: 3, Iter: 7}
	cases := []struct{ in, prefix string }{
		{"/u/{vu()}/i/{ iter() }/r/{rand_int(5,5)}", "/u/3/i/7/r/5"},
		{`/x/{choice("a}b")}`, "/x/a}b"},
		{"/plain", "/plain"},
		{"", ""},
	}
	for _, tc := range cases {
		tp, err := ParseTemplate(tc.in)
		if err != nil {
			t.Fatalf("%q: %v", tc.in, err)
		}
		if got := string(tp.Append(nil, tr)); got != tc.prefix {
			t.Errorf("%q → %q, want %q", tc.in, got, tc.prefix)
		}
	}
	tp, err := ParseTemplate("/s/{seq()}/{uuid()}")
	if err != nil {
		t.Fatal(err)
	}
	got := string(tp.Append(nil, tr))
	parts := strings.Split(got, "/")
	if len(parts) != 4 || parts[2] == "" || !uuidRE.MatchString(parts[3]) || tp.IsStatic() {
		t.Errorf("seq/uuid path %q", got)
	}
}

func TestTemplateErrors(t *testing.T) {
	cases := []struct{ in, want string }{
		{"/{", "the { at byte 1 has no closing }"},
		{"/a/{nope()}", "{nope()}: unknown generator nope(); known: rand_int"},
		{"/a/{hello}", "{hello} is not a generator: use rand_int(a,b)"},
		{"/{rand_int(3,1)}", "{rand_int(3,1)}: rand_int(3,1): the lower bound is above the upper one"},
		{"/{rand_int(1,2}", "no closing parenthesis"},
		{`/{choice("a)}`, "has no closing }"},
	}
	for _, tc := range cases {
		_, err := ParseTemplate(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseTemplate(%q) = %v, want an error containing %q", tc.in, err, tc.want)
		}
	}
}

func BenchmarkTemplateAppend(b *testing.B) {
	tp, err := ParseTemplate("/items/{rand_int(1,1000)}/{choice(a,b)}/{uuid()}")
	if err != nil {
		b.Fatal(err)
	}
	tr := &driver.Trace{VU: 1}
	buf := make([]byte, 0, 128)
	b.ReportAllocs()
	for b.Loop() {
		buf = tp.Append(buf[:0], tr)
	}
}
