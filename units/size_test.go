package units

import (
	"strings"
	"testing"
)

func TestParseBandwidth(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Bandwidth
		err  string
	}{
		{"0", 0, ""},
		{"100Mbit", 100e6, ""},
		{"1Gbit", 1e9, ""},
		{"1.5Gbps", 1.5e9, ""},
		{"8 kbit", 8000, ""},
		{"10MB", 80e6, ""},
		{"10MB/s", 80e6, ""},
		{"1MiB", 8 << 20, ""},
		{"5kB", 40000, ""},
		{"100", 0, "no unit"},
		{"10Mb", 0, "unknown unit"},
		{"fast", 0, "not a rate"},
		{"-1Mbit", 0, "not a rate"},
		{"1e400Gbit", 0, "unknown unit"},
		{"99999999999Tbit", 0, "too large"},
	} {
		got, err := ParseBandwidth(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseBandwidth(%q) error = %v, want one containing %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseBandwidth(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}

func TestParseByteSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want ByteSize
		err  bool
	}{
		{"0", 0, false},
		{"4096", 4096, false},
		{"64KB", 64000, false},
		{"1MiB", 1 << 20, false},
		{"2 GB", 2e9, false},
		{"10Mbit", 0, true},
		{"many", 0, true},
	} {
		got, err := ParseByteSize(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("ParseByteSize(%q) = %d, %v; want %d, error %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestUnitsString(t *testing.T) {
	for _, tc := range []struct {
		got, want string
	}{
		{Bandwidth(0).String(), "0"},
		{Bandwidth(100e6).String(), "100Mbit"},
		{Bandwidth(80e6).String(), "80Mbit"},
		{Bandwidth(1234).String(), "1234bit"},
		{ByteSize(1 << 20).String(), "1MiB"},
		{ByteSize(64000).String(), "64KB"},
		{ByteSize(1001).String(), "1001B"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

// FuzzParseBandwidth checks that neither parser panics and that whatever
// they accept prints back to the same value.
func FuzzParseBandwidth(f *testing.F) {
	for _, s := range []string{"0", "100Mbit", "1.5Gbps", "10MB/s", "1MiB", "7", "-1", "1e9bit", ".", "9999999999999Tbit"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if b, err := ParseBandwidth(s); err == nil {
			if b < 0 {
				t.Fatalf("%q parsed to negative %d", s, b)
			}
			if back, err := ParseBandwidth(b.String()); err != nil || back != b {
				t.Fatalf("%q -> %d -> %q -> %d, %v", s, b, b.String(), back, err)
			}
		}
		if n, err := ParseByteSize(s); err == nil {
			if n < 0 {
				t.Fatalf("%q parsed to negative %d", s, n)
			}
			if back, err := ParseByteSize(n.String()); err != nil || back != n {
				t.Fatalf("%q -> %d -> %q -> %d, %v", s, n, n.String(), back, err)
			}
		}
	})
}
