package network

import (
	"sort"
	"time"

	"github.com/poolload/poolload/units"
)

// Presets returns the named links a scenario can start from. Latencies are
// one way and added on top of loopback (itself ~0.03–0.05 ms RTT); network
// /README.md gives the published figures behind each number.
//
//   - same-host: nothing added; loopback plus the proxy's own hop (tens of
//     microseconds) already is a same-host link.
//   - docker-bridge: +50µs each way (±10µs): a veth pair and a bridge cost
//     ~0.1–0.2 ms RTT.
//   - cross-zone: 750µs each way (±100µs), 5Gbit per connection: zones of
//     one cloud region are ~1–2 ms RTT apart, and AWS caps a single flow
//     outside a placement group at 5 Gbit/s.
//   - cross-region: 25ms each way (±1ms): 30–80 ms RTT between regions of
//     one continent.
func Presets() map[string]Conditions {
	us := func(n int) units.Duration { return units.Duration(time.Duration(n) * time.Microsecond) }
	return map[string]Conditions{
		"same-host":     {},
		"docker-bridge": {Latency: us(50), Jitter: us(10)},
		"cross-zone":    {Latency: us(750), Jitter: us(100), Bandwidth: 5e9},
		"cross-region":  {Latency: us(25000), Jitter: us(1000)},
	}
}

func presetNames() []string {
	var names []string
	for n := range Presets() {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
