package scenario

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
)

// Error is one problem in a scenario file, at the place a user would fix it.
type Error struct {
	File      string
	Line, Col int
	// Field is the dotted YAML path (load.stages[1].duration); "" when the
	// problem is not inside one field (a YAML syntax error, say).
	Field string
	Msg   string
}

// Error formats e as FILE:LINE:COL: FIELD: MESSAGE, the shape editors and
// terminals turn into a link.
func (e Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteByte(':')
	}
	fmt.Fprintf(&b, "%d:%d: ", e.Line, e.Col)
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem found in one file. Parse and Load return it (as
// *Errors) whenever a file cannot be used.
type Errors struct {
	List []Error
}

// Error prints one problem per line.
func (e *Errors) Error() string {
	lines := make([]string, len(e.List))
	for i, p := range e.List {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// errorList collects problems in one file before they are returned.
type errorList struct {
	file string
	list []Error
}

// add records a problem; a position before 1:1 (no token) becomes 1:1 so
// every message can still be followed to the file.
func (l *errorList) add(p pos, field, msg string) {
	p.line, p.col = max(p.line, 1), max(p.col, 1)
	l.list = append(l.list, Error{File: l.file, Line: p.line, Col: p.col, Field: printable(field), Msg: msg})
}

// printable is a field path as a message can show it: a key from a file
// that is not a scenario (a binary, say) may be long or hold control
// bytes, which are escaped and cut.
func printable(field string) string {
	if len(field) <= 2*maxQuoted && !strings.ContainsFunc(field, func(r rune) bool {
		return !unicode.IsPrint(r) || r == utf8.RuneError
	}) {
		return field
	}
	q := strconv.Quote(field)
	return clip(q[1 : len(q)-1])
}

// err returns the problems in file order, or nil when there are none.
func (l *errorList) err() error {
	if len(l.list) == 0 {
		return nil
	}
	sort.SliceStable(l.list, func(i, j int) bool {
		a, b := l.list[i], l.list[j]
		return a.Line < b.Line || a.Line == b.Line && a.Col < b.Col
	})
	return &Errors{List: l.list}
}

// pos is a 1-based line and column; columns count runes, as goccy's do.
type pos struct{ line, col int }

func (p pos) before(q pos) bool { return p.line < q.line || p.line == q.line && p.col < q.col }

var duplicateKey = regexp.MustCompile(`^mapping key "(.*)" already defined at \[(\d+):(\d+)\]$`)

// addYAML turns an error from goccy into one line of ours: goccy's own
// Error() spans several lines with a source snippet.
func (l *errorList) addYAML(err error, idx *index) {
	var ye yaml.Error
	if !errors.As(err, &ye) || ye.GetToken() == nil {
		l.add(pos{1, 1}, "", oneLine(err.Error()))
		return
	}
	tk := ye.GetToken()
	p := pos{tk.Position.Line, tk.Position.Column}
	msg := oneLine(ye.GetMessage())
	if m := duplicateKey.FindStringSubmatch(msg); m != nil {
		msg = fmt.Sprintf("duplicate key %s (first written at line %s, column %s)", quote(m[1]), m[2], m[3])
	} else if _, syntax := ye.(*yaml.SyntaxError); syntax {
		msg = "invalid YAML: " + msg
	}
	l.add(p, idx.fieldAt(p), msg)
}

// oneLine keeps the first line of a message.
func oneLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// index remembers where each field path is written, so that problems found
// after decoding (validation) can be reported at a line and column.
type index struct {
	at  map[string]pos  // field path → where to point
	set map[string]bool // field paths written with a non-null value
}

func newIndex() *index { return &index{at: map[string]pos{}, set: map[string]bool{}} }

// note records path at p. A scalar is pointed at by its value; a mapping,
// a list or an empty value by its key, which reads better in a message
// about the whole block.
func (x *index) note(path string, p pos, written bool) {
	x.at[path] = p
	if written {
		x.set[path] = true
	}
}

// written reports whether path was given a value in the file.
func (x *index) written(path string) bool { return x != nil && x.set[path] }

// posOf is where path is written or, when it is missing, where its nearest
// written parent is; 1:1 for a missing top-level field.
func (x *index) posOf(path string) pos {
	for x != nil && path != "" {
		if p, ok := x.at[path]; ok {
			return p
		}
		path = parentPath(path)
	}
	return pos{1, 1}
}

// parentPath drops the last element of a path: a.b[2] → a.b → a → "".
func parentPath(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

// fieldAt names the field written at p: the last one that starts on p's
// line at or before p's column (a value like ${VAR} starts where the field's
// value does). Ties go to the deeper path.
func (x *index) fieldAt(p pos) string {
	if x == nil {
		return ""
	}
	best, bestPos := "", pos{}
	for path, q := range x.at {
		if q.line != p.line || p.before(q) {
			continue
		}
		if bestPos.before(q) || q == bestPos && len(path) > len(best) {
			best, bestPos = path, q
		}
	}
	return best
}

// nodePos is where a node starts. A block mapping's own token is its first
// colon, so it is pointed at by its first key instead.
func nodePos(n ast.Node) pos {
	if m, ok := n.(*ast.MappingNode); ok && len(m.Values) > 0 && !m.IsFlowStyle {
		n = m.Values[0].Key
	}
	if n == nil {
		return pos{1, 1}
	}
	tk := n.GetToken()
	if tk == nil || tk.Position == nil {
		return pos{1, 1}
	}
	return pos{tk.Position.Line, tk.Position.Column}
}

// describe says what a node is, for "expected X, got Y".
func describe(n ast.Node) string {
	switch v := n.(type) {
	case *ast.StringNode:
		return "string " + quote(v.Value)
	case *ast.LiteralNode:
		return "a multi-line string"
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.BoolNode:
		return "boolean " + v.GetToken().Value
	case *ast.IntegerNode, *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		return "number " + v.GetToken().Value
	}
	if tk := n.GetToken(); tk != nil {
		return quote(tk.Value)
	}
	return n.Type().YAMLName()
}

// maxQuoted is how much of a value a message quotes: a file that is not
// YAML at all (a binary, say) reads as one long string, and the message
// should show what it starts with, not all of it.
const maxQuoted = 40

// quote is s in Go quotes with non-printable bytes escaped, cut after
// maxQuoted bytes: "\x7fELF\x02…" (1234 bytes).
func quote(s string) string {
	if len(s) <= maxQuoted {
		return strconv.Quote(s)
	}
	return fmt.Sprintf("%s… (%d bytes)", strconv.Quote(prefix(s, maxQuoted)), len(s))
}

// clip is s cut after maxQuoted bytes, for text shown without quotes.
func clip(s string) string {
	if len(s) <= maxQuoted {
		return s
	}
	return prefix(s, maxQuoted) + "…"
}

// prefix is at most n bytes of s, not cutting a UTF-8 character in two.
func prefix(s string, n int) string {
	for n > 0 && n < len(s) && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// unknownField says what was expected instead of name: the close match when
// there is one (a typo), else every known field.
func unknownField(name string, known []string) string {
	best, bestDist := "", 3 // suggest only within an edit distance of 2
	for _, field := range known {
		if d := levenshtein(name, field); d < bestDist {
			best, bestDist = field, d
		}
	}
	if best != "" {
		return fmt.Sprintf("unknown field %s (did you mean %s?)", quote(name), best)
	}
	return fmt.Sprintf("unknown field %s (expected one of %s)", quote(name), strings.Join(known, ", "))
}

// levenshtein is the edit distance between a and b, in bytes (field names
// are ASCII).
func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
