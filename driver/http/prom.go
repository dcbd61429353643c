package http

import (
	"fmt"
	"strconv"
	"strings"
)

// A small reader of the Prometheus text exposition format (and of
// OpenMetrics text, which differs only in ways we ignore): enough to pick a
// few pool gauges out of a service's /metrics without a client library.
// Comments (# HELP, # TYPE, # EOF) are skipped; a sample is
//
//	name{label="value",...} value [timestamp]

// promLabel is one label pair.
type promLabel struct{ name, value string }

// promSample is one line's sample.
type promSample struct {
	name   string
	labels []promLabel
	value  float64
}

// parsePrometheus reads every sample in text. A malformed line is skipped
// and reported (the first one, with its number) so that one odd line does
// not hide the gauges the other lines hold.
func parsePrometheus(text string) ([]promSample, error) {
	var out []promSample
	var firstErr error
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		s, err := parsePromLine(line)
		if err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("line %d: %w", n+1, err)
			}
			continue
		}
		out = append(out, s)
	}
	return out, firstErr
}

// parsePromLine reads one sample line (trimmed, not a comment).
func parsePromLine(line string) (promSample, error) {
	var s promSample
	n := promNameLen(line)
	if n == 0 {
		return s, fmt.Errorf("no metric name")
	}
	s.name, line = line[:n], line[n:]
	separated := strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t")
	if rest := strings.TrimLeft(line, " \t"); strings.HasPrefix(rest, "{") {
		labels, after, err := parsePromLabels(rest[1:])
		if err != nil {
			return s, fmt.Errorf("%s: %w", s.name, err)
		}
		s.labels, line, separated = labels, after, true
	}
	fields := strings.Fields(line)
	if len(fields) == 0 || len(fields) > 2 || !separated {
		return s, fmt.Errorf("%s: want a value (and an optional timestamp) after the name", s.name)
	}
	v, err := strconv.ParseFloat(fields[0], 64)
	if err != nil {
		return s, fmt.Errorf("%s: value %q is not a number", s.name, fields[0])
	}
	s.value = v
	return s, nil
}

// promNameLen is the length of the metric or label name at the start of s.
func promNameLen(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '_' || c == ':' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9' {
			continue
		}
		return i
	}
	return len(s)
}

// parsePromLabels reads label pairs up to the closing brace (s starts after
// the opening one) and returns what follows it.
func parsePromLabels(s string) ([]promLabel, string, error) {
	var labels []promLabel
	for {
		s = strings.TrimLeft(s, " \t")
		if strings.HasPrefix(s, "}") {
			return labels, s[1:], nil
		}
		n := promNameLen(s)
		if n == 0 || strings.ContainsRune(s[:n], ':') {
			return nil, "", fmt.Errorf("bad label name in {%s", s)
		}
		name := s[:n]
		s = strings.TrimLeft(s[n:], " \t")
		if !strings.HasPrefix(s, "=") {
			return nil, "", fmt.Errorf("label %s has no =", name)
		}
		s = strings.TrimLeft(s[1:], " \t")
		value, rest, err := promQuoted(s)
		if err != nil {
			return nil, "", fmt.Errorf("label %s: %w", name, err)
		}
		labels = append(labels, promLabel{name, value})
		s = strings.TrimLeft(rest, " \t")
		if strings.HasPrefix(s, ",") {
			s = s[1:]
		} else if !strings.HasPrefix(s, "}") {
			return nil, "", fmt.Errorf("label %s is not followed by , or }", name)
		}
	}
}

// promQuoted reads a double-quoted label value with the format's escapes
// (\\, \" and \n) and returns it and what follows.
func promQuoted(s string) (string, string, error) {
	if !strings.HasPrefix(s, `"`) {
		return "", "", fmt.Errorf("value is not quoted")
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			return b.String(), s[i+1:], nil
		case '\\':
			if i+1 == len(s) {
				return "", "", fmt.Errorf("value ends in a lone backslash")
			}
			i++
			switch s[i] {
			case 'n':
				b.WriteByte('\n')
			default: // \\ and \", and leniently any other escaped byte
				b.WriteByte(s[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", "", fmt.Errorf("value is not closed")
}

// promSelector picks samples: a metric name, optionally with labels that
// must all match (name{pool="main"}).
type promSelector struct {
	name   string
	labels []promLabel
}

// parsePromSelector reads name or name{label="value",...}.
func parsePromSelector(s string) (promSelector, error) {
	s = strings.TrimSpace(s)
	n := promNameLen(s)
	if n == 0 {
		return promSelector{}, fmt.Errorf("%q is not a metric name: want name or name{label=\"value\"}", s)
	}
	sel := promSelector{name: s[:n]}
	rest := s[n:]
	if strings.HasPrefix(rest, "{") {
		labels, after, err := parsePromLabels(rest[1:])
		if err != nil {
			return promSelector{}, fmt.Errorf("%q: %w", s, err)
		}
		sel.labels, rest = labels, after
	}
	if strings.TrimSpace(rest) != "" {
		return promSelector{}, fmt.Errorf("%q: unexpected %q after the selector", s, rest)
	}
	return sel, nil
}

// sum adds the values of the matching samples: a pool exposed per label
// (per pool, per instance) reads as its total. ok is false if none match.
func (sel *promSelector) sum(samples []promSample) (total float64, ok bool) {
	for i := range samples {
		if samples[i].name == sel.name && hasLabels(samples[i].labels, sel.labels) {
			total += samples[i].value
			ok = true
		}
	}
	return total, ok
}

// hasLabels reports whether have includes every pair of want.
func hasLabels(have, want []promLabel) bool {
	for _, w := range want {
		found := false
		for _, h := range have {
			found = found || h == w
		}
		if !found {
			return false
		}
	}
	return true
}
