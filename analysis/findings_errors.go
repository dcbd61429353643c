package analysis

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/poolload/poolload/driver"
	"github.com/poolload/poolload/record"
)

// errorShareCritical is the share of failed iterations from which a
// failing target is critical: one in a hundred requests failing is an
// outage for the users behind them.
const errorShareCritical = 0.01

// checkRunEnded says when the run did not end as planned: a failed run has
// findings about what was measured, if anything, but its first fact is
// that it failed. It is never "no problem found".
func checkRunEnded(d *diag) *Finding {
	info := &d.rec.Info
	n := map[string]int{}
	for _, w := range info.Windows {
		n[w.Status]++
	}
	ev := fmt.Sprintf("status %s; windows: %d complete, %d failed, %d interrupted, %d not started", info.Status,
		n[record.StatusComplete], n[record.StatusFailed], n[record.StatusInterrupted], n[record.StatusSkipped])
	switch info.Status {
	case record.StatusFailed:
		return &Finding{ID: "run-failed", Severity: SevCritical,
			Statement:      "The run failed: " + firstLine(info.Error),
			Evidence:       ev,
			Recommendation: "fix what the error names and run again; the findings below cover only what was measured"}
	case record.StatusInterrupted:
		return &Finding{ID: "run-interrupted", Severity: SevInfo,
			Statement: "The run was stopped before its end; the findings below cover only what was measured",
			Evidence:  ev}
	}
	return nil
}

// failing is one window's errors, for the failing-target finding.
type failing struct {
	w       *window
	errors  float64
	iters   float64
	first   record.Row // the first interval with an error
	atEnd   bool       // the last interval failed at least half its iterations
	byClass map[driver.ErrorClass]float64
}

// checkFailingTarget reports iterations that failed, whatever the class:
// a run with errors is never "no problem found". It says how many, of
// which classes, from when, and the first message of the commonest class,
// so that a crashed server reads as one, not as a pool problem.
func checkFailingTarget(d *diag) *Finding {
	var fs []failing
	var errs, iters float64
	byClass := map[driver.ErrorClass]float64{}
	for _, w := range d.windows {
		f := windowErrors(w, d.explained)
		iters += f.iters
		if f.errors == 0 {
			continue
		}
		errs += f.errors
		for c, n := range f.byClass {
			byClass[c] += n
		}
		fs = append(fs, f)
	}
	if errs == 0 {
		return nil
	}
	classes := slices.SortedFunc(func(yield func(driver.ErrorClass) bool) {
		for c := range byClass {
			if !yield(c) {
				return
			}
		}
	}, func(a, b driver.ErrorClass) int {
		return cmp.Or(cmp.Compare(byClass[b], byClass[a]), cmp.Compare(a, b))
	})
	top := classes[0]
	share := errs / max(iters, 1)
	sev := SevWarning
	down := slices.ContainsFunc(fs, func(f failing) bool { return f.atEnd })
	if share >= errorShareCritical || down {
		sev = SevCritical
	}
	statement := fmt.Sprintf("%.0f of %.0f iterations failed (%s), most with %s", errs, iters, percent(share), top)
	if len(d.explained) > 0 {
		statement += ", besides those other findings explain"
	}
	if down {
		statement += "; the target was still failing when the window ended"
	}
	parts := make([]string, len(classes))
	for i, c := range classes {
		parts[i] = fmt.Sprintf("%s %.0f", c, byClass[c])
	}
	ev := strings.Join(parts, ", ")
	for _, f := range fs {
		ev += fmt.Sprintf("; %s: %.0f errors from %s s", f.w.where(), f.errors, secs(val(f.first, record.TStart)))
		if f.atEnd {
			ev += " to the end"
		}
	}
	if msg := d.example(top); msg != "" {
		ev += fmt.Sprintf("; first %s: %s", top, msg)
	}
	return &Finding{ID: "failing-target", Severity: sev, Statement: statement, Evidence: ev,
		Recommendation: adviceFor(top)}
}

// windowErrors counts the failed iterations of w, leaving out those the
// run's own end interrupted and the classes another finding explained.
func windowErrors(w *window, explained map[driver.ErrorClass]bool) failing {
	f := failing{w: w, byClass: map[driver.ErrorClass]float64{}}
	last := -1 // the last interval long enough to judge the end by
	var lastErrs float64
	for _, r := range w.rows {
		n := 0.0
		for c := driver.ClassNone + 1; c < driver.NumClasses; c++ {
			if c == driver.ClassInterrupted || explained[c] {
				continue
			}
			if v := val(r, record.ErrorsOf(c)); v > 0 {
				f.byClass[c] += v
				n += v
			}
		}
		it := val(r, record.Iterations)
		f.iters += it
		if n > 0 && f.errors == 0 {
			f.first = r
		}
		f.errors += n
		// The drain's sliver at the end holds the handful of iterations
		// still running: it says nothing about the target.
		if it >= 5 {
			last, lastErrs = int(it), n
		}
	}
	f.atEnd = last > 0 && lastErrs >= 0.5*float64(last)
	return f
}

// example is the first message of class c in any window.
func (d *diag) example(c driver.ErrorClass) string {
	for _, w := range d.rec.Info.Windows {
		if m := w.Examples[c.String()]; m != "" {
			return firstLine(m)
		}
	}
	return ""
}

// adviceFor says where to look for the commonest class of error.
func adviceFor(c driver.ErrorClass) string {
	switch c {
	case driver.ClassConnectRefused:
		return "nothing accepted connections at the target's address: check that the server or service is running (its log around the first error: a crash, a restart, an OOM kill)"
	case driver.ClassServerGone, driver.ClassBadConnection:
		return "connections broke under the load: look for a server crash, restart or KILL at that time (its error log, its Uptime); if it stayed up, compare the server's wait_timeout and any NAT/proxy idle timeout with conn_max_idle_time"
	case driver.ClassTooManyConnections:
		return "the server refused connections over max_connections: see the server-connection-headroom finding"
	case driver.ClassAccessDenied:
		return "the server refused the user: check the credentials, the user's grants and host, and TLS requirements"
	case driver.ClassDNS:
		return "the target's host name did not resolve: check the address"
	case driver.ClassAcquireTimeout:
		return "iterations waited longer than acquire_timeout for a pooled connection: see pool starvation, or raise max_open"
	case driver.ClassQueryTimeout, driver.ClassTimeout:
		return "the target answered too slowly for the timeouts: compare wait and service times with query_timeout/timeout, and the server's load"
	case driver.ClassDeadlock:
		return "transactions deadlocked: look at the statements' lock order (SHOW ENGINE INNODB STATUS)"
	case driver.ClassHTTP5xx:
		return "the service answered with server errors: read its logs at the time of the first error"
	case driver.ClassHTTP4xx:
		return "the service rejected the requests: check the paths, the authentication and the request bodies"
	}
	return "read the first message of each class in the summary's error lines"
}

func percent(share float64) string {
	if share < 0.01 {
		return fmt.Sprintf("%.2f%%", 100*share)
	}
	return fmt.Sprintf("%.1f%%", 100*share)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
