package network

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/poolload/poolload/units"
)

// Conditions is the `target.network` block of a scenario: the link the
// proxy emulates between the client's pool and the server.
//
// Latency, jitter and bandwidth apply to each direction; Up (client to
// server) and Down (server to client) override them per direction. A
// preset fills them in first. A zero field means "not set": it keeps the
// preset's (or the top level's) value, so a preset's jitter cannot be
// turned off by writing 0 — pick a smaller preset or no preset instead.
type Conditions struct {
	// Preset is one of Presets(): same-host, docker-bridge, cross-zone,
	// cross-region.
	Preset string `yaml:"preset" json:"preset,omitempty"`
	// Latency is the one-way delay of each direction, so a round trip
	// costs 2×Latency plus the server's own time.
	Latency units.Duration `yaml:"latency" json:"latency,omitempty"`
	// Jitter spreads each chunk's delay uniformly over
	// [Latency−Jitter, Latency+Jitter] (clamped at 0), as `tc netem delay
	// L J` does, so the mean stays Latency. It never reorders the bytes of
	// a stream: a chunk is never due before the one read before it.
	Jitter units.Duration `yaml:"jitter" json:"jitter,omitempty"`
	// Bandwidth caps each direction of each connection; 0 is unlimited.
	Bandwidth units.Bandwidth `yaml:"bandwidth" json:"bandwidth,omitempty"`
	// Up and Down override latency, jitter and bandwidth for one
	// direction.
	Up   *Direction `yaml:"up" json:"up,omitempty"`
	Down *Direction `yaml:"down" json:"down,omitempty"`
	// ResetIdleAfter kills a connection that carried no byte either way
	// for longer than this, as a NAT or firewall forgets an idle flow.
	ResetIdleAfter units.Duration `yaml:"reset_idle_after" json:"reset_idle_after,omitempty"`
	// IdleAction is what the kill looks like: "reset" (default) sends an
	// RST to both sides; "drop" blackholes the flow — bytes are discarded
	// from then on, nothing is delivered, and each side only learns of it
	// through its own timeouts (what most cloud NATs do).
	IdleAction string `yaml:"idle_action" json:"idle_action,omitempty"`
	// ResetAfterBytes resets a connection once this many bytes (both ways
	// together) have been delivered; 0 is never.
	ResetAfterBytes units.ByteSize `yaml:"reset_after_bytes" json:"reset_after_bytes,omitempty"`
	// RefuseNew lists windows, relative to the last Proxy.Mark, in which a
	// new connection is accepted and reset at once.
	RefuseNew []Window `yaml:"refuse_new" json:"refuse_new,omitempty"`
	// Relay says who copies the bytes of a link that has nothing to delay
	// (no latency, jitter, bandwidth or reset_after_bytes): "auto"
	// (default) the kernel (BPF sockmap) when it can be had, else the
	// proxy's goroutines; "user" the goroutines; "kernel" the kernel or a
	// failure at start. The kernel relay adds about half what the
	// goroutines add at p99 (network/README.md) but needs root, or
	// CAP_BPF and CAP_NET_ADMIN.
	Relay string `yaml:"relay" json:"relay,omitempty"`
}

// Direction overrides the link for one direction; zero fields keep the
// top-level value.
type Direction struct {
	Latency   units.Duration  `yaml:"latency" json:"latency,omitempty"`
	Jitter    units.Duration  `yaml:"jitter" json:"jitter,omitempty"`
	Bandwidth units.Bandwidth `yaml:"bandwidth" json:"bandwidth,omitempty"`
}

// Window is [Mark+From, Mark+From+For).
type Window struct {
	From units.Duration `yaml:"from" json:"from"`
	For  units.Duration `yaml:"for" json:"for"`
}

// Idle actions.
const (
	IdleReset = "reset"
	IdleDrop  = "drop"
)

// Relays.
const (
	RelayAuto   = "auto"
	RelayUser   = "user"
	RelayKernel = "kernel"
)

// minIdle keeps the janitor's ticker (a fraction of ResetIdleAfter) from
// spinning.
const minIdle = time.Millisecond

