package analysis

import (
	"fmt"
	"math"

	"github.com/poolload/poolload/driver"
	"github.com/poolload/poolload/record"
)

// Thresholds of the signatures. They are deliberately coarse: a finding
// should be obvious in the numbers it quotes.
const (
	// lagHighMs is the schedule-lag p99 above which the generator is late
	// enough to distort latency (iterations start that much after their
	// intended time).
	lagHighMs = 50
	// headroom is the margin on a Little's-law pool size, for bursts.
	headroom = 1.2
	// vuHeadroom is the margin on a VU count computed from service time.
	vuHeadroom = 1.5
)

// checkGenerator finds seconds where the harness, not the target, was the
// bottleneck: iterations started late while the pool still had free
// connections and nothing was dropped for it. Then every latency is
// suspect, so this is critical.
func checkGenerator(d *diag) *Finding {
	maxOpen, hasMax := d.fleetMax()
	for _, w := range d.windows {
		var late []record.Row
		worst := 0.0
		for _, r := range w.rows {
			lag := val(r, record.ScheduleLagP99)
			if !(lag >= lagHighMs) || val(r, record.DroppedPool) > 0 {
				continue
			}
			if hasMax && val(r, record.PoolInUse) >= maxOpen {
				continue // the pool was busy: the target may be what held VUs back
			}
			late = append(late, r)
			worst = math.Max(worst, lag)
		}
		if len(late) < 2 {
			continue
		}
		return &Finding{ID: "generator-saturated", Severity: SevCritical,
			Statement: "The load generator fell behind its schedule while the target was idle; the numbers of this run are not to be trusted",
			Evidence: fmt.Sprintf("%s: schedule_lag p99 ≥ %d ms in %d of %d seconds (worst %.0f ms, %s) with no drops charged to the pool",
				w.where(), lagHighMs, len(late), len(w.rows), worst, span(late)) + cpuNote(late),
			Recommendation: "run poolload on a less loaded machine (or give it more CPUs), or lower the rate, and run again"}
	}
	return nil
}

// checkStarvation finds a pool pinned at max_open while VUs queue for a
// connection. The size advice is Little's law: connections in use =
// arrival rate × hold time, where the hold time is approximated by the
// median service time minus the median time blocked on the pool.
func checkStarvation(d *diag) *Finding {
	maxOpen, ok := d.fleetMax()
	if !ok {
		return nil
	}
	for _, w := range d.windows {
		if leakStart(w, record.PoolInUse, maxOpen) >= 0 {
			continue // a leak, not a size problem: checkLeak says so
		}
		var pinned []record.Row
		for _, r := range w.rows {
			if val(r, record.PoolInUse) >= maxOpen && val(r, record.PoolWaitCount) > 0 {
				pinned = append(pinned, r)
			}
		}
		drops := total(w.rows, record.DroppedPool)
		if len(pinned) < 2 || (drops == 0 && !(colMedian(pinned, record.BlockedP50) > 0)) {
			continue
		}
		return starvationFinding(d, w, pinned, maxOpen, drops)
	}
	return nil
}

