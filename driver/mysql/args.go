package mysql

import (
	"fmt"

	pdriver "github.com/poolload/poolload/driver"
	pgen "github.com/poolload/poolload/driver/gen"
)

// gen is one statement argument. The parsing and evaluation live in
// driver/gen, shared with the HTTP target's path templates; this wrapper
// keeps the workload's call sites (s.args[i].value(t)) unchanged.
type gen struct{ pgen.Gen }

// value produces the argument for one iteration (see pgen.Gen.Value for
// what it allocates).
func (g *gen) value(t *pdriver.Trace) any { return g.Value(t) }

// parseArgs parses a statement's arguments; errs maps the field path of
// each bad one (prefix + "[i]") to its message.
func parseArgs(prefix string, args []string, errs map[string]string) []gen {
	gens := make([]gen, len(args))
	for i, a := range args {
		g, err := pgen.Parse(a)
		if err != nil {
			errs[fmt.Sprintf("%s[%d]", prefix, i)] = err.Error()
			continue
		}
		gens[i] = gen{g}
	}
	return gens
}
