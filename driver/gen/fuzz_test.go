package gen

import (
	"fmt"
	"testing"

	"github.com/poolload/poolload/driver"
)

// FuzzParse checks that no input makes Parse or ParseTemplate panic, that
// whatever parses also evaluates, and that a fixed value reads the same as
// a SQL argument and as text.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"42", "007", "'x'", `"a b"`, "rand_int(1,10)", "rand_int(-5,5)",
		"seq()", "choice(a, 'b,', 3)", "uuid()", "vu()", "iter()", "choice('a)", "rand_int(1",
		"/items/{rand_int(1,1000)}", `/x/{choice("a","b")}`, "{uuid()}", "/{", "{}", "{ ()}"} {
		f.Add(s)
	}
	tr := &driver.Trace{VU: 2, Iter: 9}
	f.Fuzz(func(t *testing.T, s string) {
		if g, err := Parse(s); err == nil {
			v := g.Value(tr)
			text := string(g.AppendText(nil, tr))
			fixed := g.kind == kLiteral || g.kind == kVU || g.kind == kIter ||
				g.kind == kChoice && len(g.choices) == 1
			if fixed && fmt.Sprint(v) != text {
				t.Errorf("Parse(%q): Value %#v but AppendText %q", s, v, text)
			}
			if g.kind == kRandInt {
				if n := v.(int64); n < g.lo || n-g.lo >= g.span {
					t.Errorf("Parse(%q): %d out of range", s, n)
				}
			}
		}
		if tp, err := ParseTemplate(s); err == nil {
			_ = tp.Append(nil, tr)
		}
	})
}
