package analysis

import (
	"fmt"
	"math"

	"github.com/poolload/poolload/record"
)

// checkColdStart compares a variant that started with an empty pool with
// one that was pre-warmed. When the cold one is slower or drops more only
// in the seconds it opened connections, and most of its blocked time was
// connecting, the penalty is connection setup, and pre-warming as many
// connections as the warm run used removes it.
func checkColdStart(d *diag) *Finding {
	cold, warm := d.coldWarm()
	if cold == "" || warm == "" {
		return nil
	}
	var coldRows, opening, warmRows []record.Row
	for _, w := range d.windows {
		switch w.variant {
		case cold:
			coldRows = append(coldRows, w.rows...)
			for _, r := range w.rows {
				if opened(r) > 0 {
					opening = append(opening, r)
				}
			}
		case warm:
			warmRows = append(warmRows, w.rows...)
		}
	}
	if len(opening) == 0 || len(warmRows) == 0 {
		return nil
	}
	// Against the warm run's worst second, not its median: one slow
	// interval in the cold window is noise unless it beats every warm one.
	worst, peak, warmP99 := 0.0, 0.0, 0.0
	for _, r := range opening {
		worst = math.Max(worst, val(r, record.LatencyP99))
	}
	for _, r := range warmRows {
		peak = math.Max(peak, inUse(r))
		warmP99 = math.Max(warmP99, val(r, record.LatencyP99))
	}
	extraLat := worst - warmP99
	extraDrops := total(coldRows, "dropped") - total(warmRows, "dropped")
	if !(extraLat >= 1 && extraLat > 0.2*warmP99) && extraDrops <= 0 {
		return nil
	}
	sev := SevInfo
	if extraDrops > 0 {
		sev = SevWarning // the cold start cost iterations, not just time
	}
	share := colMedian(opening, record.ConnectingP99) / colMedian(opening, record.BlockedP99)
	f := &Finding{ID: "cold-start-penalty", Severity: sev,
		Statement: fmt.Sprintf("%s is slower than %s while it opens connections: the cost is connection setup", cold, warm),
		Evidence: fmt.Sprintf("%s opened %.0f connections in %d intervals (%s); latency p99 up to %.1f ms vs at most %.1f ms for %s; "+
			"connecting is %.0f%% of the p99 blocked time there; %+.0f dropped iterations vs %s",
			cold, sumOf(opening, opened), len(opening), span(opening), worst, warmP99, warm, 100*share, extraDrops, warm),
		Recommendation: fmt.Sprintf("pre-warm %.0f connections at start-up (the warm run's peak in use), e.g. prewarm: %.0f, "+
			"or open them in the service before it reports ready", peak, peak)}
	// Over an emulated link, a connection's cost is mostly its round trips:
	// say so, as the same pool costs far less on loopback.
	if link := d.rec.Info.Link(); len(link) > 0 {
		f.Evidence += "; measured over an emulated network link (" + joinFacts(link) + ")"
	}
	return f
}

// opened is the connections a row's pool opened: poolload's own, or the
// service's as its gauges show them.
func opened(r record.Row) float64 {
	if v, ok := r.Values[record.ConnsOpened]; ok {
		return v
	}
	return val(r, record.SvcPoolOpened)
}

// inUse is a row's connections in use, in poolload's pool or the service's.
func inUse(r record.Row) float64 {
	if v, ok := r.Values[record.PoolInUse]; ok {
		return v
	}
	return val(r, record.SvcPoolInUse)
}

func sumOf(rows []record.Row, f func(record.Row) float64) float64 {
	s := 0.0
	for _, r := range rows {
		if v := f(r); !math.IsNaN(v) {
			s += v
		}
	}
	return s
}

// coldWarm names a variant that started with nothing open and one that
// was pre-warmed or warmed up by an unmeasured load.
func (d *diag) coldWarm() (cold, warm string) {
	for _, name := range Variants(d.rec) {
		v := d.rec.Plan.Variant(name)
		isWarm := v != nil && v.Warm()
		if !isWarm && cold == "" {
			cold = name
		}
		if isWarm && warm == "" {
			warm = name
		}
	}
	return cold, warm
}