// Upper bounds, which catch typos (a wrong unit) rather than restrict
// real links.
const (
	// maxLatency bounds a one-way latency and its jitter: a geostationary
	// satellite's round trip is about 600 ms, so a minute is no link.
	maxLatency = time.Minute
	// maxBandwidth is above the fastest link a loopback proxy can relay.
	maxBandwidth = units.Bandwidth(1e12) // 1Tbit
	// maxResetAfter is far more than a window at any rate moves.
	maxResetAfter = units.ByteSize(1 << 40) // 1TiB
)

// Validate reports every problem in c as field path → message.
func (c *Conditions) Validate() map[string]string {
	errs := map[string]string{}
	if c.Preset != "" {
		if _, ok := Presets()[c.Preset]; !ok {
			errs["preset"] = "must be one of " + strings.Join(presetNames(), ", ")
		}
	}
	validateDir(errs, "", Direction{c.Latency, c.Jitter, c.Bandwidth})
	if c.Up != nil {
		validateDir(errs, "up.", *c.Up)
	}
	if c.Down != nil {
		validateDir(errs, "down.", *c.Down)
	}
	if c.ResetIdleAfter < 0 || (c.ResetIdleAfter > 0 && c.ResetIdleAfter.D() < minIdle) || c.ResetIdleAfter.D() > units.MaxDuration {
		errs["reset_idle_after"] = "must be 0 (never) or between 1ms and " + units.Short(units.MaxDuration) + ", got " + units.Short(c.ResetIdleAfter.D())
	}
	switch {
	case c.IdleAction != "" && c.IdleAction != IdleReset && c.IdleAction != IdleDrop:
		errs["idle_action"] = `must be "reset" or "drop"`
	case c.IdleAction != "" && c.ResetIdleAfter == 0:
		errs["idle_action"] = "has no effect without reset_idle_after"
	}
	if c.ResetAfterBytes < 0 || c.ResetAfterBytes > maxResetAfter {
		errs["reset_after_bytes"] = "must be between 0 (never) and " + maxResetAfter.String() + ", got " + c.ResetAfterBytes.String()
	}
	validateRelay(errs, c)
	for i, w := range c.RefuseNew {
		p := fmt.Sprintf("refuse_new[%d]", i)
		if msg := w.From.Check(units.MaxDuration, false); msg != "" {
			errs[p+".from"] = msg + " (it counts from the start of the measured window)"
		}
		if msg := w.For.Check(units.MaxDuration, true); msg != "" {
			errs[p+".for"] = msg
		}
	}
	return errs
}

func validateRelay(errs map[string]string, c *Conditions) {
	switch c.Relay {
	case "", RelayAuto, RelayUser:
	case RelayKernel:
		if r, err := c.Resolved(); err == nil && !r.kernelRelayable() {
			errs["relay"] = `"kernel" only relays a link with no latency, jitter, bandwidth or reset_after_bytes (drop relay, or use "auto")`
		}
	default:
		errs["relay"] = `must be "auto", "user" or "kernel"`
	}
}

// kernelRelayable says whether the resolved link can be left to the
// kernel: nothing is delayed and no byte needs counting on the way.
func (c Conditions) kernelRelayable() bool {
	zero := func(d *Direction) bool { return d == nil || *d == Direction{} }
	return c.Latency == 0 && c.Jitter == 0 && c.Bandwidth == 0 && zero(c.Up) && zero(c.Down) &&
		c.ResetAfterBytes == 0 && c.Relay != RelayUser
}

func validateDir(errs map[string]string, prefix string, d Direction) {
	if msg := d.Latency.Check(maxLatency, false); msg != "" {
		errs[prefix+"latency"] = msg
	}
	if msg := d.Jitter.Check(maxLatency, false); msg != "" {
		errs[prefix+"jitter"] = msg
	}
	if d.Bandwidth < 0 || d.Bandwidth > maxBandwidth {
		errs[prefix+"bandwidth"] = "must be between 0 (unlimited) and " + maxBandwidth.String() + ", got " + d.Bandwidth.String()
	}
}

