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
