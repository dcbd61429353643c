package mysql

import (
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync/atomic"

	pdriver "github.com/poolload/poolload/driver"
)

// genKind is what an argument generator produces.
type genKind uint8

const (
	genLiteral genKind = iota // a fixed value, boxed once
	genRandInt                // rand_int(a,b): uniform in [a, b]
	genSeq                    // seq(): process-wide counter from 1
	genChoice                 // choice(x,y,z): one of the values, uniform
	genUUID                   // uuid(): a random version 4 UUID
	genVU                     // vu(): the VU number
	genIter                   // iter(): the iteration number
)

// gen is one parsed argument. Literals and choices are boxed into `any`
// once at parse time so that producing them per iteration allocates nothing.
type gen struct {
	kind     genKind
	lo, span int64 // rand_int
	lit      any
	choices  []any
}

// seqCounter backs seq(): shared by every driver in the process so that ids
// inserted by one variant never collide with those of the next.
var seqCounter atomic.Int64

// generators lists the names for error messages.
const generators = "rand_int(a,b), seq(), choice(x,y,...), uuid(), vu(), iter()"

// parseArg reads one argument: a generator call, a quoted literal ('text'
// or "text", taken verbatim) or a bare literal (an integer if it reads as
// one, else a string).
func parseArg(s string) (gen, error) {
	s = strings.TrimSpace(s)
	if lit, ok := unquote(s); ok {
		return gen{kind: genLiteral, lit: lit}, nil
	}
	open := strings.IndexByte(s, '(')
	if open < 0 || !isIdent(s[:open]) {
		return gen{kind: genLiteral, lit: literal(s)}, nil
	}
	if !strings.HasSuffix(s, ")") {
		return gen{}, fmt.Errorf("%q looks like a generator call with no closing parenthesis "+
			"(in a YAML flow list [a, b], quote calls that contain commas: \"rand_int(1,100)\")", s)
	}
	return parseCall(s[:open], s[open+1:len(s)-1])
}

// parseCall reads name(inner).
func parseCall(name, inner string) (gen, error) {
	inner = strings.TrimSpace(inner)
	noArgs := func(k genKind) (gen, error) {
		if inner != "" {
			return gen{}, fmt.Errorf("%s() takes no arguments", name)
		}
		return gen{kind: k}, nil
	}
	switch name {
	case "seq":
		return noArgs(genSeq)
	case "uuid":
		return noArgs(genUUID)
	case "vu":
		return noArgs(genVU)
	case "iter":
		return noArgs(genIter)
	case "rand_int":
		return parseRandInt(inner)
	case "choice":
		return parseChoice(inner)
	}
	return gen{}, fmt.Errorf("unknown generator %s(); known: %s (quote the text to pass it as is)", name, generators)
}

func parseRandInt(inner string) (gen, error) {
	a, b, ok := strings.Cut(inner, ",")
	if !ok || strings.Contains(b, ",") {
		return gen{}, fmt.Errorf("rand_int takes two integers, as in rand_int(1,1000)")
	}
	lo, err1 := strconv.ParseInt(strings.TrimSpace(a), 10, 64)
	hi, err2 := strconv.ParseInt(strings.TrimSpace(b), 10, 64)
	if err1 != nil || err2 != nil {
		return gen{}, fmt.Errorf("rand_int(%s): both bounds must be integers", inner)
	}
	if lo > hi {
		return gen{}, fmt.Errorf("rand_int(%s): the lower bound is above the upper one", inner)
	}
	if hi-lo < 0 || hi-lo == math.MaxInt64 { // overflow: a range wider than int64
		return gen{}, fmt.Errorf("rand_int(%s): the range is too wide", inner)
	}
	return gen{kind: genRandInt, lo: lo, span: hi - lo + 1}, nil
}

func parseChoice(inner string) (gen, error) {
	if inner == "" {
		return gen{}, fmt.Errorf("choice() needs at least one value")
	}
	items, err := splitList(inner)
	if err != nil {
		return gen{}, err
	}
	var vals []any
	for _, item := range items {
		if lit, ok := unquote(item); ok {
			vals = append(vals, lit)
		} else {
			vals = append(vals, literal(item))
		}
	}
	return gen{kind: genChoice, choices: vals}, nil
}

// splitList splits a choice list at commas outside quotes and trims the
// items, so that choice('a,b', c) has two items.
func splitList(s string) ([]string, error) {
	var items []string
	var quote byte
	start := 0
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; {
		case quote != 0:
			if ch == quote {
				quote = 0
			}
		case ch == '\'' || ch == '"':
			quote = ch
		case ch == ',':
			items = append(items, strings.TrimSpace(s[start:i]))
			start = i + 1
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("choice(%s): a quote is not closed", s)
	}
	return append(items, strings.TrimSpace(s[start:])), nil
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

// value produces the argument for one iteration. Integers are boxed here,
// which costs one small allocation for values above 255; literals and
// choices cost nothing.
func (g *gen) value(t *pdriver.Trace) any {
	switch g.kind {
	case genRandInt:
		return g.lo + rand.Int64N(g.span)
	case genSeq:
		return seqCounter.Add(1)
	case genChoice:
		return g.choices[rand.IntN(len(g.choices))]
	case genUUID:
		return newUUID()
	case genVU:
		return int64(t.VU)
	case genIter:
		return int64(t.Iter)
	}
	return g.lit
}

// newUUID returns a random (version 4) UUID in its 36-character form.
func newUUID() string {
	var raw [16]byte
	for i := 0; i < 16; i += 8 {
		v := rand.Uint64()
		for j := range 8 {
			raw[i+j] = byte(v >> (8 * j))
		}
	}
	raw[6] = raw[6]&0x0f | 0x40
	raw[8] = raw[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], raw[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], raw[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], raw[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], raw[8:10])
	out[23] = '-'
	hex.Encode(out[24:], raw[10:])
	return string(out[:])
}

// parseArgs parses a statement's arguments; errs maps the field path of
// each bad one (prefix + "[i]") to its message.
func parseArgs(prefix string, args []string, errs map[string]string) []gen {
	gens := make([]gen, len(args))
	for i, a := range args {
		g, err := parseArg(a)
		if err != nil {
			errs[fmt.Sprintf("%s[%d]", prefix, i)] = err.Error()
			continue
		}
		gens[i] = g
	}
	return gens
}
