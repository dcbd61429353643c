// Package analysis turns run records into numbers a user can act on:
// per-variant and per-window summaries, comparisons and (later) findings
// and thresholds. It reads records from disk only, never the target.
package analysis

import (
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/poolload/poolload/collector"
	"github.com/poolload/poolload/driver"
	"github.com/poolload/poolload/record"
)

// Stats are the percentiles of one metric, in milliseconds.
type Stats struct {
	Count int64   `json:"count"`
	Min   float64 `json:"min_ms"`
	Mean  float64 `json:"mean_ms"`
	P50   float64 `json:"p50_ms"`
	P90   float64 `json:"p90_ms"`
	P99   float64 `json:"p99_ms"`
	P999  float64 `json:"p99_9_ms"`
	Max   float64 `json:"max_ms"`
}

// StatsOf summarises an HDR histogram recorded in nanoseconds.
func StatsOf(h *hdr.Histogram) Stats {
	if h.TotalCount() == 0 {
		return Stats{}
	}
	ms := func(v int64) float64 { return float64(v) / 1e6 }
	return Stats{
		Count: h.TotalCount(), Min: ms(h.Min()), Mean: h.Mean() / 1e6,
		P50: ms(h.ValueAtQuantile(50)), P90: ms(h.ValueAtQuantile(90)),
		P99: ms(h.ValueAtQuantile(99)), P999: ms(h.ValueAtQuantile(99.9)), Max: ms(h.Max()),
	}
}

// Group is the summary of one window, or of a variant over its windows.
type Group struct {
	Variant string  `json:"variant"`
	Rep     int     `json:"rep,omitempty"` // 0 for a variant over all repetitions
	Windows int     `json:"windows"`
	Status  string  `json:"status,omitempty"`
	Seconds float64 `json:"seconds"`
	// Scheduled is how long the schedule ran, without the drain after
	// its last start; the rates divide by it.
	Scheduled float64 `json:"scheduled_seconds"`
	Offered   float64 `json:"offered_rate"`
	// Rate is started iterations per scheduled second.
	Rate     float64           `json:"achieved_rate"`
	Totals   record.Totals     `json:"totals"`
	Examples map[string]string `json:"error_examples,omitempty"`
	Metrics  map[string]Stats  `json:"metrics"`
	// ConnsOpened is the number of connections the pool opened during the
	// measured window(s) — for an HTTP target, the service's pool as its
	// gauges show it; nil when there is no pool to count.
	ConnsOpened *int64 `json:"conns_opened,omitempty"`
	// ConnsOpenedByPool is the part of ConnsOpened that the pool opened
	// with no iteration waiting in the call (database/sql's opener
	// goroutine): in no iteration's connecting. Iterations with connecting
	// > 0 and these add up to ConnsOpened. nil when not counted.
	ConnsOpenedByPool *int64 `json:"conns_opened_by_pool,omitempty"`
	// ServerConns is the number of connections the watched database
	// server accepted during the window(s) (its Connections counter), for
	// an HTTP target whose pool lives in the service; nil when no server
	// was watched.
	ServerConns *int64 `json:"server_conns,omitempty"`
	// HTTPConnsOpened is the number of connections the load's HTTP client
	// opened to the service, and HTTPConnsOpenedByPool those of them no
	// request was waiting for when their setup ended: in no iteration's
	// connecting. nil for other targets.
	HTTPConnsOpened       *int64 `json:"http_conns_opened,omitempty"`
	HTTPConnsOpenedByPool *int64 `json:"http_conns_opened_by_pool,omitempty"`
}

// Summary is summary.json.
type Summary struct {
	Run      string `json:"run"`
	Scenario string `json:"scenario"`
	Status   string `json:"status"`
	Error    string `json:"error,omitempty"`
	// Host is the host's CPU and poolload's own during the windows.
	Host *HostCPU `json:"host,omitempty"`
	// Network holds the emulated link's conditions (network.* facts of
	// the target), stated next to the results they shaped.
	Network  map[string]string `json:"network,omitempty"`
	Variants []Group           `json:"variants"`
	Windows  []Group           `json:"windows"`
	// Comparison is the record's default pair of variants (see DefaultPair),
	// when it has two or more.
	Comparison *Comparison `json:"comparison,omitempty"`
	// Thresholds are the scenario's thresholds evaluated on the record.
	Thresholds []Result `json:"thresholds,omitempty"`
	// Findings are the diagnoses (Diagnose), most severe first.
	Findings []Finding `json:"findings,omitempty"`
}

// Finding is one diagnosis: what was seen, how sure, the numbers behind it
// and what to do about it.
type Finding struct {
	ID             string `json:"id"`       // stable, e.g. "pool-starvation"
	Severity       string `json:"severity"` // "info", "warning" or "critical"
	Statement      string `json:"statement"`
	Evidence       string `json:"evidence"`
	Recommendation string `json:"recommendation,omitempty"`
	// explains lists the error classes the finding accounts for.
	explains []driver.ErrorClass
}

