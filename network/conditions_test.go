package network

import (
	"context"
	"encoding/json"
	"maps"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    Conditions
		want []string // field paths with a message
	}{
		{"empty is fine", Conditions{}, nil},
		{"all set is fine", Conditions{Preset: "cross-zone", Latency: ms(1), ResetIdleAfter: ms(100),
			IdleAction: IdleDrop, RefuseNew: []Window{{From: 0, For: ms(10)}}}, nil},
		{"unknown preset", Conditions{Preset: "moon"}, []string{"preset"}},
		{"negatives", Conditions{Latency: -1, Jitter: -1, Bandwidth: -1, ResetAfterBytes: -1},
			[]string{"latency", "jitter", "bandwidth", "reset_after_bytes"}},
		{"direction", Conditions{Up: &Direction{Latency: -1}, Down: &Direction{Bandwidth: -1}},
			[]string{"up.latency", "down.bandwidth"}},
		{"idle too short", Conditions{ResetIdleAfter: 1000}, []string{"reset_idle_after"}},
		{"idle action unknown", Conditions{ResetIdleAfter: ms(10), IdleAction: "explode"}, []string{"idle_action"}},
		{"idle action alone", Conditions{IdleAction: IdleReset}, []string{"idle_action"}},
		{"window", Conditions{RefuseNew: []Window{{From: -1, For: 0}}},
			[]string{"refuse_new[0].from", "refuse_new[0].for"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs := tc.c.Validate()
			for _, k := range tc.want {
				if errs[k] == "" {
					t.Errorf("no message for %s in %v", k, errs)
				}
			}
			if len(errs) != len(tc.want) {
				t.Errorf("got %v, want messages for %v", errs, tc.want)
			}
		})
	}
}

func TestResolved(t *testing.T) {
	for _, tc := range []struct {
		name     string
		c        Conditions
		up, down Direction
		action   string
	}{
		{"nothing", Conditions{}, Direction{}, Direction{}, ""},
		{"preset", Conditions{Preset: "cross-zone"},
			Direction{ms(0.75), ms(0.1), 5e9}, Direction{ms(0.75), ms(0.1), 5e9}, ""},
		{"preset with override", Conditions{Preset: "cross-zone", Latency: ms(2), Down: &Direction{Bandwidth: 1e6}},
			Direction{ms(2), ms(0.1), 5e9}, Direction{ms(2), ms(0.1), 1e6}, ""},
		{"up only", Conditions{Up: &Direction{Latency: ms(3)}, ResetIdleAfter: ms(5)},
			Direction{Latency: ms(3)}, Direction{}, IdleReset},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := tc.c.Resolved()
			if err != nil {
				t.Fatal(err)
			}
			if *r.Up != tc.up || *r.Down != tc.down || r.IdleAction != tc.action {
				t.Errorf("up %+v down %+v action %q; want %+v %+v %q", *r.Up, *r.Down, r.IdleAction, tc.up, tc.down, tc.action)
			}
			if again, _ := r.Resolved(); *again.Up != *r.Up || *again.Down != *r.Down {
				t.Error("Resolved is not idempotent")
			}
		})
	}
	if _, err := (Conditions{Preset: "moon"}).Resolved(); err == nil {
		t.Error("unknown preset resolved")
	}
}

func TestDescribe(t *testing.T) {
	c := Conditions{Preset: "docker-bridge", Latency: ms(1), Down: &Direction{Bandwidth: 100e6},
		ResetIdleAfter: ms(30000), RefuseNew: []Window{{From: ms(2000), For: ms(1000)}}}
	want := map[string]string{
		"network.preset": "docker-bridge", "network.latency": "1ms", "network.down.bandwidth": "100Mbit",
		"network.reset_idle_after": "30s", "network.idle_action": "reset", "network.refuse_new": "from 2s for 1s",
	}
	if got := c.Describe(); !maps.Equal(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
	if got := (Conditions{Relay: RelayAuto}).Describe(); len(got) != 0 {
		t.Errorf("empty conditions described as %v", got)
	}
	if got := (Conditions{Relay: RelayUser}).Describe(); got["network.relay"] != "user" {
		t.Errorf("relay user described as %v", got)
	}
	// Resolved, the directions that only repeat the top level are left out.
	r, err := Conditions{Preset: "cross-zone", Down: &Direction{Bandwidth: 100e6}}.Resolved()
	if err != nil {
		t.Fatal(err)
	}
	want = map[string]string{"network.preset": "cross-zone", "network.latency": "750µs", "network.jitter": "100µs",
		"network.bandwidth": "5Gbit", "network.down.latency": "750µs", "network.down.jitter": "100µs", "network.down.bandwidth": "100Mbit"}
	if got := r.Describe(); !maps.Equal(got, want) {
		t.Errorf("resolved: got %v\nwant %v", got, want)
	}
}

func TestPresetsAreValid(t *testing.T) {
	for name, p := range Presets() {
		if errs := p.Validate(); len(errs) > 0 {
			t.Errorf("%s: %v", name, errs)
		}
	}
}

func TestListenRejects(t *testing.T) {
	for _, tc := range []struct {
		upstream string
		c        Conditions
		err      string
	}{
		{"10.0.0.1:3306", Conditions{}, "not a loopback"},
		{"db.example.com:3306", Conditions{}, "not a loopback"},
		{"127.0.0.1", Conditions{}, "missing port"},
		{"127.0.0.1:3306", Conditions{Latency: -1}, "network.latency"},
	} {
		p, err := Listen(context.Background(), tc.upstream, tc.c)
		if err == nil {
			p.Close()
			t.Errorf("Listen(%q, %+v) succeeded", tc.upstream, tc.c)
		} else if !strings.Contains(err.Error(), tc.err) {
			t.Errorf("Listen(%q): %v, want %q", tc.upstream, err, tc.err)
		}
	}
	for _, ok := range []string{"127.0.0.1:1", "127.3.2.1:1", "localhost:1", "[::1]:1"} {
		p, err := Listen(context.Background(), ok, Conditions{})
		if err != nil {
			t.Errorf("Listen(%q): %v", ok, err)
			continue
		}
		p.Close()
	}
}

// The scenario block reads from YAML and round-trips through JSON, as the
// run record stores it.
func TestConditionsYAMLAndJSON(t *testing.T) {
	src := `
preset: cross-zone
latency: 2ms
bandwidth: 100Mbit
down: {bandwidth: 10MB}
reset_idle_after: 30s
idle_action: drop
reset_after_bytes: 1MiB
refuse_new: [{from: 2s, for: 1s}]
`
	var c Conditions
	if err := yaml.Unmarshal([]byte(src), &c); err != nil {
		t.Fatal(err)
	}
	if c.Latency != ms(2) || c.Bandwidth != 100e6 || c.Down.Bandwidth != 80e6 ||
		c.ResetAfterBytes != 1<<20 || c.RefuseNew[0].From != ms(2000) || c.IdleAction != IdleDrop {
		t.Fatalf("decoded %+v", c)
	}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var back Conditions
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Bandwidth != c.Bandwidth || back.ResetAfterBytes != c.ResetAfterBytes || back.Down.Bandwidth != 80e6 {
		t.Fatalf("JSON round trip: %s -> %+v", b, back)
	}
	if err := yaml.Unmarshal([]byte("bandwidth: 100"), &c); err == nil {
		t.Fatal("a bare bandwidth number was accepted")
	}
}
