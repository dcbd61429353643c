package mysql

import (
	"strings"
	"testing"

	pdriver "github.com/poolload/poolload/driver"
)

// The generators themselves are tested in driver/gen; this checks the
// workload's use of them: values per argument and errors per field path.
func TestParseArgs(t *testing.T) {
	errs := map[string]string{}
	gens := parseArgs("operations[0].args", []string{"42", "vu()", "now()", "rand_int(2,1)", "'x'"}, errs)
	tr := &pdriver.Trace{VU: 7}
	if got := gens[0].value(tr); got != int64(42) {
		t.Errorf("args[0] = %#v", got)
	}
	if got := gens[1].value(tr); got != int64(7) {
		t.Errorf("args[1] = %#v", got)
	}
	if got := gens[4].value(tr); got != "x" {
		t.Errorf("args[4] = %#v", got)
	}
	if !strings.Contains(errs["operations[0].args[2]"], "unknown generator now()") ||
		!strings.Contains(errs["operations[0].args[3]"], "lower bound is above") || len(errs) != 2 {
		t.Errorf("errs = %v", errs)
	}
}
