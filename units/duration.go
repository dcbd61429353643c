// Package units holds the quantities a scenario writes as text, each with
// its YAML and JSON forms written once: Duration ("250ms"), Bandwidth
// ("100mbit") and ByteSize ("64KiB").
package units

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Duration is a time.Duration that reads from YAML as Go duration text
// ("250ms", "1m30s"). A bare 0 is accepted; any other bare number is refused
// because its unit would be a guess.
type Duration time.Duration

// MaxDuration is the longest duration a scenario field may hold, unless
// the field's own range is shorter: a day. A window, a timeout, a hold or a
// pause longer than that is a typo (1000000h), and at a day apiece, sums
// of durations stay far from time.Duration's limit of 292 years.
const MaxDuration = 24 * time.Hour

// Check says what is wrong with d as the value of a field whose range is
// [0, max] (or (0, max] when positive), or "" when nothing is.
func (d Duration) Check(max time.Duration, positive bool) string {
	switch {
	case d < 0:
		return "must be 0 or more, got " + Short(d.D())
	case positive && d == 0:
		return "must be greater than 0"
	case d.D() > max:
		return "must be at most " + Short(max) + ", got " + Short(d.D())
	}
	return ""
}

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// UnmarshalYAML implements goccy/go-yaml's BytesUnmarshaler.
func (d *Duration) UnmarshalYAML(b []byte) error {
	s := strings.TrimSpace(string(b))
	s = strings.Trim(s, `"'`)
	if s == "0" {
		*d = 0
		return nil
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return fmt.Errorf("%q has no unit: write a duration such as 500ms, 30s or 1m30s", s)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is not a duration: write one such as 500ms, 30s or 1m30s", s)
	}
	if v < 0 {
		return fmt.Errorf("%q is negative: a duration must be 0 or more", s)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration as text.
func (d Duration) MarshalYAML() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// MarshalText writes the duration as text (JSON in run.json).
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText reads a duration from text (JSON in run.json).
func (d *Duration) UnmarshalText(b []byte) error { return d.UnmarshalYAML(b) }

func (d Duration) String() string { return time.Duration(d).String() }

// Short writes d without trailing zero units: 1m rather than 1m0s.
func Short(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
