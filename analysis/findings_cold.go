package analysis

import (
	"fmt"
	"math"

	"github.com/poolload/poolload/record"
)

// checkColdStart compares a variant that started with an empty pool with
// one that was pre-warmed. The cold variant's slow seconds (latency p99
// above the warm run's worst second by 20%, and by 1 ms at least) are
// split by whether connections were opened in them (connsOf: poolload's
// pool, the service's gauges, else the server's Connections counter).
// Slow seconds that open connections are the pool's cold start, and
// pre-warming as many connections as the warm run used removes it; slow
// seconds early in the window that open none are something else warming
// up (checkWarmUp), which pre-warming the pool will not fix.
func checkColdStart(d *diag) *Finding {
	cs := d.coldStart()
	if cs == nil || (len(cs.poolSlow) == 0 && (cs.extraDrops <= 0 || len(cs.opening) == 0)) {
		return nil
	}
	rows := cs.poolSlow
	if len(rows) == 0 {
		rows = cs.opening // drops, not latency: the seconds that opened
	}
	worst := 0.0
	for _, r := range rows {
		worst = math.Max(worst, val(r, record.LatencyP99))
	}
	sev := SevInfo
	if cs.extraDrops > 0 {
		sev = SevWarning // the cold start cost iterations, not just time
	}
	f := &Finding{ID: "cold-start-penalty", Severity: sev,
		Statement: fmt.Sprintf("%s is slower than %s while it opens connections: the cost is connection setup", cs.cold, cs.warm),
		Evidence: fmt.Sprintf("%s opened %.0f connections (counted by %s) in %d intervals (%s); latency p99 up to %.1f ms vs at most %.1f ms for %s; "+
			"%+.0f dropped iterations vs %s",
			cs.cold, sumOf(cs.opening, cs.src.opened), cs.src.what, len(cs.opening), span(cs.opening), worst, cs.warmP99, cs.warm,
			cs.extraDrops, cs.warm),
		Recommendation: fmt.Sprintf("pre-warm %s connections at start-up (the warm run's peak in use), e.g. prewarm: %.0f, "+
			"or open them in the service before it reports ready", d.perInstance(cs.peak), math.Ceil(cs.peak/float64(d.instances)))}
	if d.instances > 1 {
		f.Statement = fmt.Sprintf("%s is slower than %s while its %d instances open connections: the cost is connection setup", cs.cold, cs.warm, d.instances)
	}
	if cs.peak <= 0 {
		f.Recommendation = "open the pool's connections before the service takes traffic (a minimum idle size, or a warm-up at start-up)"
	}
	if b := colMedian(cs.opening, record.BlockedP99); b > 0 {
		f.Evidence += fmt.Sprintf("; connecting is %.0f%% of the p99 blocked time there", 100*colMedian(cs.opening, record.ConnectingP99)/b)
	}
	if u := userThreadsRise(cs.coldRows); u != "" {
		f.Evidence += "; " + u
	}
	// Over an emulated link, a connection's cost is mostly its round trips:
	// say so, as the same pool costs far less on loopback.
	if link := d.rec.Info.Link(); len(link) > 0 {
		f.Evidence += "; measured over an emulated network link (" + joinFacts(link) + ")"
	}
	return f
}

// checkWarmUp finds a cold start that is not the pool's: the cold
// variant's slow seconds in the first half of its window opened no
// connection, so the process (JIT compilation, caches, class loading,
// lazy initialisation) or the server's caches were warming up.
func checkWarmUp(d *diag) *Finding {
	cs := d.coldStart()
	if cs == nil || len(cs.quietSlow) == 0 {
		return nil
	}
	worst := 0.0
	for _, r := range cs.quietSlow {
		worst = math.Max(worst, val(r, record.LatencyP99))
	}
	return &Finding{ID: "cold-start-warm-up", Severity: SevInfo,
		Statement: fmt.Sprintf("%s is slower than %s at its start without opening connections: something besides the pool is warming up", cs.cold, cs.warm),
		Evidence: fmt.Sprintf("%s: %d slow intervals early in the window (%s) with no connection opened (counted by %s); latency p99 up to %.1f ms vs at most %.1f ms for %s",
			cs.cold, len(cs.quietSlow), span(cs.quietSlow), cs.src.what, worst, cs.warmP99, cs.warm),
		Recommendation: "warm the process itself up before it takes traffic (representative requests at start-up, before it reports ready: JIT, caches, " +
			"class loading), or keep instances running across deploys; pre-warming the pool will not remove this"}
}

