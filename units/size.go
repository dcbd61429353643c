package units

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Bandwidth is a link rate in bits per second. It reads and writes as text:
// "100Mbit", "1Gbit", "1.5Gbps" (bits, decimal prefixes) or "10MB", "10MB/s",
// "1MiB" (bytes per second). Bits are the unit of storage so that every rate
// a user can write in either unit is exact. 0 means unlimited.
type Bandwidth int64

// BytesPerSecond returns b in bytes per second.
func (b Bandwidth) BytesPerSecond() float64 { return float64(b) / 8 }

// ByteSize is a count of bytes that reads and writes as text: "512", "64KB",
// "10MB", "1GiB" (decimal KB/MB/GB, binary KiB/MiB/GiB).
type ByteSize int64

// Unit tables, largest first so that String picks the largest exact unit.
var (
	bitUnits = []unit{{"Tbit", 1e12}, {"Gbit", 1e9}, {"Mbit", 1e6}, {"kbit", 1e3}, {"bit", 1}}
	// Byte units are listed in bytes; a rate multiplies them by 8.
	byteUnits = []unit{
		{"TiB", 1 << 40}, {"TB", 1e12}, {"GiB", 1 << 30}, {"GB", 1e9},
		{"MiB", 1 << 20}, {"MB", 1e6}, {"KiB", 1 << 10}, {"KB", 1e3}, {"B", 1},
	}
)

type unit struct {
	name string
	mult float64
}

// ParseBandwidth reads a rate such as "100Mbit" or "10MB/s". A bare 0 is
// accepted; any other bare number is refused because bits and bytes differ
// by a factor of 8 and a guess would be wrong half the time.
func ParseBandwidth(s string) (Bandwidth, error) {
	s = strings.TrimSpace(s)
	if s == "0" {
		return 0, nil
	}
	num, suffix := splitNumber(s)
	v, err := strconv.ParseFloat(num, 64)
	if num == "" || err != nil {
		return 0, fmt.Errorf("%q is not a rate: write one such as 100Mbit, 1Gbit or 10MB (bytes/s)", s)
	}
	if suffix == "" {
		return 0, fmt.Errorf("%q has no unit: write 100Mbit (bits/s) or 10MB (bytes/s)", s)
	}
	mult, ok := rateUnit(suffix)
	if !ok {
		return 0, fmt.Errorf("%q has an unknown unit %q: use bit, kbit, Mbit, Gbit, B, KB, MB, GB (or KiB, MiB, GiB), optionally /s", s, suffix)
	}
	n, err := scale(v, mult)
	if err != nil {
		return 0, fmt.Errorf("%q %v", s, err)
	}
	return Bandwidth(n), nil
}

// rateUnit returns bits per second per unit. Bit units ignore case ("mbit",
// "Mbps"); byte units need the capital B, since "Mb" vs "MB" is exactly the
// ambiguity this type exists to avoid.
func rateUnit(suffix string) (float64, bool) {
	suffix = strings.TrimSuffix(suffix, "/s")
	low := strings.ToLower(suffix)
	if strings.HasSuffix(low, "bps") {
		low = strings.TrimSuffix(low, "ps") + "it"
	}
	for _, u := range bitUnits {
		if low == strings.ToLower(u.name) {
			return u.mult, true
		}
	}
	if m, ok := byteUnit(suffix); ok {
		return m * 8, true
	}
	return 0, false
}

// byteUnit returns bytes per unit; "kB" and "KB" are both accepted.
func byteUnit(suffix string) (float64, bool) {
	if suffix == "kB" || suffix == "kiB" {
		suffix = "K" + suffix[1:]
	}
	for _, u := range byteUnits {
		if suffix == u.name {
			return u.mult, true
		}
	}
	return 0, false
}

// ParseByteSize reads a size such as "64KB" or "1MiB"; a bare integer is
// bytes.
func ParseByteSize(s string) (ByteSize, error) {
	s = strings.TrimSpace(s)
	num, suffix := splitNumber(s)
	v, err := strconv.ParseFloat(num, 64)
	if num == "" || err != nil {
		return 0, fmt.Errorf("%q is not a size: write one such as 4096, 64KB or 1MiB", s)
	}
	mult := 1.0
	if suffix != "" {
		var ok bool
		if mult, ok = byteUnit(suffix); !ok {
			return 0, fmt.Errorf("%q has an unknown unit %q: use B, KB, MB, GB or KiB, MiB, GiB", s, suffix)
		}
	}
	n, err := scale(v, mult)
	if err != nil {
		return 0, fmt.Errorf("%q %v", s, err)
	}
	return ByteSize(n), nil
}

// splitNumber splits "1.5Gbit" into "1.5" and "Gbit".
func splitNumber(s string) (num, suffix string) {
	i := strings.IndexFunc(s, func(r rune) bool {
		return !(r >= '0' && r <= '9' || r == '.')
	})
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimSpace(s[i:])
}

// scale multiplies and checks that the result is a whole, representable,
// non-negative count.
func scale(v, mult float64) (int64, error) {
	x := math.Round(v * mult)
	switch {
	case math.IsNaN(x) || x < 0:
		return 0, fmt.Errorf("must be 0 or more")
	case x >= math.MaxInt64/2:
		return 0, fmt.Errorf("is too large")
	}
	return int64(x), nil
}

// String writes b in the largest bit unit that divides it exactly, so that
// ParseBandwidth(b.String()) == b.
func (b Bandwidth) String() string {
	return format(int64(b), bitUnits)
}

// String writes n in the largest byte unit that divides it exactly.
func (n ByteSize) String() string {
	return format(int64(n), byteUnits)
}

func format(v int64, units []unit) string {
	if v == 0 {
		return "0"
	}
	for _, u := range units {
		m := int64(u.mult)
		if v%m == 0 {
			return strconv.FormatInt(v/m, 10) + u.name
		}
	}
	return strconv.FormatInt(v, 10) // unreachable: the last unit is 1
}

// UnmarshalYAML implements goccy/go-yaml's BytesUnmarshaler.
func (b *Bandwidth) UnmarshalYAML(data []byte) error {
	v, err := ParseBandwidth(strings.Trim(strings.TrimSpace(string(data)), `"'`))
	if err != nil {
		return err
	}
	*b = v
	return nil
}

// MarshalYAML writes the rate as text.
func (b Bandwidth) MarshalYAML() ([]byte, error) { return []byte(b.String()), nil }

// MarshalText writes the rate as text (JSON in run.json).
func (b Bandwidth) MarshalText() ([]byte, error) { return []byte(b.String()), nil }

// UnmarshalText reads a rate from text (JSON in run.json).
func (b *Bandwidth) UnmarshalText(data []byte) error { return b.UnmarshalYAML(data) }

// UnmarshalYAML implements goccy/go-yaml's BytesUnmarshaler.
func (n *ByteSize) UnmarshalYAML(data []byte) error {
	v, err := ParseByteSize(strings.Trim(strings.TrimSpace(string(data)), `"'`))
	if err != nil {
		return err
	}
	*n = v
	return nil
}

// MarshalYAML writes the size as text.
func (n ByteSize) MarshalYAML() ([]byte, error) { return []byte(n.String()), nil }

// MarshalText writes the size as text (JSON in run.json).
func (n ByteSize) MarshalText() ([]byte, error) { return []byte(n.String()), nil }

// UnmarshalText reads a size from text (JSON in run.json).
func (n *ByteSize) UnmarshalText(data []byte) error { return n.UnmarshalYAML(data) }