func starvationFinding(d *diag, w *window, pinned []record.Row, maxOpen, drops float64) *Finding {
	svc, blk := colMedian(pinned, record.ServiceP50), colMedian(pinned, record.BlockedP50)
	hold := svc - blk
	f := &Finding{ID: "pool-starvation", Severity: SevCritical,
		explains:  []driver.ErrorClass{driver.ClassAcquireTimeout},
		Statement: fmt.Sprintf("The pool of %.0f connections is too small for the load", maxOpen),
		Evidence: fmt.Sprintf("%s: pool_in_use at max_open=%.0f in %d of %d seconds (%s), %.0f waits for a connection, "+
			"median blocked %.1f ms of %.1f ms service, %.0f iterations dropped for pool starvation",
			w.where(), maxOpen, len(pinned), len(w.rows), span(pinned), total(pinned, record.PoolWaitCount), blk, svc, drops)}
	if g := total(w.rows, record.DroppedGrowing); g > 0 && drops > 0 {
		f.Evidence += fmt.Sprintf(" (%.0f of all drops came while VUs were still being allocated, which contributed)", g)
	}
	// A pool pinned while the CPU had no time to spare is the CPU's queue
	// showing in the pool: more connections add threads to that queue.
	if d.cpuLimitedPool(pinned) {
		f.Severity = SevWarning
		f.Statement = fmt.Sprintf("The pool of %.0f connections was always in use, but the CPU set the pace", maxOpen)
		f.Evidence += cpuNote(pinned)
		f.Recommendation = "do not grow the pool on this run's evidence: the CPU was saturated in those seconds and " +
			"work queued for it (see host-saturated), so the hold times include that queue and more connections " +
			"only add to it; give the CPU room, then run again to size the pool"
		return f
	}
	switch need := w.offered * hold / 1000; {
	case w.offered <= 0 || hold <= 0:
		f.Recommendation = "raise max_open (the offered rate or hold time is unknown, so no size can be computed)"
	case math.Ceil(need*headroom) <= maxOpen:
		// The median hold fits in the pool many times over, yet the pool
		// ran out: holds spiked. Growing it to Little's size would shrink
		// it, and growing it beyond only moves the queue if the stall is
		// the server's or this machine's CPU.
		f.Severity = SevWarning
		f.Statement = fmt.Sprintf("The pool of %.0f connections ran out during stalls, not on average", maxOpen)
		f.Recommendation = fmt.Sprintf("the median hold needs only %.1f connections (Little's law: %.0f/s × %.2f ms), "+
			"so the pool fills when holds spike (service p99 %.1f ms in those seconds): find what stalls "+
			"(server CPU or locks, or this machine's CPU: see schedule_lag) before growing the pool",
			need, w.offered, hold, colMedian(pinned, record.ServiceP99))
	default:
		f.Recommendation = fmt.Sprintf("set max_open to %s (Little's law: %.0f/s × %.1f ms hold = %.1f connections, +20%% headroom)",
			d.perInstance(math.Ceil(need*headroom)), w.offered, hold, need)
	}
	// The queries themselves running on the server means a bigger pool
	// only moves the queue there.
	if run := colMedian(pinned, record.ThreadsRunning); run >= 0.8*maxOpen {
		f.Recommendation += fmt.Sprintf("; but Threads_running is %.0f of %.0f connections: the server is busy executing, "+
			"so it may be the limit — check its CPU and slow queries before growing the pool", run, maxOpen)
	}
	return f
}

// checkVUs finds drops caused by the generator's VU budget while the
// target kept up: either charged to VU allocation, or charged to a busy
// target whose service time times the rate needs more VUs than max_vus
// (Little's law: concurrency = rate × service time), with iterations not
// failing. The advice is that concurrency, with headroom.
func checkVUs(d *diag) *Finding {
	for _, w := range d.windows {
		vus, tgt, pool := total(w.rows, record.DroppedVUs), total(w.rows, record.DroppedTarget), total(w.rows, record.DroppedPool)
		svc := colMedian(w.rows, record.ServiceP50)
		need := w.offered * svc / 1000
		capped := d.load.MaxVUs > 0 && need >= 0.9*float64(d.load.MaxVUs)
		if !capped {
			// The VUs sufficed once allocated: of the drops with VUs busy
			// on the target, only those while more were still coming are
			// the VUs' (pre-allocated too few); the rest a slow target's.
			tgt = math.Min(tgt, total(w.rows, record.DroppedGrowing))
		}
		failing := total(w.rows, "errors") > 0.01*total(w.rows, "iterations")
		// VUs that already cover rate × service time with headroom were
		// short only for an instant (a stall of the machine, a VU still
		// being allocated): more of them would not have helped.
		enough := d.load.PreAllocatedVUs > 0 && need > 0 && math.Ceil(need*vuHeadroom) <= float64(d.load.PreAllocatedVUs)
		if vus+tgt == 0 || pool >= vus+tgt || failing || enough {
			continue
		}
		return vuFinding(d, w, vus+tgt, pool, svc, need)
	}
	return nil
}

func vuFinding(d *diag, w *window, drops, pool, svc, need float64) *Finding {
	var hit []record.Row
	for _, r := range w.rows {
		if val(r, record.DroppedVUs)+val(r, record.DroppedTarget) > 0 {
			hit = append(hit, r)
		}
	}
	f := &Finding{ID: "too-few-vus", Severity: SevWarning,
		Statement: "Iterations were dropped because too few VUs were allocated, not because the target failed",
		Evidence: fmt.Sprintf("%s: %.0f iterations dropped with every VU busy in %d seconds (%s), %.0f for the pool; median service %.1f ms",
			w.where(), drops, len(hit), span(hit), pool, svc)}
	if d.load.MaxVUs > 0 && need > 0 {
		f.Evidence += fmt.Sprintf(", so %.0f/s needs %.1f VUs in flight and max_vus is %d", w.offered, need, d.load.MaxVUs)
	}
	if w.offered > 0 && svc > 0 {
		n := math.Ceil(need * vuHeadroom)
		f.Recommendation = fmt.Sprintf("set pre_allocated_vus to %.0f (%.0f/s × %.1f ms median service × 1.5)", n, w.offered, svc)
		if d.load.PreAllocatedVUs > 0 {
			f.Recommendation += fmt.Sprintf(", now %d", d.load.PreAllocatedVUs)
		}
	} else {
		f.Recommendation = "raise pre_allocated_vus"
	}
	return f
}
