package analysis

import (
	"fmt"
	"math"
	"strconv"

	"github.com/poolload/poolload/record"
)

// serverLimitGrowth is how much slower queries must get with the bigger
// pool, beyond a significant difference, before the server is blamed.
const serverLimitGrowth = 1.2

// poolSize is a record's pool size: poolload's max_open, or the service's
// own svc_pool_max gauge for an HTTP target.
func poolSize(r *record.Record) (float64, bool) {
	if v, err := strconv.ParseFloat(r.Info.Target["max_open"], 64); err == nil && v > 0 {
		return v, true
	}
	if v := colMedian(r.Rows, record.SvcPoolMax); v > 0 {
		return v, true
	}
	return 0, false
}

// compareFindings reads what a before/after pair of records says about the
// pool as a whole; today, whether a bigger pool only moved the queue into
// the server.
func compareFindings(a, b *record.Record, rc *RecordComparison) []Finding {
	sa, okA := poolSize(a)
	sb, okB := poolSize(b)
	if !okA || !okB || sa == sb {
		return nil
	}
	for _, c := range rc.Pairs {
		if f := checkServerLimit(sa, sb, c, runningOf(a, c.A.Variant), runningOf(b, c.B.Variant)); f != nil {
			return []Finding{*f}
		}
	}
	return nil
}

// checkServerLimit finds wait (statement sent → first result, the server's
// time) rising significantly with the pool size: more connections ran more
// statements at once, and each got slower, so the server, not the pool, is
// the limit. runA and runB are the sides' median Threads_running (NaN when
// unknown).
func checkServerLimit(sizeA, sizeB float64, c *Comparison, runA, runB float64) *Finding {
	w := c.row("wait", "p50")
	if w == nil || w.CI == nil || w.Verdict == VerdictNotSignificant || w.Verdict == VerdictUnknown {
		return nil
	}
	small, big, waitSmall, waitBig := sizeA, sizeB, w.MedianA, w.MedianB
	runSmall, runBig := runA, runB
	if sizeB < sizeA {
		small, big, waitSmall, waitBig = sizeB, sizeA, w.MedianB, w.MedianA
		runSmall, runBig = runB, runA
	}
	if !(waitBig > serverLimitGrowth*waitSmall) {
		return nil
	}
	ev := fmt.Sprintf("%s: with a pool of %.0f, wait p50 was %s; with %.0f it was %s (95%% CI of B−A %s)",
		c.A.Variant, small, Ms(waitSmall), big, Ms(waitBig), w.Cells()[3])
	if !math.IsNaN(runSmall) && !math.IsNaN(runBig) {
		ev += fmt.Sprintf("; Threads_running median %.0f → %.0f", runSmall, runBig)
	}
	return &Finding{ID: "server-is-the-limit", Severity: SevWarning,
		Statement:      "A bigger pool made each query slower: the server, not the pool, is the limit",
		Evidence:       ev,
		Recommendation: fmt.Sprintf("keep max_open at %.0f or below; a bigger pool only moves the queue into the server — look at its CPU, locks and slow queries instead", small)}
}

// row is the comparison row of metric and stat, or nil.
func (c *Comparison) row(metric, stat string) *CompareRow {
	for i := range c.Rows {
		if c.Rows[i].Metric == metric && c.Rows[i].Stat == stat {
			return &c.Rows[i]
		}
	}
	return nil
}

// runningOf is the median Threads_running over a variant's rows (the
// service's database for an HTTP target); NaN when not sampled.
func runningOf(r *record.Record, variant string) float64 {
	var rows []record.Row
	for _, row := range r.Rows {
		if row.Variant == variant {
			rows = append(rows, row)
		}
	}
	if v := colMedian(rows, record.ThreadsRunning); !math.IsNaN(v) {
		return v
	}
	return colMedian(rows, record.DBThreadsRunning)
}
