package analysis

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/poolload/poolload/driver"
	"github.com/poolload/poolload/record"
)

// Severities of a Finding, most severe first.
const (
	SevCritical = "critical"
	SevWarning  = "warning"
	SevInfo     = "info"
)

// check is one diagnosis: its name for the "what was checked" line of a
// healthy run, and the function that looks for its signature.
type check struct {
	name string
	run  func(d *diag) *Finding
}

// checks run from what makes other numbers suspect to what they explain;
// Diagnose re-sorts the findings by severity, keeping this order among
// equals, so a saturated generator, which makes every other number
// suspect, is listed first.
var checks = []check{
	{"how the run ended", checkRunEnded},
	{"generator saturation", checkGenerator},
	{"host CPU saturation", checkHostSaturated},
	{"host CPU steal", checkSteal},
	{"connection leak", checkLeak},
	{"pool starvation", checkStarvation},
	{"cold-start penalty", checkColdStart},
	{"warm-up besides the pool", checkWarmUp},
	{"too few VUs", checkVUs},
	{"idle connection deaths", checkIdleDeaths},
	{"server connection headroom", checkHeadroom},
	{"thread cache misses", checkThreadCache},
	// Last: it reports the errors no finding above explains.
	{"failed iterations", checkFailingTarget},
}

// window is the time-series rows of one variant × repetition.
type window struct {
	variant string
	rep     int
	offered float64 // offered rate per second
	rows    []record.Row
}

// diag is what every check reads: the record's windows, its target facts
// and the scenario's load block.
type diag struct {
	rec     *record.Record
	sum     *Summary
	windows []*window
	target  map[string]string
	load    *record.PlanLoad
	// instances is how many copies of the pool share the server (the
	// scenario's target.instances, at least 1).
	instances int
	// explained holds the error classes that a finding already made
	// accounts for, so that checkFailingTarget does not repeat them.
	explained map[driver.ErrorClass]bool
}

// Diagnose reads the signatures of known pool problems in a record and
// returns its findings, most severe first. sum may be nil.
func Diagnose(rec *record.Record, sum *Summary) []Finding {
	d := newDiag(rec, sum)
	var fs []Finding
	for _, c := range checks {
		if f := c.run(d); f != nil {
			fs = append(fs, *f)
			for _, cl := range f.explains {
				d.explained[cl] = true
			}
		}
	}
	slices.SortStableFunc(fs, func(a, b Finding) int { return cmp.Compare(sevRank(a.Severity), sevRank(b.Severity)) })
	return fs
}

func sevRank(s string) int {
	switch s {
	case SevCritical:
		return 0
	case SevWarning:
		return 1
	}
	return 2
}

func newDiag(rec *record.Record, sum *Summary) *diag {
	d := &diag{rec: rec, sum: sum, target: diagFacts(rec.Info.Target), explained: map[driver.ErrorClass]bool{}}
	d.load = &rec.Plan.Load
	d.instances = rec.Plan.InstancesOrOne()
	byKey := map[string]*window{}
	for _, r := range rec.Rows {
		k := r.Variant + "." + strconv.Itoa(r.Rep)
		w := byKey[k]
		if w == nil {
			w = &window{variant: r.Variant, rep: r.Rep, offered: d.load.Rate}
			byKey[k] = w
			d.windows = append(d.windows, w)
		}
		w.rows = append(w.rows, r)
	}
	// The window's own offered rate wins over the scenario's: variants may
	// override the load.
	for _, wi := range rec.Info.Windows {
		if w := byKey[wi.Variant+"."+strconv.Itoa(wi.Rep)]; w != nil && wi.Offered > 0 {
			w.offered = wi.Offered
		}
	}
	return d
}

// num is a target fact as a number; ok is false when it is absent.
func (d *diag) num(key string) (float64, bool) {
	v, err := strconv.ParseFloat(d.target[key], 64)
	return v, err == nil
}

// fleetMax is max_open of all the pools together: target.instances pools
// of max_open each, whose pool gauges the record sums.
func (d *diag) fleetMax() (float64, bool) {
	m, ok := d.num("max_open")
	return m * float64(d.instances), ok && m > 0
}

// perInstance says a fleet-wide number of connections as what each
// instance's max_open should be.
func (d *diag) perInstance(total float64) string {
	if d.instances == 1 {
		return fmt.Sprintf("%.0f", total)
	}
	return fmt.Sprintf("%.0f per instance (%.0f in all over %d instances)", math.Ceil(total/float64(d.instances)), total, d.instances)
}

// dur is a target fact that is a Go duration ("0s" when unset).
func (d *diag) dur(key string) (time.Duration, bool) {
	v, err := time.ParseDuration(d.target[key])
	return v, err == nil
}

// val is a row's column; absent cells read as NaN so that comparisons
// with them are false.
func val(r record.Row, col string) float64 {
	if v, ok := r.Values[col]; ok {
		return v
	}
	return math.NaN()
}

// total sums a column over rows, skipping empty cells.
func total(rows []record.Row, col string) float64 {
	s := 0.0
	for _, r := range rows {
		if v, ok := r.Values[col]; ok {
			s += v
		}
	}
	return s
}

// colMedian is the median of a column over the rows that have it (NaN when none do).
func colMedian(rows []record.Row, col string) float64 {
	var vs []float64
	for _, r := range rows {
		if v, ok := r.Values[col]; ok && !math.IsNaN(v) {
			vs = append(vs, v)
		}
	}
	if len(vs) == 0 {
		return math.NaN()
	}
	slices.Sort(vs)
	if n := len(vs); n%2 == 0 {
		return (vs[n/2-1] + vs[n/2]) / 2
	}
	return vs[len(vs)/2]
}

// span names the seconds of the run covered by rows, e.g. "s 0–4".
func span(rows []record.Row) string {
	if len(rows) == 0 {
		return ""
	}
	a, b := val(rows[0], record.TStart), val(rows[len(rows)-1], record.TEnd)
	if math.IsNaN(b) {
		b = val(rows[len(rows)-1], record.TStart) + 1
	}
	return fmt.Sprintf("%s–%s s", secs(a), secs(b))
}

// secs prints seconds without a needless fraction: 2, 2.5.
func secs(v float64) string { return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) }

// where names a window for evidence; the repetition only when there are several.
func (w *window) where() string {
	if w.rep > 1 {
		return fmt.Sprintf("%s (rep %d)", w.variant, w.rep)
	}
	return w.variant
}

// checkedNames lists what Diagnose checks, for a healthy run's report.
func checkedNames() string {
	names := make([]string, len(checks))
	for i, c := range checks {
		names[i] = c.name
	}
	return strings.Join(names, ", ")
}

// WriteFindings prints findings for a terminal, at most about one screen;
// with none it says what was checked.
func WriteFindings(w io.Writer, fs []Finding) {
	if len(fs) == 0 {
		fmt.Fprintf(w, "FINDINGS  no problem found (checked: %s)\n", checkedNames())
		return
	}
	fmt.Fprintln(w, "FINDINGS")
	for _, f := range fs {
		fmt.Fprintf(w, "  [%s] %s: %s\n", f.Severity, f.ID, f.Statement)
		fmt.Fprintf(w, "      evidence: %s\n", f.Evidence)
		if f.Recommendation != "" {
			fmt.Fprintf(w, "      do: %s\n", f.Recommendation)
		}
	}
}
