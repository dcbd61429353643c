package record

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/poolload/poolload/collector"
	"github.com/poolload/poolload/driver"
	"github.com/poolload/poolload/network"
	"github.com/poolload/poolload/units"
)

// Run and window statuses in run.json.
const (
	StatusRunning     = "running"
	StatusComplete    = "complete"
	StatusInterrupted = "interrupted" // stopped early (Ctrl-C); what was measured is kept
	StatusFailed      = "failed"      // the target or the harness failed
	StatusSkipped     = "skipped"     // never started because the run stopped first
)

// FormatVersion is the run record's format: run.json, metrics.hlog and
// timeseries.csv as this version writes them. Records written before the
// field existed are version 1, which reads the same way.
const FormatVersion = 2

// oldestFormat is the oldest format this version reads.
const oldestFormat = 1

// checkFormat says what to do with a record this version cannot read.
func checkFormat(v int) error {
	if v == 0 {
		v = 1 // written before the field existed
	}
	switch {
	case v > FormatVersion:
		return fmt.Errorf("the record is in format %d, newer than this poolload reads (%d to %d): read it with a newer poolload", v, oldestFormat, FormatVersion)
	case v < oldestFormat:
		return fmt.Errorf("the record is in format %d, older than this poolload reads (%d to %d): read it with the poolload that wrote it", v, oldestFormat, FormatVersion)
	}
	return nil
}

// RunInfo is run.json: what was run, where, when, and how each window ended.
type RunInfo struct {
	// FormatVersion is the record's format (FormatVersion when written).
	FormatVersion int             `json:"format_version"`
	ID            string          `json:"id"`
	Tool          string          `json:"tool"`
	Version       string          `json:"version"`
	GoVersion     string          `json:"go_version"`
	Host          string          `json:"host"`
	Args          []string        `json:"args,omitempty"`
	Scenario      json.RawMessage `json:"scenario"` // resolved, secrets redacted
	Started       time.Time       `json:"started"`
	Ended         time.Time       `json:"ended,omitzero"`
	Status        string          `json:"status"`
	Error         string          `json:"error,omitempty"`
	// HostCPUs is how many CPUs the host has (host_busy_pct and
	// host_steal_pct are shares of all of them), GoMaxProcs how many of
	// them poolload may run on at once; 0 in records written before them.
	HostCPUs   int `json:"host_cpus,omitempty"`
	GoMaxProcs int `json:"gomaxprocs,omitempty"`
	// Segment says which share of a split load this record holds (nil:
	// the whole), PlanHash identifies the plan every segment must share,
	// and StartAt is the timeline's start the segments agreed on.
	// MergedFrom lists the segment records a merged record came from.
	Segment    *Segment  `json:"segment,omitempty"`
	PlanHash   string    `json:"plan_hash,omitempty"`
	StartAt    time.Time `json:"start_at,omitzero"`
	MergedFrom []string  `json:"merged_from,omitempty"`
	// TeardownError is what went wrong undoing the target's preparation
	// (teardown statements, the service, a managed server), if anything.
	TeardownError string            `json:"teardown_error,omitempty"`
	Interval      units.Duration    `json:"interval"`
	Gauges        []string          `json:"gauges,omitempty"`
	Target        map[string]string `json:"target,omitempty"` // facts the driver reported
	// Network is the emulated link's conditions as they ran (presets and
	// directions resolved); nil without a link, and in records of
	// format 1, which kept them only as network.* target facts.
	Network *network.Conditions `json:"network,omitempty"`
	Windows []WindowInfo        `json:"windows"`
}

// Segment is share Index of Count (from 1) of a load split over
// generators: iteration k of every window belongs to segment k mod Count + 1.
type Segment struct {
	Index int `json:"index"`
	Count int `json:"count"`
}

// PlanHash names a resolved scenario: segments of one load share it.
func PlanHash(scenario []byte) string {
	h := sha256.Sum256(scenario)
	return hex.EncodeToString(h[:12])
}

// WindowInfo is one variant × repetition: its measured window and prelude.
type WindowInfo struct {
	Variant string    `json:"variant"`
	Rep     int       `json:"rep"`
	Status  string    `json:"status"`
	Error   string    `json:"error,omitempty"`
	Start   time.Time `json:"start,omitzero"`
	// Late is how long after Start a window on a shared timeline (a
	// segment's) actually began: how well the segments kept to it.
	Late     units.Duration    `json:"start_late,omitempty"`
	Length   units.Duration    `json:"length"`  // measured window, t0 to the last VU done
	Planned  int64             `json:"planned"` // iterations the schedule starts
	Offered  float64           `json:"offered_rate"`
	Prelude  Prelude           `json:"prelude"`
	VUsAlloc int               `json:"vus_allocated"`
	Totals   Totals            `json:"totals"`
	Examples map[string]string `json:"error_examples,omitempty"`
}

