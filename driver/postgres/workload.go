package postgres

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	pdriver "github.com/poolload/poolload/driver"
	pgen "github.com/poolload/poolload/driver/gen"
)

// stmt is one statement ready to run.
type stmt struct {
	sql  string
	args []pgen.Gen
}

// op is one operation ready to run.
type op struct {
	name  string
	stmts []stmt
	tx    bool
	hold  time.Duration
	// leakEvery > 0: every leakEvery-th run leaks its connection inside
	// the open transaction; runs counts the runs.
	leakEvery uint64
	runs      *atomic.Uint64
}

// leaks reports whether this run of o is one that leaks.
func (o *op) leaks() bool {
	return o.leakEvery > 0 && o.runs.Add(1)%o.leakEvery == 0
}

// workload is the compiled list of operations with cumulative weights.
type workload struct {
	ops     []op
	cum     []int // cum[i] = sum of weights of ops[0..i]
	maxArgs int   // size of the per-VU argument buffer
}

// defaultOperations is the workload when none is given: a point select on
// the seed table if there is one, else SELECT 1.
func (c *Config) defaultOperations() []Operation {
	if c.Seed != nil && c.Seed.Table != "" && c.Seed.Rows > 0 {
		return []Operation{{
			Name: "point_select",
			SQL:  "SELECT k, pad FROM " + c.Seed.Table + " WHERE id = $1",
			Args: []string{"rand_int(1," + strconv.Itoa(c.Seed.Rows) + ")"},
		}}
	}
	return []Operation{{Name: "select_1", SQL: "SELECT 1"}}
}

// compile parses the operations; problems go into errs keyed by field path.
func (c *Config) compile(errs map[string]string) *workload {
	ops := c.Operations
	if len(ops) == 0 {
		ops = c.defaultOperations()
	}
	w := &workload{}
	total := 0
	names := map[string]int{}
	for i, o := range ops {
		path := fmt.Sprintf("operations[%d]", i)
		compiled := compileOp(path, o, errs)
		if compiled.name == "" {
			compiled.name = "op" + strconv.Itoa(i)
		}
		if j, dup := names[compiled.name]; dup {
			errs[path+".name"] = fmt.Sprintf("%q is also the name of operations[%d]", compiled.name, j)
		}
		names[compiled.name] = i
		weight := 1
		if o.Weight != nil {
			weight = *o.Weight
		}
		if weight < 1 || weight > maxWeight {
			errs[path+".weight"] = fmt.Sprintf("must be between 1 and %d (leave it out for 1), got %d", maxWeight, weight)
			weight = 1
		}
		total += weight
		w.ops = append(w.ops, compiled)
		w.cum = append(w.cum, total)
		for _, s := range compiled.stmts {
			w.maxArgs = max(w.maxArgs, len(s.args))
		}
	}
	return w
}

// compileOp checks and parses one operation.
func compileOp(path string, o Operation, errs map[string]string) op {
	out := op{name: o.Name, hold: o.Hold.D(), tx: len(o.Tx) > 0, runs: new(atomic.Uint64)}
	if msg := checkDuration(o.Hold); msg != "" {
		errs[path+".hold"] = msg
	}
	switch {
	case o.LeakEvery < 0 || o.LeakEvery > maxWeight:
		errs[path+".leak_every"] = fmt.Sprintf("must be between 0 (never) and %d, got %d", maxWeight, o.LeakEvery)
	case o.LeakEvery > 0 && len(o.Tx) == 0:
		errs[path+".leak_every"] = "applies to a tx operation: the leaked connection keeps its transaction open"
	default:
		out.leakEvery = uint64(o.LeakEvery)
	}
	switch {
	case o.SQL != "" && len(o.Tx) > 0:
		errs[path] = "give either sql (one statement) or tx (a transaction), not both"
	case strings.TrimSpace(o.SQL) == "" && len(o.Tx) == 0:
		errs[path] = "give sql (one statement) or tx (a list of statements)"
	case o.SQL != "":
		checkPlaceholders(path+".args", o.SQL, o.Args, errs)
		out.stmts = []stmt{{sql: o.SQL, args: parseArgs(path+".args", o.Args, errs)}}
	default:
		if len(o.Args) > 0 {
			errs[path+".args"] = "a tx operation takes its args per statement (tx[i].args)"
		}
		for j, s := range o.Tx {
			sp := fmt.Sprintf("%s.tx[%d]", path, j)
			if strings.TrimSpace(s.SQL) == "" {
				errs[sp+".sql"] = "is empty"
			}
			checkPlaceholders(sp+".args", s.SQL, s.Args, errs)
			out.stmts = append(out.stmts, stmt{sql: s.SQL, args: parseArgs(sp+".args", s.Args, errs)})
		}
	}
	return out
}

