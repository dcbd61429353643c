package mysql

import (
	"regexp"
	"testing"

	pdriver "github.com/poolload/poolload/driver"
)

func TestParseArg(t *testing.T) {
	tr := &pdriver.Trace{VU: 7, Iter: 42}
	fixed := []struct {
		in   string
		want any
	}{
		{"42", int64(42)}, {"007", "007"}, {"hello", "hello"}, {"'rand_int(1,2)'", "rand_int(1,2)"},
		{`"a b"`, "a b"}, {"vu()", int64(7)}, {"iter()", int64(42)}, {"rand_int(5,5)", int64(5)},
		{"choice(x)", "x"}, {" choice( 3 ) ", int64(3)},
	}
	for _, tc := range fixed {
		g, err := parseArg(tc.in)
		if err != nil {
			t.Errorf("parseArg(%q): %v", tc.in, err)
			continue
		}
		if got := g.value(tr); got != tc.want {
			t.Errorf("parseArg(%q) → %#v, want %#v", tc.in, got, tc.want)
		}
	}
	for _, bad := range []string{"rand_int(1", "rand_int(2,1)", "rand_int(a,b)", "rand_int(1,2,3)",
		"seq(1)", "choice()", "choice('a)", "now()", "rand_int(-9223372036854775808,9223372036854775807)"} {
		if _, err := parseArg(bad); err == nil {
			t.Errorf("parseArg(%q) accepted", bad)
		}
	}
}

func TestGenerators(t *testing.T) {
	tr := &pdriver.Trace{}
	r, _ := parseArg("rand_int(-2,2)")
	seen := map[int64]bool{}
	for range 1000 {
		v := r.value(tr).(int64)
		if v < -2 || v > 2 {
			t.Fatalf("rand_int(-2,2) gave %d", v)
		}
		seen[v] = true
	}
	if len(seen) != 5 {
		t.Errorf("rand_int(-2,2) covered %v", seen)
	}
	s, _ := parseArg("seq()")
	a, b := s.value(tr).(int64), s.value(tr).(int64)
	if b != a+1 {
		t.Errorf("seq: %d then %d", a, b)
	}
	u, _ := parseArg("uuid()")
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	if v := u.value(tr).(string); !re.MatchString(v) || v == u.value(tr).(string) {
		t.Errorf("uuid %q", v)
	}
	c, _ := parseArg("choice(a, 'b,', 3)")
	got := map[any]bool{}
	for range 200 {
		got[c.value(tr)] = true
	}
	if len(got) != 3 || !got["a"] || !got["b,"] || !got[int64(3)] {
		t.Errorf("choice gave %v", got)
	}
}
