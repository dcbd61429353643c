// Package gen parses and evaluates poolload's value generators, the small
// expressions a scenario writes where a value should change per iteration:
// rand_int(a,b), seq(), choice(x,y,...), uuid(), vu(), iter() and literals.
// The MySQL target uses them as statement arguments (Gen.Value), the HTTP
// target inside path templates such as /items/{rand_int(1,1000)}
// (Template.Append). Parsing happens once, when the scenario is loaded;
// evaluation runs on the hot path and allocates nothing beyond what the
// caller's buffer or an interface box needs.
package gen

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/poolload/poolload/driver"
)

// kind is what a generator produces.
type kind uint8

const (
	kLiteral kind = iota // a fixed value, boxed once
	kRandInt             // rand_int(a,b): uniform in [a, b]
	kSeq                 // seq(): process-wide counter from 1
	kChoice              // choice(x,y,z): one of the values, uniform
	kUUID                // uuid(): a random version 4 UUID
	kVU                  // vu(): the VU number
	kIter                // iter(): the iteration number
)

// Gen is one parsed generator or literal. Literals and choices are boxed
// into `any` and rendered to text once at parse time, so that producing
// them per iteration allocates nothing. The zero Gen is the literal nil.
type Gen struct {
	kind     kind
	lo, span int64 // rand_int
	lit      any
	text     string   // the literal as text, for AppendText
	choices  []any    // choice values, boxed
	texts    []string // choice values as text
}

// seq backs seq(): one counter for the whole process, shared by every
// driver and target, so that ids inserted by one variant never collide
// with those of the next.
var seq atomic.Int64

// Generators lists the generator calls, for error messages.
const Generators = "rand_int(a,b), seq(), choice(x,y,...), uuid(), vu(), iter()"

// Parse reads one value: a generator call, a quoted literal ('text' or
// "text", taken verbatim) or a bare literal (an integer if it is the
// canonical text of one, else a string).
func Parse(s string) (Gen, error) {
	s = strings.TrimSpace(s)
	if lit, ok := unquote(s); ok {
		return literalGen(lit), nil
	}
	open := strings.IndexByte(s, '(')
	if open < 0 || !isIdent(s[:open]) {
		return literalGen(literal(s)), nil
	}
	if !strings.HasSuffix(s, ")") {
		return Gen{}, fmt.Errorf("%q looks like a generator call with no closing parenthesis "+
			"(in a YAML flow list [a, b], quote calls that contain commas: \"rand_int(1,100)\")", s)
	}
	return parseCall(s[:open], s[open+1:len(s)-1])
}

// parseCall reads name(inner).
func parseCall(name, inner string) (Gen, error) {
	inner = strings.TrimSpace(inner)
	noArgs := func(k kind) (Gen, error) {
		if inner != "" {
			return Gen{}, fmt.Errorf("%s() takes no arguments", name)
		}
		return Gen{kind: k}, nil
	}
	switch name {
	case "seq":
		return noArgs(kSeq)
	case "uuid":
		return noArgs(kUUID)
	case "vu":
		return noArgs(kVU)
	case "iter":
		return noArgs(kIter)
	case "rand_int":
		return parseRandInt(inner)
	case "choice":
		return parseChoice(inner)
	}
	return Gen{}, fmt.Errorf("unknown generator %s(); known: %s (quote the text to pass it as is)", name, Generators)
}

func parseRandInt(inner string) (Gen, error) {
	a, b, ok := strings.Cut(inner, ",")
	if !ok || strings.Contains(b, ",") {
		return Gen{}, fmt.Errorf("rand_int takes two integers, as in rand_int(1,1000)")
	}
	lo, err1 := strconv.ParseInt(strings.TrimSpace(a), 10, 64)
	hi, err2 := strconv.ParseInt(strings.TrimSpace(b), 10, 64)
	for _, err := range []error{err1, err2} {
		if ne := (*strconv.NumError)(nil); errors.As(err, &ne) && errors.Is(err, strconv.ErrRange) {
			return Gen{}, fmt.Errorf("rand_int(%s): %s is out of range (min %d, max %d)", inner, ne.Num, math.MinInt64, math.MaxInt64)
		}
	}
	if err1 != nil || err2 != nil {
		return Gen{}, fmt.Errorf("rand_int(%s): both bounds must be integers", inner)
	}
	if lo > hi {
		return Gen{}, fmt.Errorf("rand_int(%s): the lower bound is above the upper one", inner)
	}
	if hi-lo < 0 || hi-lo == math.MaxInt64 { // overflow: a range wider than int64
		return Gen{}, fmt.Errorf("rand_int(%s): the range is too wide", inner)
	}
	return Gen{kind: kRandInt, lo: lo, span: hi - lo + 1}, nil
}

