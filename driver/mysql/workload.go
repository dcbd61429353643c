package mysql

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/poolload/poolload/units"
)

// stmt is one statement ready to run.
type stmt struct {
	sql  string
	args []gen
	rows bool // returns rows: run with QueryContext and read fully
}

// op is one operation ready to run.
type op struct {
	name  string
	stmts []stmt
	tx    bool
	hold  time.Duration
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
			SQL:  "SELECT k, pad FROM " + c.Seed.Table + " WHERE id = ?",
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
	out := op{name: o.Name, hold: o.Hold.D(), tx: len(o.Tx) > 0}
	if msg := o.Hold.Check(units.MaxDuration, false); msg != "" {
		errs[path+".hold"] = msg
	}
	switch {
	case o.SQL != "" && len(o.Tx) > 0:
		errs[path] = "give either sql (one statement) or tx (a transaction), not both"
	case strings.TrimSpace(o.SQL) == "" && len(o.Tx) == 0:
		errs[path] = "give sql (one statement) or tx (a list of statements)"
	case o.SQL != "":
		checkPlaceholders(path+".args", o.SQL, o.Args, errs)
		out.stmts = []stmt{newStmt(o.SQL, parseArgs(path+".args", o.Args, errs))}
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
			out.stmts = append(out.stmts, newStmt(s.SQL, parseArgs(sp+".args", s.Args, errs)))
		}
	}
	return out
}

// checkPlaceholders reports a statement whose ? count differs from its
// argument count, before the server would.
func checkPlaceholders(path, sql string, args []string, errs map[string]string) {
	if n := countPlaceholders(sql); n != len(args) {
		errs[path] = fmt.Sprintf("the statement has %d placeholder(s) (?) but %d arg(s)", n, len(args))
	}
}

// countPlaceholders counts the ? outside quotes, backquotes and comments.
func countPlaceholders(sql string) int {
	n := 0
	for i := 0; i < len(sql); i++ {
		switch c := sql[i]; {
		case c == '?':
			n++
		case c == '\'' || c == '"' || c == '`':
			for i++; i < len(sql) && sql[i] != c; i++ {
				if sql[i] == '\\' {
					i++
				}
			}
		case strings.HasPrefix(sql[i:], "/*"):
			end := strings.Index(sql[i+2:], "*/")
			if end < 0 {
				return n
			}
			i += end + 3
		case c == '#' || strings.HasPrefix(sql[i:], "-- "):
			end := strings.IndexByte(sql[i:], '\n')
			if end < 0 {
				return n
			}
			i += end
		}
	}
	return n
}

func newStmt(sql string, args []gen) stmt {
	return stmt{sql: sql, args: args, rows: returnsRows(sql)}
}

// rowKeywords start statements that return a result set.
var rowKeywords = map[string]bool{
	"SELECT": true, "SHOW": true, "WITH": true, "DESCRIBE": true, "DESC": true,
	"EXPLAIN": true, "VALUES": true, "TABLE": true, "CALL": true, "HELP": true,
	"ANALYZE": true, "CHECK": true, "CHECKSUM": true, "OPTIMIZE": true, "REPAIR": true,
}

// returnsRows says whether sql returns rows, from its first keyword after
// comments and opening parentheses.
func returnsRows(sql string) bool {
	s := skipNoise(sql)
	end := 0
	for end < len(s) && isWordByte(s[end]) {
		end++
	}
	return rowKeywords[strings.ToUpper(s[:end])]
}

// skipNoise drops leading blanks, comments and parentheses.
func skipNoise(s string) string {
	for {
		s = strings.TrimLeft(s, " \t\r\n(")
		switch {
		case strings.HasPrefix(s, "/*"):
			_, rest, ok := strings.Cut(s[2:], "*/")
			if !ok {
				return ""
			}
			s = rest
		case strings.HasPrefix(s, "--"), strings.HasPrefix(s, "#"):
			_, rest, ok := strings.Cut(s, "\n")
			if !ok {
				return ""
			}
			s = rest
		default:
			return s
		}
	}
}

func isWordByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b == '_'
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
