package record

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/poolload/poolload/network"
	"github.com/poolload/poolload/units"
)

// A record says which format it is in; a reader refuses one it cannot read
// and says what to do, and reads one written before the field existed.
func TestFormatVersion(t *testing.T) {
	for _, tc := range []struct {
		name    string
		version int
		want    string // "" reads
	}{
		{"this version", FormatVersion, ""},
		{"before the field existed", 0, ""},
		{"newer", FormatVersion + 1, "newer than this poolload reads"},
		{"too old", -1, "older than this poolload reads"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeEmpty(t)
			setVersion(t, dir, tc.version)
			rec, err := Open(dir)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Open: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("Open: %v; want an error saying %q", err, tc.want)
			case tc.want == "" && rec.Plan.Name != "x":
				t.Errorf("plan %+v: want the scenario's name", rec.Plan)
			}
		})
	}
}

// The plan is decoded once, and a scenario that does not decode is an
// error naming run.json, not a record read with blanks.
func TestPlanDecodeErrors(t *testing.T) {
	dir := writeEmpty(t)
	editRunJSON(t, dir, func(m map[string]any) { m["scenario"] = map[string]any{"name": 5} })
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "reading the scenario in run.json") {
		t.Fatalf("Open: %v; want the scenario's decoding error", err)
	}
}

func writeEmpty(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	w, err := Create(dir, RunInfo{ID: "test", Started: time.Now(), Status: StatusRunning,
		Scenario: []byte(`{"name":"x","variants":[{"name":"warm","prewarm":4}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(StatusComplete, nil); err != nil {
		t.Fatal(err)
	}
	return dir
}

func setVersion(t *testing.T, dir string, v int) {
	t.Helper()
	editRunJSON(t, dir, func(m map[string]any) {
		if m["format_version"] != float64(FormatVersion) {
			t.Fatalf("run.json format_version %v, want %d", m["format_version"], FormatVersion)
		}
		if v == 0 {
			delete(m, "format_version")
		} else {
			m["format_version"] = v
		}
	})
}

func editRunJSON(t *testing.T, dir string, edit func(map[string]any)) {
	t.Helper()
	path := filepath.Join(dir, RunFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	if b, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestPlanVariantWarm(t *testing.T) {
	p := Plan{Variants: []PlanVariant{{Name: "cold"}, {Name: "warm", Prewarm: 4}, {Name: "loaded", Warmup: &PlanWarmup{Rate: 10}}}}
	for name, want := range map[string]bool{"cold": false, "warm": true, "loaded": true} {
		if got := p.Variant(name).Warm(); got != want {
			t.Errorf("%s: warm %v, want %v", name, got, want)
		}
	}
	if p.Variant("none") != nil {
		t.Error("an absent variant was found")
	}
}

func TestPlanVariantDescribe(t *testing.T) {
	for _, tc := range []struct {
		v    PlanVariant
		want string
		len  time.Duration
	}{
		{PlanVariant{}, "none (cold)", 0},
		{PlanVariant{Before: &PlanBefore{Restart: true}}, "restart the service (cold)", 0},
		{PlanVariant{Before: &PlanBefore{Restart: true}, Warmup: &PlanWarmup{Rate: 400, Duration: units.Duration(3 * time.Second)}},
			"restart the service, warm-up 400/s for 3s", 3 * time.Second},
		{PlanVariant{Prewarm: 4, Idle: units.Duration(2 * time.Second)}, "prewarm 4, idle 2s", 2 * time.Second},
		{PlanVariant{Idle: units.Duration(time.Second)}, "idle 1s", time.Second},
	} {
		if got := tc.v.Describe(); got != tc.want || tc.v.Length() != tc.len {
			t.Errorf("%+v: %q, %v; want %q, %v", tc.v, got, tc.v.Length(), tc.want, tc.len)
		}
	}
}

// The link's conditions read the same from the typed value run.json now
// keeps and from the network.* facts of a format-1 record.
func TestRunInfoLink(t *testing.T) {
	c, err := (&network.Conditions{Preset: "cross-zone"}).Resolved()
	if err != nil {
		t.Fatal(err)
	}
	typed := (&RunInfo{Network: &c}).Link()
	facts := c.Describe()
	facts["network.proxy"], facts["network.relay"] = "127.0.0.1:1", "kernel"
	old := (&RunInfo{Target: facts}).Link()
	if typed["preset"] != "cross-zone" || typed["latency"] == "" || typed["proxy"] != "" || !maps.Equal(typed, old) {
		t.Errorf("typed %v, from facts %v: want the same conditions, without the proxy and relay", typed, old)
	}
	if (&RunInfo{Target: map[string]string{"max_open": "4"}}).Link() != nil {
		t.Error("a run without a link has conditions")
	}
}
