package scenario

import (
	"errors"
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
		if neg, big := tooBig(n, true); big {
			c.errs.add(nodePos(n), path, outOfRange(n, c.bounds, neg, true))
			return
		}
		ok, want = isWholeNumber(n), "a whole number"
	case reflect.Float64, reflect.Float32:
		if neg, big := tooBig(n, false); big {
			c.errs.add(nodePos(n), path, outOfRange(n, c.bounds, neg, false))
			return
		}
		_, ok = numberValue(n)
		want = "a number"
		switch n.(type) {
		case *ast.InfinityNode, *ast.NanNode:
			want = "a finite number"
		}
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

// maxExact is the largest magnitude below which a float64 holds every whole
// number: beyond it, a whole number written as 1e17 is no longer exact,
// and every field's range stops far below it.
const maxExact = 1 << 53

// tooBig reports whether n is written as a number of a magnitude its field
// cannot hold (beyond int64 for a whole number, or beyond float64), and
// whether it is negative. goccy reads such a number as a string, which
// would otherwise be reported as "got string".
func tooBig(n ast.Node, whole bool) (neg, big bool) {
	if i, ok := n.(*ast.IntegerNode); ok {
		u, isUint := i.Value.(uint64)
		return false, whole && isUint && u > math.MaxInt64
	}
	text, ok := scalarText(n)
	if !ok {
		return false, false
	}
	text = strings.TrimSpace(text)
	neg = strings.HasPrefix(text, "-")
	if _, err := strconv.ParseInt(text, 0, 64); whole && errors.Is(err, strconv.ErrRange) {
		return neg, true
	}
	f, err := strconv.ParseFloat(text, 64)
	switch {
	case errors.Is(err, strconv.ErrRange) && math.IsInf(f, 0):
		return neg, true
	case err == nil && whole && f == math.Trunc(f) && math.Abs(f) > maxExact:
		return neg, true
	}
	return false, false
}

// outOfRange says that n is beyond its field's range, quoting the field's
// bound from its range tag ("1..100000"), or its type's when it has none.
func outOfRange(n ast.Node, bounds string, neg, whole bool) string {
	text, _ := scalarText(n)
	lo, hi, ok := strings.Cut(bounds, "..")
	switch {
	case ok:
	case whole:
		lo, hi = strconv.Itoa(math.MinInt64), strconv.Itoa(math.MaxInt64)
	default:
		lo, hi = strconv.FormatFloat(-math.MaxFloat64, 'g', 3, 64), strconv.FormatFloat(math.MaxFloat64, 'g', 3, 64)
	}
	if neg {
		return fmt.Sprintf("%s is out of range (min %s)", clip(strings.TrimSpace(text)), lo)
	}
	return fmt.Sprintf("%s is out of range (max %s)", clip(strings.TrimSpace(text)), hi)
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
