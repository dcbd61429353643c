package scenario

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"

	"github.com/poolload/poolload/units"
)

// duration uses units.Duration's own parser, so the message is the one a
// Go caller of UnmarshalYAML would see.
func (c *checker) duration(n ast.Node, path string) {
	text, ok := scalarText(n)
	if !ok {
		c.errs.add(nodePos(n), path, "expected a duration such as 500ms, 30s or 1m30s, got "+describe(n))
		return
	}
	var d units.Duration
	if err := d.UnmarshalYAML([]byte(text)); err != nil {
		c.errs.add(nodePos(n), path, err.Error())
	}
}

// text checks a scalar type with its own text form (a bandwidth such as
// 100Mbit, a size such as 1MB) with that type's parser.
func (c *checker) text(n ast.Node, t reflect.Type, path string) {
	text, ok := scalarText(n)
	if !ok {
		c.errs.add(nodePos(n), path, "expected a value such as 100Mbit or 1MB, got "+describe(n))
		return
	}
	v := reflect.New(t).Interface().(textYAML)
	if err := v.UnmarshalYAML([]byte(text)); err != nil {
		c.errs.add(nodePos(n), path, err.Error())
	}
}

// scalar checks a string, number or boolean. It accepts what goccy
// converts (a quoted "5", 1e3 for an int) but not what goccy would
// silently truncate (1.5 for an int), and its messages name what to write
// rather than Go types.
func (c *checker) scalar(n ast.Node, k reflect.Kind, path string) {
	var ok bool
	var want string
	switch k {
	case reflect.String:
		_, ok = n.(ast.ScalarNode)
		want = "a string"
	case reflect.Int, reflect.Int64, reflect.Int32:
		ok, want = isWholeNumber(n), "a whole number"
	case reflect.Float64, reflect.Float32:
		_, ok = numberValue(n)
		want = "a number"
	case reflect.Bool:
		_, ok = n.(*ast.BoolNode)
		want = "true or false"
	default:
		return // no such field in Scenario today; goccy decides
	}
	if !ok {
		c.errs.add(nodePos(n), path, fmt.Sprintf("expected %s, got %s", want, describe(n)))
	}
}

// numberValue is the finite number n holds, if any.
func numberValue(n ast.Node) (float64, bool) {
	var v float64
	switch x := n.(type) {
	case *ast.IntegerNode:
		switch i := x.Value.(type) {
		case int64:
			v = float64(i)
		case uint64:
			v = float64(i)
		}
	case *ast.FloatNode:
		v = x.Value
	case *ast.StringNode:
		f, err := strconv.ParseFloat(strings.TrimSpace(x.Value), 64)
		if err != nil {
			return 0, false
		}
		v = f
	default:
		return 0, false
	}
	return v, !math.IsInf(v, 0) && !math.IsNaN(v)
}

// isWholeNumber is true for an integer that fits an int (and that a float
// can hold exactly, when it is written as one: 1e3).
func isWholeNumber(n ast.Node) bool {
	if i, ok := n.(*ast.IntegerNode); ok {
		switch v := i.Value.(type) {
		case int64:
			return v >= math.MinInt && v <= math.MaxInt
		case uint64:
			return v <= math.MaxInt
		}
		return false
	}
	v, ok := numberValue(n)
	return ok && v == math.Trunc(v) && math.Abs(v) <= 1<<53
}

// unwrap looks through anchors (&a) and tags (!!str) to the value.
