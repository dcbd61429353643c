package analysis

import (
	"fmt"
	"math"
	"strings"

	"github.com/poolload/poolload/collector"
	"github.com/poolload/poolload/record"
)

// checkSteal finds intervals in which the hypervisor took the host's CPU
// for other guests. The target did not change, yet every latency in those
// seconds grew, and a variant that happened to run then looks worse: the
// finding names the window that lost the most time.
func checkSteal(d *diag) *Finding {
	var worst *window
	var worstRows []record.Row
	others := 0
	for _, w := range d.windows {
		var hit []record.Row
		for _, r := range w.rows {
			if val(r, record.HostStealPct) >= stealHighPct {
				hit = append(hit, r)
			}
		}
		if len(hit) == 0 {
			continue
		}
		if worst != nil {
			others++
		}
		if seconds(hit) > seconds(worstRows) {
			worst, worstRows = w, hit
		}
	}
	if worst == nil {
		return nil
	}
	peak := 0.0
	for _, r := range worstRows {
		peak = math.Max(peak, val(r, record.HostStealPct))
	}
	ev := fmt.Sprintf("%s: host_steal_pct ≥ %d%% in %d of %d intervals (%s), at most %.0f%% of the host's CPU time",
		worst.where(), stealHighPct, len(worstRows), len(worst.rows), span(worstRows), peak)
	if rest := without(worst.rows, worstRows); len(rest) > 0 {
		in, out := colMedian(worstRows, record.LatencyP99), colMedian(rest, record.LatencyP99)
		if !math.IsNaN(in) && !math.IsNaN(out) {
			ev += fmt.Sprintf("; latency p99 %s there, %s in its other intervals", Ms(in), Ms(out))
		}
	}
	if others > 0 {
		ev += fmt.Sprintf("; %d other windows lost CPU time too", others)
	}
	return &Finding{ID: "host-steal", Severity: SevWarning,
		Statement: fmt.Sprintf("The host took %.0f%% of the CPU during %s s of %s: latencies there are inflated",
			peak, secs(seconds(worstRows)), worst.where()),
		Evidence: ev,
		Recommendation: "run again on a host that does not lose its CPU to other guests (a dedicated or larger instance), " +
			"or set those seconds aside when comparing: the target did not change in them"}
}

// checkHostSaturated finds seconds in which the CPU set the pace: it was
// saturated and work queued for it (cpuDelayed), and the run fell behind
// in them (a tenth of the schedule lost, or the pool pinned with
// acquires waiting). A busy host whose threads still got a CPU at once,
// or that kept the schedule, is not reported; a lagging schedule alone is
// generator-saturated's.
func checkHostSaturated(d *diag) *Finding {
	for _, w := range d.windows {
		var hit []record.Row
		for _, r := range w.rows {
			if d.cpuDelayed(r) && d.behind(w, r) {
				hit = append(hit, r)
			}
		}
		if len(hit) >= 2 {
			return hostSaturatedFinding(d, w, hit)
		}
	}
	return nil
}

// behind says whether the run fell behind its schedule in row r: it
// dropped or left unfinished a tenth of the interval's schedule, or the
// pool was pinned with acquires waiting.
func (d *diag) behind(w *window, r record.Row) bool {
	if p, ok := d.pool(w); ok && val(r, p.inUse) >= p.max && nz(val(r, record.PoolWaitCount))+nz(val(r, record.SvcPoolWaitCount)) > 0 {
		return true
	}
	due := w.offered * rowSeconds([]record.Row{r})
	if nz(val(r, record.Dropped)) >= lostShare*due {
		return true
	}
	// The drain after the schedule's last start finishes few iterations
	// by design; only an interval inside the schedule can fall short.
	return val(r, record.Rate) < (1-lostShare)*w.offered && !(val(r, record.TEnd) > d.scheduled(w)+0.001)
}

// nz is v, or 0 for an empty cell.
func nz(v float64) float64 {
	if math.IsNaN(v) {
		return 0
	}
	return v
}