// Resolved returns c with its preset applied under the fields set in c, and
// with Up and Down both filled in, so that the proxy (and the run record)
// see the link actually emulated.
func (c Conditions) Resolved() (Conditions, error) {
	r := c
	if c.Preset != "" {
		p, ok := Presets()[c.Preset]
		if !ok {
			return c, fmt.Errorf("network preset %q is unknown: use one of %s", c.Preset, strings.Join(presetNames(), ", "))
		}
		top := overlay(Direction{p.Latency, p.Jitter, p.Bandwidth}, Direction{c.Latency, c.Jitter, c.Bandwidth})
		r.Latency, r.Jitter, r.Bandwidth = top.Latency, top.Jitter, top.Bandwidth
	}
	top := Direction{r.Latency, r.Jitter, r.Bandwidth}
	up, down := top, top
	if c.Up != nil {
		up = overlay(top, *c.Up)
	}
	if c.Down != nil {
		down = overlay(top, *c.Down)
	}
	r.Up, r.Down = &up, &down
	if r.ResetIdleAfter > 0 && r.IdleAction == "" {
		r.IdleAction = IdleReset
	}
	r.RefuseNew = append([]Window(nil), c.RefuseNew...)
	return r, nil
}

// overlay returns base with the non-zero fields of o written over it.
func overlay(base, o Direction) Direction {
	if o.Latency != 0 {
		base.Latency = o.Latency
	}
	if o.Jitter != 0 {
		base.Jitter = o.Jitter
	}
	if o.Bandwidth != 0 {
		base.Bandwidth = o.Bandwidth
	}
	return base
}

// Describe returns the set fields of c as flat facts for the run record,
// such as "network.latency": "1ms". Describe the Resolved conditions to
// record what was emulated rather than what was typed.
func (c Conditions) Describe() map[string]string {
	m := map[string]string{}
	set := func(k string, v fmt.Stringer, ok bool) {
		if ok {
			m["network."+k] = v.String()
		}
	}
	if c.Preset != "" {
		m["network.preset"] = c.Preset
	}
	top := Direction{c.Latency, c.Jitter, c.Bandwidth}
	describeDir(set, "", top)
	// A resolved link repeats the top level in both directions; only a
	// direction that differs says something.
	if c.Up != nil && *c.Up != top {
		describeDir(set, "up.", *c.Up)
	}
	if c.Down != nil && *c.Down != top {
		describeDir(set, "down.", *c.Down)
	}
	set("reset_idle_after", c.ResetIdleAfter, c.ResetIdleAfter != 0)
	if c.IdleAction != "" {
		m["network.idle_action"] = c.IdleAction
	} else if c.ResetIdleAfter != 0 {
		m["network.idle_action"] = IdleReset
	}
	set("reset_after_bytes", c.ResetAfterBytes, c.ResetAfterBytes != 0)
	// A relay asked for is part of the setup; the one that ran (which
	// "auto" decides at start) is recorded by the runner under the same
	// key.
	if c.Relay != "" && c.Relay != RelayAuto {
		m["network.relay"] = c.Relay
	}
	if len(c.RefuseNew) > 0 {
		ws := make([]string, len(c.RefuseNew))
		for i, w := range c.RefuseNew {
			ws[i] = fmt.Sprintf("from %v for %v", w.From, w.For)
		}
		m["network.refuse_new"] = strings.Join(ws, "; ")
	}
	return m
}

func describeDir(set func(string, fmt.Stringer, bool), prefix string, d Direction) {
	set(prefix+"latency", d.Latency, d.Latency != 0)
	set(prefix+"jitter", d.Jitter, d.Jitter != 0)
	set(prefix+"bandwidth", d.Bandwidth, d.Bandwidth != 0)
}

// errorOf turns Validate's map into one error with the fields sorted, for
// callers (Listen) that have no file position to attach.
func errorOf(errs map[string]string) error {
	if len(errs) == 0 {
		return nil
	}
	keys := make([]string, 0, len(errs))
	for k := range errs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = "network." + k + ": " + errs[k]
	}
	return fmt.Errorf("%s", strings.Join(parts, "; "))
}