// parseArgs parses a statement's arguments; errs maps the field path of
// each bad one (prefix + "[i]") to its message.
func parseArgs(prefix string, args []string, errs map[string]string) []pgen.Gen {
	gens := make([]pgen.Gen, len(args))
	for i, a := range args {
		g, err := pgen.Parse(a)
		if err != nil {
			errs[fmt.Sprintf("%s[%d]", prefix, i)] = err.Error()
			continue
		}
		gens[i] = g
	}
	return gens
}

// checkPlaceholders reports a statement whose highest $n differs from its
// argument count, before the server would.
func checkPlaceholders(path, sql string, args []string, errs map[string]string) {
	if n := maxPlaceholder(sql); n != len(args) {
		errs[path] = fmt.Sprintf("the statement's placeholders go up to $%d but it has %d arg(s)", n, len(args))
	}
}

// maxPlaceholder is the highest $n outside quotes, quoted identifiers,
// dollar-quoted strings and comments.
func maxPlaceholder(sql string) int {
	n := 0
	for i := 0; i < len(sql); i++ {
		switch c := sql[i]; {
		case c == '$' && i+1 < len(sql) && sql[i+1] >= '0' && sql[i+1] <= '9':
			j := i + 1
			for j < len(sql) && sql[j] >= '0' && sql[j] <= '9' {
				j++
			}
			if v, err := strconv.Atoi(sql[i+1 : j]); err == nil {
				n = max(n, v)
			}
			i = j - 1
		case c == '$':
			// $tag$ ... $tag$ (tag may be empty)
			end := strings.IndexByte(sql[i+1:], '$')
			if end < 0 || !isTag(sql[i+1:i+1+end]) {
				continue
			}
			tag := sql[i : i+end+2]
			close := strings.Index(sql[i+len(tag):], tag)
			if close < 0 {
				return n
			}
			i += len(tag) + close + len(tag) - 1
		case c == '\'' || c == '"':
			for i++; i < len(sql) && sql[i] != c; i++ {
			}
		case strings.HasPrefix(sql[i:], "/*"):
			end := strings.Index(sql[i+2:], "*/")
			if end < 0 {
				return n
			}
			i += end + 3
		case strings.HasPrefix(sql[i:], "--"):
			end := strings.IndexByte(sql[i:], '\n')
			if end < 0 {
				return n
			}
			i += end
		}
	}
	return n
}

// isTag reports whether s can be a dollar quote's tag.
func isTag(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// pick draws an operation by weight.
func (w *workload) pick() *op {
	if len(w.ops) == 1 {
		return &w.ops[0]
	}
	r := rand.IntN(w.cum[len(w.cum)-1])
	for i, c := range w.cum { // few operations: a linear scan beats a search
		if r < c {
			return &w.ops[i]
		}
	}
	return &w.ops[len(w.ops)-1]
}

// fill evaluates s's arguments for one iteration into buf.
func (s *stmt) fill(buf []any, t *pdriver.Trace) []any {
	args := buf[:len(s.args)]
	for i := range s.args {
		args[i] = s.args[i].Value(t)
	}
	return args
}
