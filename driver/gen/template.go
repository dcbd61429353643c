package gen

import (
	"fmt"
	"strings"

	"github.com/poolload/poolload/driver"
)

// Template is text with generator calls in braces, such as
// /items/{rand_int(1,1000)} or /x/{choice("a","b")}/{uuid()}. Everything
// outside braces is copied as is.
type Template struct {
	parts []part
}

// part is one piece of a template: literal text, or a generator.
type part struct {
	lit   string
	gen   Gen
	isGen bool
}

// ParseTemplate splits s into literal text and generator calls. Inside
// braces only a call is allowed: a bare word there is almost always a
// typo, and a URL has no other use for braces.
func ParseTemplate(s string) (Template, error) {
	var t Template
	rest := s
	for rest != "" {
		open := strings.IndexByte(rest, '{')
		if open < 0 {
			t.parts = append(t.parts, part{lit: rest})
			break
		}
		if open > 0 {
			t.parts = append(t.parts, part{lit: rest[:open]})
		}
		end := closingBrace(rest[open+1:])
		if end < 0 {
			return Template{}, fmt.Errorf("the { at byte %d has no closing }", len(s)-len(rest)+open)
		}
		g, err := parseBraced(strings.TrimSpace(rest[open+1 : open+1+end]))
		if err != nil {
			return Template{}, err
		}
		t.parts = append(t.parts, part{gen: g, isGen: true})
		rest = rest[open+1+end+1:]
	}
	return t, nil
}

// closingBrace finds the } that ends a call, skipping quoted text so that
// choice("a}b") works; -1 if there is none.
func closingBrace(s string) int {
	at := -1
	eachUnquoted(s, func(i int, ch byte) bool {
		if ch == '}' {
			at = i
		}
		return at < 0
	})
	return at
}

// parseBraced reads the call between braces.
func parseBraced(s string) (Gen, error) {
	open := strings.IndexByte(s, '(')
	if open < 0 || !isIdent(s[:open]) {
		return Gen{}, fmt.Errorf("{%s} is not a generator: use %s", s, Generators)
	}
	if !strings.HasSuffix(s, ")") {
		return Gen{}, fmt.Errorf("{%s}: the call has no closing parenthesis", s)
	}
	g, err := parseCall(s[:open], s[open+1:len(s)-1])
	if err != nil {
		return Gen{}, fmt.Errorf("{%s}: %w", s, err)
	}
	return g, nil
}

// Append appends the text for one iteration to buf.
func (t *Template) Append(buf []byte, tr *driver.Trace) []byte {
	for i := range t.parts {
		p := &t.parts[i]
		if p.isGen {
			buf = p.gen.AppendText(buf, tr)
		} else {
			buf = append(buf, p.lit...)
		}
	}
	return buf
}

// IsStatic reports whether the template has no generator, so callers can
// build its text once.
func (t *Template) IsStatic() bool {
	for i := range t.parts {
		if t.parts[i].isGen {
			return false
		}
	}
	return true
}