// coldStart is the evidence both cold-start checks read.
type coldStart struct {
	cold, warm string
	src        connsSource
	coldRows   []record.Row
	opening    []record.Row // cold intervals that opened connections
	poolSlow   []record.Row // slow cold intervals that opened connections
	quietSlow  []record.Row // slow cold intervals early in the window that opened none
	warmP99    float64      // the warm run's worst interval p99
	peak       float64      // the warm run's peak connections in use
	extraDrops float64
}

// coldStart gathers the cold and warm variants' intervals, or nil when the
// record has no such pair or does not count connections opened.
func (d *diag) coldStart() *coldStart {
	cold, warm := d.coldWarm()
	src, ok := connsOf(d.rec.Rows)
	if cold == "" || warm == "" || !ok {
		return nil
	}
	cs := &coldStart{cold: cold, warm: warm, src: src}
	var warmRows []record.Row
	for _, w := range d.windows {
		if w.variant == warm {
			warmRows = append(warmRows, w.rows...)
		}
	}
	if len(warmRows) == 0 {
		return nil
	}
	// Against the warm run's worst second, not its median: one slow
	// interval in the cold window is noise unless it beats every warm one.
	for _, r := range warmRows {
		if v := inUse(r); !math.IsNaN(v) {
			cs.peak = math.Max(cs.peak, v)
		}
		cs.warmP99 = math.Max(cs.warmP99, val(r, record.LatencyP99))
	}
	slow := cs.warmP99 + math.Max(1, 0.2*cs.warmP99)
	for _, w := range d.windows {
		if w.variant != cold {
			continue
		}
		cs.coldRows = append(cs.coldRows, w.rows...)
		half := val(w.rows[len(w.rows)-1], record.TEnd) / 2
		opened := false // the window has opened connections by now
		for _, r := range w.rows {
			isSlow := val(r, record.LatencyP99) >= slow
			switch n := src.opened(r); {
			case n > 0:
				opened = true
				cs.opening = append(cs.opening, r)
				if isSlow {
					cs.poolSlow = append(cs.poolSlow, r)
				}
			// Once connections were opened, the queue they left behind
			// slows the next seconds too: only slow seconds before any
			// opening are surely not the pool's.
			case n == 0 && isSlow && !opened && val(r, record.TStart) < half:
				cs.quietSlow = append(cs.quietSlow, r)
			}
		}
	}
	cs.extraDrops = total(cs.coldRows, record.Dropped) - total(warmRows, record.Dropped)
	return cs
}

// userThreadsRise says how the service user's connections on the server
// rose over rows, or "" without that gauge.
func userThreadsRise(rows []record.Row) string {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, r := range rows {
		if v := val(r, record.DBUserThreads); !math.IsNaN(v) {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	if math.IsInf(lo, 1) || hi <= lo {
		return ""
	}
	return fmt.Sprintf("the service user's connections on the server went from %.0f to %.0f", lo, hi)
}

// inUse is a row's connections in use, in poolload's pool or the service's, or
// what the service's user holds on the server when no pool gauge exists.
func inUse(r record.Row) float64 {
	if v, ok := r.Values[record.PoolInUse]; ok {
		return v
	}
	if v, ok := r.Values[record.SvcPoolInUse]; ok {
		return v
	}
	// Without pool gauges, the connections the service's user holds on
	// the server: what its pool had open.
	return val(r, record.DBUserThreads)
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
