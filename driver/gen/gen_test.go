package gen

import (
	"regexp"
	"strings"
	"testing"

	"github.com/poolload/poolload/driver"
)

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func mustParse(t *testing.T, s string) Gen {
	t.Helper()
	g, err := Parse(s)
	if err != nil {
		t.Fatalf("Parse(%q): %v", s, err)
	}
	return g
}

func TestParseFixed(t *testing.T) {
	tr := &driver.Trace{VU: 7, Iter: 42}
	cases := []struct {
		in   string
		want any
		text string
	}{
		{"42", int64(42), "42"}, {"007", "007", "007"}, {"hello", "hello", "hello"},
		{"'rand_int(1,2)'", "rand_int(1,2)", "rand_int(1,2)"}, {`"a b"`, "a b", "a b"},
		{"vu()", int64(7), "7"}, {"iter()", int64(42), "42"}, {"rand_int(5,5)", int64(5), "5"},
		{"choice(x)", "x", "x"}, {" choice( 3 ) ", int64(3), "3"}, {`choice("3")`, "3", "3"},
		{"rand_int(-2,-2)", int64(-2), "-2"},
	}
	for _, tc := range cases {
		g := mustParse(t, tc.in)
		if got := g.Value(tr); got != tc.want {
			t.Errorf("Parse(%q).Value → %#v, want %#v", tc.in, got, tc.want)
		}
		if got := string(g.AppendText([]byte("x="), tr)); got != "x="+tc.text {
			t.Errorf("Parse(%q).AppendText → %q, want %q", tc.in, got, "x="+tc.text)
		}
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct{ in, want string }{
		{"rand_int(1", "no closing parenthesis"},
		{"rand_int(2,1)", "lower bound is above the upper one"},
		{"rand_int(a,b)", "both bounds must be integers"},
		{"rand_int(1,2,3)", "takes two integers"},
		{"seq(1)", "seq() takes no arguments"},
		{"choice()", "needs at least one value"},
		{"choice('a)", "quote is not closed"},
		{"now()", "unknown generator now(); known: rand_int"},
		{"rand_int(-9223372036854775808,9223372036854775807)", "range is too wide"},
		{"rand_int(1,99999999999999999999)", "99999999999999999999 is out of range (min -9223372036854775808, max 9223372036854775807)"},
		{"rand_int(-99999999999999999999,1)", "-99999999999999999999 is out of range (min -9223372036854775808, max 9223372036854775807)"},
	}
	for _, tc := range cases {
		_, err := Parse(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) = %v, want an error containing %q", tc.in, err, tc.want)
		}
	}
}

func TestGenerators(t *testing.T) {
	tr := &driver.Trace{}
	r := mustParse(t, "rand_int(-2,2)")
	seen := map[int64]bool{}
	for range 1000 {
		v := r.Value(tr).(int64)
		if v < -2 || v > 2 {
			t.Fatalf("rand_int(-2,2) gave %d", v)
		}
		seen[v] = true
	}
	if len(seen) != 5 {
		t.Errorf("rand_int(-2,2) covered %v", seen)
	}
	s := mustParse(t, "seq()")
	if a, b := s.Value(tr).(int64), s.Value(tr).(int64); b != a+1 {
		t.Errorf("seq: %d then %d", a, b)
	}
	u := mustParse(t, "uuid()")
	if v := u.Value(tr).(string); !uuidRE.MatchString(v) || v == u.Value(tr).(string) {
		t.Errorf("uuid %q", v)
	}
	if v := string(u.AppendText(nil, tr)); !uuidRE.MatchString(v) {
		t.Errorf("uuid text %q", v)
	}
	c := mustParse(t, "choice(a, 'b,', 3)")
	got := map[any]bool{}
	for range 200 {
		got[c.Value(tr)] = true
	}
	if len(got) != 3 || !got["a"] || !got["b,"] || !got[int64(3)] {
		t.Errorf("choice gave %v", got)
	}
}

// The hot paths keep the allocation budget the drivers were written for.
func TestAllocs(t *testing.T) {
	tr := &driver.Trace{VU: 3, Iter: 1 << 40}
	buf := make([]byte, 0, 256)
	for _, s := range []string{"rand_int(1000,2000)", "seq()", "choice(a,'b',3)", "uuid()", "vu()", "iter()", "x"} {
		g := mustParse(t, s)
		if n := testing.AllocsPerRun(100, func() { buf = g.AppendText(buf[:0], tr) }); n != 0 {
			t.Errorf("%s: AppendText allocates %v times", s, n)
		}
	}
	// uuid(): its string and the interface box, as before the move.
	for s, want := range map[string]float64{"choice(a,'b',3)": 0, "x": 0, "42": 0, "uuid()": 2, "rand_int(1000,2000)": 1} {
		g := mustParse(t, s)
		if n := testing.AllocsPerRun(100, func() { _ = g.Value(tr) }); n > want {
			t.Errorf("%s: Value allocates %v times, want at most %v", s, n, want)
		}
	}
}
