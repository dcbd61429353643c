// Package collector records what the VUs measured: sharded, lock-free HDR
// histograms per metric swapped on the interval tick, counters, error classes
// with a first example, and the run record on disk (run.json, metrics.hlog,
// timeseries.csv) with its reader.
package collector

// Metric is one per-iteration timing, recorded in nanoseconds.
type Metric uint8

// The metrics of DESIGN.md, in the order they appear in records.
const (
	Latency     Metric = iota // intended start → done (free of coordinated omission)
	Service                   // actual start → done
	ScheduleLag               // intended start → actual start
	Blocked                   // asked the pool → held a connection
	Connecting                // new-connection setup inside Blocked (0 on reuse)
	DNS                       // part of Connecting; recorded only for new connections
	Dial                      // part of Connecting; recorded only for new connections
	Handshake                 // part of Connecting; recorded only for new connections
	Wait                      // request sent → first result
	Receiving                 // first result → last row
	Sending                   // held a connection → request fully written (HTTP; k6's http_req_sending)
	TLS                       // part of Connecting; recorded only for new connections that negotiated TLS apart
	NumMetrics
)

var metricNames = [NumMetrics]string{
	"latency", "service", "schedule_lag", "blocked", "connecting",
	"dns", "dial", "handshake", "wait", "receiving", "sending", "tls",
}

func (m Metric) String() string {
	if m < NumMetrics {
		return metricNames[m]
	}
	return "unknown"
}

// MetricByName returns the metric called name, and whether there is one.
func MetricByName(name string) (Metric, bool) {
	for i, n := range metricNames {
		if n == name {
			return Metric(i), true
		}
	}
	return 0, false
}

// DropCause says why no VU was free when a tick came.
type DropCause uint8

// Drop causes. A drop is charged to what most busy VUs were doing:
// waiting for a pooled connection, or waiting on the target. Only a drop
// with no VU in an iteration at all (every VU still starting) is charged
// to VU allocation; allocation that was still under way when busy VUs were
// blocked is a contributing cause, counted apart (Counts.DroppedGrowing),
// so that pool starvation's evidence is not split between two causes.
const (
	DropVUs    DropCause = iota // no VU in an iteration: all still being allocated
	DropPool                    // most busy VUs blocked on the pool (pool starvation)
	DropTarget                  // most busy VUs waiting on the target (slow target)
	NumDropCauses
)

var dropNames = [NumDropCauses]string{"vus", "pool", "target"}

func (c DropCause) String() string {
	if c < NumDropCauses {
		return dropNames[c]
	}
	return "unknown"
}

// Explain gives the cause in words, for summaries.
func (c DropCause) Explain() string {
	switch c {
	case DropVUs:
		return "VU allocation (too few pre-allocated VUs)"
	case DropPool:
		return "pool starvation (VUs blocked on a connection)"
	case DropTarget:
		return "slow target (VUs waiting on responses)"
	}
	return "unknown"
}
