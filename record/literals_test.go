package record

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// A column's name is written once, here: everywhere else uses the
// constant, so that renaming a column or adding one is one change, and a
// reader cannot ask for a column that no writer writes. The test reads
// every Go file outside record/ (tests excepted: they check what a user
// sees) and fails on a string literal equal to a column's name. Names
// that are also plain words (iterations, rate, errors, connections...)
// are left out: they are JSON keys and labels as well.
func TestNoColumnNameIsWrittenTwice(t *testing.T) {
	names := map[string]bool{}
	for _, c := range Columns {
		names[c.Name] = true
	}
	for _, m := range csvMetrics {
		for _, q := range percentiles {
			names[PercentileOf(m, q)] = true
		}
	}
	for n := range names {
		if !strings.Contains(strings.TrimSuffix(n, "_"), "_") {
			delete(names, n) // a plain word
		}
	}
	fset := token.NewFileSet()
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != ".." && (d.Name() == "record" || strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		// A struct tag (json:"pool_open") is a name on the wire, not a
		// column lookup.
		tags := map[*ast.BasicLit]bool{}
		ast.Inspect(f, func(n ast.Node) bool {
			if fld, ok := n.(*ast.Field); ok && fld.Tag != nil {
				tags[fld.Tag] = true
			}
			return true
		})
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING || tags[lit] {
				return true
			}
			if s, err := strconv.Unquote(lit.Value); err == nil && names[s] {
				t.Errorf("%s: the column name %q is written out: use record's constant", fset.Position(lit.Pos()), s)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