// scheduled is how long w's schedule ran, in seconds (+Inf when unknown).
func (d *diag) scheduled(w *window) float64 {
	for i := range d.rec.Info.Windows {
		if wi := &d.rec.Info.Windows[i]; wi.Variant == w.variant && wi.Rep == w.rep && wi.Length > 0 {
			return wi.Scheduled().Seconds()
		}
	}
	return math.Inf(1)
}

func hostSaturatedFinding(d *diag, w *window, hit []record.Row) *Finding {
	cpus := float64(d.rec.Info.HostCPUs)
	busy, steal := colMedian(hit, record.HostBusyPct), colMedian(hit, record.HostStealPct)
	self := colMedian(hit, record.HarnessCPUCores)
	local := d.localParts()
	// Who had the CPU: poolload, the hypervisor, and the rest of the
	// host's busy time, the target's parts on this host among them.
	var who []string
	if !math.IsNaN(self) {
		who = append(who, fmt.Sprintf("poolload %.2g cores", self))
	}
	if steal >= stealHighPct {
		who = append(who, fmt.Sprintf("the hypervisor %.0f%%", steal))
	}
	if rest := busy/100*cpus - self; cpus > 0 && rest >= 0.05 {
		holder := "other processes"
		if len(local) > 0 {
			holder = strings.Join(local, ", ") + " and other processes"
		}
		who = append(who, fmt.Sprintf("the other %.2g cores %s", rest, holder))
	}
	what := "The host's CPU was saturated"
	if cpus > 0 {
		what = fmt.Sprintf("The host's %.0f CPUs were saturated", cpus)
	}
	what += " (" + strings.Join(who, ", ") + ")"
	if hostIdle(colMedianRow(hit)) > 100-saturatedPct {
		// The host had CPU to spare: poolload ran out of its own.
		what = fmt.Sprintf("poolload used all the CPU it may use (%.2g cores of %.0f, its GOMAXPROCS)", self, d.harnessCPUs())
	}
	ev := fmt.Sprintf("%s: in %d of %d intervals (%s) ", w.where(), len(hit), len(w.rows), span(hit))
	if !math.IsNaN(busy) {
		ev += fmt.Sprintf("the host's CPU was %.0f%% busy and %.0f%% stolen (median), ", busy, math.Max(steal, 0))
	}
	if !math.IsNaN(self) {
		ev += fmt.Sprintf("poolload used %.2g cores, ", self)
	}
	ev += fmt.Sprintf("while the run fell behind: %.0f dropped, %.0f of %.0f/s finished",
		total(hit, record.Dropped), colMedian(hit, record.Rate), w.offered)
	if p, ok := d.pool(w); ok && colMedian(hit, p.inUse) >= p.max {
		ev += fmt.Sprintf(", %s at %s=%.0f", p.inUse, p.maxName, p.max)
		if blk, wait := colMedian(hit, record.BlockedP50), colMedian(hit, record.PercentileOf(collector.Wait, "p50")); blk > 0 && wait >= 0 {
			ev += fmt.Sprintf(" (blocked p50 %s, wait p50 %s)", Ms(blk), Ms(wait))
		}
	}
	if run := colMedian(hit, threadsRunning(hit)); d.serverLocal() && cpus > 0 && !math.IsNaN(run) {
		ev += fmt.Sprintf("; the server on this host had Threads_running %.0f (median) on %.0f CPUs", run, cpus)
	}
	pool := ""
	if p, ok := d.pool(w); ok && d.cpuLimitedPool(hit) && colMedian(hit, p.inUse) >= p.max {
		pool = ", and a bigger pool cannot help while it lasts"
	}
	// Critical when it distorts most of the window or stands behind a
	// pinned pool; a few seconds of it make a warning.
	sev := SevWarning
	if 2*len(hit) >= len(w.rows) || pool != "" {
		sev = SevCritical
	}
	return &Finding{ID: "host-saturated", Severity: sev, Statement: what + ": latencies there include waiting for a CPU" + pool,
		Evidence: ev, Recommendation: hostAdvice(d, w, self, busy, cpus, local)}
}