// Summarize computes the summary of a record, with the comparison of its
// default pair of variants and its thresholds evaluated.
func Summarize(r *record.Record) *Summary {
	s := &Summary{Run: r.Info.ID, Status: r.Info.Status, Error: r.Info.Error, Network: r.Info.Link(), Host: HostOf(r)}
	s.Scenario = r.Plan.Name
	var order []string
	byVariant := map[string]*Group{}
	for _, w := range r.Info.Windows {
		if w.Status == record.StatusSkipped {
			continue
		}
		g := windowGroup(r, &w)
		s.Windows = append(s.Windows, g)
		v, ok := byVariant[w.Variant]
		if !ok {
			v = &Group{Variant: w.Variant, Examples: map[string]string{}}
			byVariant[w.Variant] = v
			order = append(order, w.Variant)
		}
		addInto(v, &g)
	}
	for _, name := range order {
		v := byVariant[name]
		if v.Scheduled > 0 {
			v.Rate = float64(v.Totals.Started()) / v.Scheduled
		}
		if v.Windows > 0 {
			v.Offered /= float64(v.Windows)
		}
		v.Metrics = metricStats(r, name, 0)
		if len(v.Examples) == 0 {
			v.Examples = nil
		}
		s.Variants = append(s.Variants, *v)
	}
	if a, b, err := DefaultPair(r); err == nil {
		s.Comparison, _ = CompareVariants(r, a, b) // nil when a side has nothing measured
	}
	if th, err := ThresholdsOf(r); err == nil {
		s.Thresholds = Evaluate(r, th)
	}
	s.Findings = Diagnose(r, s)
	return s
}

func windowGroup(r *record.Record, w *record.WindowInfo) Group {
	g := Group{Variant: w.Variant, Rep: w.Rep, Windows: 1, Status: w.Status,
		Seconds: time.Duration(w.Length).Seconds(), Scheduled: w.Scheduled().Seconds(), Offered: w.Offered,
		Totals: w.Totals, Examples: w.Examples, Metrics: metricStats(r, w.Variant, w.Rep)}
	if g.Scheduled > 0 {
		g.Rate = float64(w.Totals.Started()) / g.Scheduled
	}
	rows := r.Series(w.Variant, w.Rep)
	g.ConnsOpened = sumDelta(rows, record.ConnsOpened)
	if g.ConnsOpened == nil { // an HTTP target: the service's pool
		g.ConnsOpened = sumDelta(rows, record.SvcPoolOpened)
	}
	g.ServerConns = sumDelta(rows, record.DBConnections)
	g.ConnsOpenedByPool = sumDelta(rows, record.ConnsOpenedByPool)
	g.HTTPConnsOpened = sumDelta(rows, record.HTTPConnsOpened)
	g.HTTPConnsOpenedByPool = sumDelta(rows, record.HTTPConnsOpenedByPool)
	return g
}

// sumDelta sums a per-interval delta gauge over rows; nil when the record
// has no such gauge.
func sumDelta(rows []record.Row, col string) *int64 {
	var n int64
	found := false
	for _, row := range rows {
		if v, ok := row.Values[col]; ok && !math.IsNaN(v) {
			n += int64(v)
			found = true
		}
	}
	if !found {
		return nil
	}
	return &n
}

func addInto(v *Group, g *Group) {
	v.Windows++
	v.Seconds += g.Seconds
	v.Scheduled += g.Scheduled
	v.ConnsOpened = addCount(v.ConnsOpened, g.ConnsOpened)
	v.ServerConns = addCount(v.ServerConns, g.ServerConns)
	v.ConnsOpenedByPool = addCount(v.ConnsOpenedByPool, g.ConnsOpenedByPool)
	v.HTTPConnsOpened = addCount(v.HTTPConnsOpened, g.HTTPConnsOpened)
	v.HTTPConnsOpenedByPool = addCount(v.HTTPConnsOpenedByPool, g.HTTPConnsOpenedByPool)
	v.Offered += g.Offered
	t := &v.Totals
	t.Iterations += g.Totals.Iterations
	t.Dropped += g.Totals.Dropped
	t.DroppedGrowing += g.Totals.DroppedGrowing
	t.Errors += g.Totals.Errors
	t.Interrupted += g.Totals.Interrupted
	t.DroppedBy = addMap(t.DroppedBy, g.Totals.DroppedBy)
	t.ErrorsBy = addMap(t.ErrorsBy, g.Totals.ErrorsBy)
	for k, e := range g.Examples {
		if _, ok := v.Examples[k]; !ok {
			v.Examples[k] = e
		}
	}
}

func addMap(dst, src map[string]int64) map[string]int64 {
	for k, n := range src {
		if dst == nil {
			dst = map[string]int64{}
		}
		dst[k] += n
	}
	return dst
}

func metricStats(r *record.Record, variant string, rep int) map[string]Stats {
	out := map[string]Stats{}
	for m := range collector.NumMetrics {
		st := StatsOf(r.Merged(variant, rep, m))
		if st.Count > 0 {
			out[m.String()] = st
		}
	}
	return out
}

// Write saves s as the record's summary.json.
func (s *Summary) Write(dir string) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding the summary: %w", err)
	}
	return record.WriteFileAtomic(filepath.Join(dir, record.SummaryFile), append(b, '\n'))
}

// addCount adds an optional count into another.
func addCount(into, n *int64) *int64 {
	if n == nil {
		return into
	}
	if into == nil {
		into = new(int64)
	}
	*into += *n
	return into
}
