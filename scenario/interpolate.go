package scenario

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// envProblem is a ${VAR} that cannot be expanded, at the place of its "${".
type envProblem struct {
	at  pos
	msg string
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// interpolate expands ${VAR} and ${VAR:-default} (the default also when VAR
// is empty, as in sh) in the raw text, before YAML sees it, so a variable
// can supply any scalar — a number as well as a string. It works line by
// line and never adds a line, so goccy's line numbers stay those of the
// file. $${ is a literal ${. Comments are left alone: a scenario's header
// may well mention ${POOLLOAD_DSN}. Every problem is reported, and the
// text returned with them serves only to locate them.
func interpolate(data []byte, lookup func(string) (string, bool)) ([]byte, []envProblem) {
	if !bytes.Contains(data, []byte("${")) {
		return data, nil
	}
	var out bytes.Buffer
	out.Grow(len(data))
	var probs []envProblem
	for n, line := range bytes.SplitAfter(data, []byte("\n")) {
		probs = expandLine(&out, line, n+1, lookup, probs)
	}
	return out.Bytes(), probs
}

// expandLine writes line to out with its references expanded.
func expandLine(out *bytes.Buffer, line []byte, n int, lookup func(string) (string, bool), probs []envProblem) []envProblem {
	end := commentStart(bytes.TrimRight(line, "\r\n"))
	i := 0
	for i < end {
		j := bytes.IndexByte(line[i:end], '$')
		if j < 0 {
			break
		}
		j += i
		out.Write(line[i:j])
		rest := line[j:end]
		switch {
		case bytes.HasPrefix(rest, []byte("$${")):
			out.WriteString("${")
			i = j + 3
		case bytes.HasPrefix(rest, []byte("${")):
			val, size, msg := expandRef(rest, lookup)
			if msg != "" {
				probs = append(probs, envProblem{pos{n, utf8.RuneCount(line[:j]) + 1}, msg})
				// A placeholder as wide as the reference keeps the text
				// parseable (also inside {flow: mappings}) and every
				// column in place, to name the field at fault.
				val = strings.Repeat("_", utf8.RuneCount(rest[:size]))
			}
			out.WriteString(val)
			i = j + size
		default:
			out.WriteByte('$')
			i = j + 1
		}
	}
	out.Write(line[i:])
	return probs
}

// expandRef expands the reference at the start of s ("${..."). It returns
// the value, how many bytes the reference spans, and a message when it
// cannot be expanded.
func expandRef(s []byte, lookup func(string) (string, bool)) (val string, size int, msg string) {
	end := bytes.IndexByte(s, '}')
	if end < 0 {
		return "", len(s), "unterminated ${: write ${NAME} or ${NAME:-default} (or $${ for a literal ${)"
	}
	ref := string(s[:end+1])
	name, def, hasDef := strings.Cut(string(s[2:end]), ":-")
	if !envName.MatchString(name) {
		return "", end + 1, fmt.Sprintf("%s is not a variable reference: write ${NAME} or ${NAME:-default} (or $${ for a literal ${)", quote(ref))
	}
	val, ok := lookup(name)
	if hasDef && val == "" {
		val, ok = def, true
	}
	switch {
	case !ok:
		return "", end + 1, fmt.Sprintf("environment variable %s is not set (write ${%s:-default} to give a default)", name, name)
	case strings.ContainsAny(val, "\r\n"):
		return "", end + 1, fmt.Sprintf("environment variable %s holds a line break: a value must fit on one line", name)
	}
	return val, end + 1, ""
}

// commentStart is the index of the # that starts a comment on line, or
// len(line). As in YAML, a # starts a comment at the start of a line or
// after a space, outside quotes; a quote opens a string only where a
// scalar can start, so the ' in "it's" does not.
func commentStart(line []byte) int {
	var quote byte
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote == '"' && c == '\\':
			i++ // an escaped character, perhaps a quote
		case quote == '\'' && c == '\'' && i+1 < len(line) && line[i+1] == '\'':
			i++ // '' is a quote inside a single-quoted string
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case (c == '"' || c == '\'') && scalarStart(line, i):
			quote = c
		case c == '#' && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t'):
			return i
		}
	}
	return len(line)
}

func scalarStart(line []byte, i int) bool {
	if i == 0 {
		return true
	}
	switch line[i-1] {
	case ' ', '\t', '[', '{', ',':
		return true
	}
	return false
}