// Scheduled is how long the window's schedule ran: its planned duration
// (planned iterations over the offered rate), or the measured length when
// the window was cut short. Rates divide by it, not by the measured
// length, which adds the drain after the last scheduled start.
func (w *WindowInfo) Scheduled() time.Duration {
	length := time.Duration(w.Length)
	if w.Offered <= 0 || w.Planned <= 0 {
		return length
	}
	d := time.Duration(float64(w.Planned) / w.Offered * float64(time.Second))
	if w.Status != StatusComplete && length < d {
		return length
	}
	return d
}

// Started is how many iterations the window started: those that ended,
// and those the end of the run interrupted.
func (t *Totals) Started() int64 { return t.Iterations + t.Interrupted }

// Prelude is what happened before t0.
type Prelude struct {
	Prewarmed int            `json:"prewarmed,omitempty"`
	Warmup    int64          `json:"warmup_iterations,omitempty"`
	Idle      units.Duration `json:"idle,omitempty"`
	Settled   bool           `json:"settled,omitempty"`
	// SettleError says why the target did not settle before the window
	// (a server shared with other clients, say); the window ran anyway.
	SettleError string `json:"settle_error,omitempty"`
	// Restarted says the before step restarted the service; Before is how
	// long that step took.
	Restarted bool           `json:"restarted,omitempty"`
	Before    units.Duration `json:"before,omitempty"`
	// Link is what the network link counted from the before step to t0
	// (link_conns, link_resets, … as in timeseries.csv): connections an
	// idle pause killed die here, before the window's counters start.
	Link map[string]float64 `json:"link,omitempty"`
}

// Totals are a window's counters with names, for JSON.
type Totals struct {
	Iterations int64            `json:"iterations"`
	Dropped    int64            `json:"dropped"`
	DroppedBy  map[string]int64 `json:"dropped_by,omitempty"`
	// DroppedGrowing is how many of the drops came while VUs were still
	// being allocated.
	DroppedGrowing int64            `json:"dropped_while_growing,omitempty"`
	Errors         int64            `json:"errors"`
	ErrorsBy       map[string]int64 `json:"errors_by,omitempty"`
	Interrupted    int64            `json:"interrupted"`
}

// TotalsOf names the counters of c.
func TotalsOf(c *collector.Counts) Totals {
	t := Totals{Iterations: c.Iterations, Dropped: c.DroppedTotal(), DroppedGrowing: c.DroppedGrowing,
		Errors: c.ErrorTotal(), Interrupted: c.Interrupted}
	for i, n := range c.Dropped {
		if n > 0 {
			if t.DroppedBy == nil {
				t.DroppedBy = map[string]int64{}
			}
			t.DroppedBy[collector.DropCause(i).String()] = n
		}
	}
	for i, n := range c.Errors {
		if n > 0 && i != int(driver.ClassNone) {
			if t.ErrorsBy == nil {
				t.ErrorsBy = map[string]int64{}
			}
			t.ErrorsBy[driver.ErrorClass(i).String()] = n
		}
	}
	return t
}

// Tag is the HdrHistogram log tag of a metric in a window.
func Tag(variant string, rep int, m collector.Metric) string {
	return variant + "." + strconv.Itoa(rep) + "." + m.String()
}

// networkPrefix starts the target facts that describe the emulated link
// ("network.latency": "1ms"); network.Conditions.Describe writes them.
const networkPrefix = "network."

// Link returns the emulated link's conditions in words (latency: 1ms,
// preset: cross-zone …), nil without a link: the one reader of them, for
// the summary, the findings and the plots.
func (i *RunInfo) Link() map[string]string {
	facts := i.Target // format 1: the facts are all there is
	if i.Network != nil {
		facts = i.Network.Describe()
	}
	var out map[string]string
	for k, v := range facts {
		name, ok := strings.CutPrefix(k, networkPrefix)
		if !ok || name == "proxy" || name == "relay" {
			continue
		}
		if out == nil {
			out = map[string]string{}
		}
		out[name] = v
	}
	return out
}