func parseChoice(inner string) (Gen, error) {
	if inner == "" {
		return Gen{}, fmt.Errorf("choice() needs at least one value")
	}
	items, err := splitList(inner)
	if err != nil {
		return Gen{}, err
	}
	g := Gen{kind: kChoice}
	for _, item := range items {
		lit, ok := unquote(item)
		if !ok {
			lit = item
		}
		v := any(lit)
		if !ok {
			v = literal(item)
		}
		g.choices = append(g.choices, v)
		g.texts = append(g.texts, lit)
	}
	return g, nil
}

// splitList splits a choice list at commas outside quotes and trims the
// items, so that choice('a,b', c) has two items.
func splitList(s string) ([]string, error) {
	var items []string
	start := 0
	closed := eachUnquoted(s, func(i int, ch byte) bool {
		if ch == ',' {
			items = append(items, strings.TrimSpace(s[start:i]))
			start = i + 1
		}
		return true
	})
	if !closed {
		return nil, fmt.Errorf("choice(%s): a quote is not closed", s)
	}
	return append(items, strings.TrimSpace(s[start:])), nil
}

// eachUnquoted calls f with each byte of s that is outside '…' or "…"
// quotes, and its index, until f returns false. It reports whether every
// quote it met was closed.
func eachUnquoted(s string, f func(i int, ch byte) bool) bool {
	var quote byte
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; {
		case quote != 0:
			if ch == quote {
				quote = 0
			}
		case ch == '\'' || ch == '"':
			quote = ch
		case !f(i, ch):
			return true
		}
	}
	return quote == 0
}

// unquote returns the text between matching quotes.
func unquote(s string) (string, bool) {
	if len(s) >= 2 && (s[0] == '\'' || s[0] == '"') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1], true
	}
	return "", false
}

// literal boxes s as an int64 when it is the canonical text of one (so that
// LIMIT ? works with interpolation), else as a string ("007" stays text).
func literal(s string) any {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && strconv.FormatInt(n, 10) == s {
		return n
	}
	return s
}

// literalGen boxes v once and keeps its text.
func literalGen(v any) Gen {
	return Gen{kind: kLiteral, lit: v, text: fmt.Sprint(v)}
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9') && r != '_' {
			return false
		}
	}
	return true
}

// Value produces the value for one iteration, for a SQL argument. Integers
// are boxed here, which costs one small allocation for values above 255,
// and uuid() allocates its string; literals and choices cost nothing.
func (g *Gen) Value(t *driver.Trace) any {
	switch g.kind {
	case kRandInt:
		return g.lo + rand.Int64N(g.span)
	case kSeq:
		return seq.Add(1)
	case kChoice:
		return g.choices[rand.IntN(len(g.choices))]
	case kUUID:
		return string(AppendUUID(make([]byte, 0, 36)))
	case kVU:
		return int64(t.VU)
	case kIter:
		return int64(t.Iter)
	}
	return g.lit
}

// AppendText appends the value for one iteration as text, for a URL or a
// body. It allocates nothing beyond growing buf.
func (g *Gen) AppendText(buf []byte, t *driver.Trace) []byte {
	switch g.kind {
	case kRandInt:
		return strconv.AppendInt(buf, g.lo+rand.Int64N(g.span), 10)
	case kSeq:
		return strconv.AppendInt(buf, seq.Add(1), 10)
	case kChoice:
		return append(buf, g.texts[rand.IntN(len(g.texts))]...)
	case kUUID:
		return AppendUUID(buf)
	case kVU:
		return strconv.AppendUint(buf, uint64(t.VU), 10)
	case kIter:
		return strconv.AppendUint(buf, t.Iter, 10)
	}
	return append(buf, g.text...)
}

// IsLiteral reports whether g yields the same value every time.
func (g *Gen) IsLiteral() bool { return g.kind == kLiteral }

const hexDigits = "0123456789abcdef"

// AppendUUID appends a random (version 4) UUID in its 36-character form.
func AppendUUID(buf []byte) []byte {
	var raw [16]byte
	for i := 0; i < 16; i += 8 {
		v := rand.Uint64()
		for j := range 8 {
			raw[i+j] = byte(v >> (8 * j))
		}
	}
	raw[6] = raw[6]&0x0f | 0x40
	raw[8] = raw[8]&0x3f | 0x80
	for i, b := range raw {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			buf = append(buf, '-')
		}
		buf = append(buf, hexDigits[b>>4], hexDigits[b&0x0f])
	}
	return buf
}