// hostAdvice says what to move off the saturated CPU: poolload when it
// used most of it, the target's parts on this host, or the rate; and
// VUs far above the pool, whose wake-ups cost CPU the target needs.
func hostAdvice(d *diag, w *window, self, busy, cpus float64, local []string) string {
	var do []string
	if self >= 0.5*busy/100*cpus || (d.harnessCPUs() > 0 && self >= saturatedPct/100.0*d.harnessCPUs()) {
		do = append(do, "give poolload its own machine or more CPUs")
	}
	for _, part := range local {
		do = append(do, "run "+part+" on another host")
	}
	do = append(do, "lower the rate")
	s := strings.Join(do, ", or ")
	maxOpen, ok := d.fleetMax()
	if vus := d.vusAllocated(w); ok && float64(vus) > 4*maxOpen {
		s += fmt.Sprintf("; and keep the VUs near max_open: with %d VUs on %.0f connections every release of a "+
			"connection wakes a waiting VU, CPU the target needed", vus, maxOpen)
	}
	return s
}

// vusAllocated is how many VUs w's window allocated.
func (d *diag) vusAllocated(w *window) int {
	for _, wi := range d.rec.Info.Windows {
		if wi.Variant == w.variant && wi.Rep == w.rep {
			return wi.VUsAlloc
		}
	}
	return 0
}

// cpuLimitedPool says whether a pool pinned in rows was the CPU's queue
// rather than (only) too small: in most of rows work queued for a CPU
// (cpuDelayed). The hold times of those seconds include that queue, each
// wake-up of a goroutine holding a connection waiting its turn, so a
// Little's-law size from them would be the CPU's, and more connections
// only add to the queue. A pool pinned while poolload's goroutines got a
// CPU at once (a hold the target or the scenario spends) is sized as
// before, however busy the host.
func (d *diag) cpuLimitedPool(rows []record.Row) bool {
	n := 0
	for _, r := range rows {
		if d.cpuDelayed(r) {
			n++
		}
	}
	return len(rows) > 0 && 2*n >= len(rows)
}

// threadsRunning names the server's Threads_running column rows have:
// the MySQL target's, or an HTTP target's database sampler's.
func threadsRunning(rows []record.Row) string {
	if !math.IsNaN(colMedian(rows, record.ThreadsRunning)) {
		return record.ThreadsRunning
	}
	return record.DBThreadsRunning
}

// colMedianRow is a row of the host's columns at their medians over rows.
func colMedianRow(rows []record.Row) record.Row {
	return record.Row{Values: map[string]float64{
		record.HostBusyPct:  colMedian(rows, record.HostBusyPct),
		record.HostStealPct: colMedian(rows, record.HostStealPct)}}
}

// seconds is how long rows last together.
func seconds(rows []record.Row) float64 {
	s := 0.0
	for _, r := range rows {
		s += rowSeconds([]record.Row{r})
	}
	return s
}

// without is rows less those in drop (the same rows, by start).
func without(rows, drop []record.Row) []record.Row {
	skip := map[float64]bool{}
	for _, r := range drop {
		skip[val(r, record.TStart)] = true
	}
	var out []record.Row
	for _, r := range rows {
		if !skip[val(r, record.TStart)] {
			out = append(out, r)
		}
	}
	return out
}

// cpuNote is the host's CPU and poolload's own over rows, for the
// evidence of a finding the CPU may explain, e.g. "; meanwhile the host's
// CPU was 97% busy, poolload used 1.2 cores (medians)". Empty when
// neither was measured.
func cpuNote(rows []record.Row) string {
	var parts []string
	if b := colMedian(rows, record.HostBusyPct); !math.IsNaN(b) {
		parts = append(parts, fmt.Sprintf("the host's CPU was %.0f%% busy", b))
	}
	if s := colMedian(rows, record.HostStealPct); s >= 1 {
		parts = append(parts, fmt.Sprintf("%.0f%% stolen", s))
	}
	if c := colMedian(rows, record.HarnessCPUCores); !math.IsNaN(c) {
		parts = append(parts, fmt.Sprintf("poolload used %.2g cores", c))
	}
	if len(parts) == 0 {
		return ""
	}
	return "; meanwhile " + strings.Join(parts, ", ") + " (medians)"
}
