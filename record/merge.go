package record

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/poolload/poolload/collector"
	"github.com/poolload/poolload/driver"
	"github.com/poolload/poolload/units"
)

// MergeReport says what Merge put together.
type MergeReport struct {
	Segments int
	// T0Spread is, per window, how far apart the segments actually began
	// (their t0 and how late they reached it): the latest minus the
	// earliest.
	T0Spread []time.Duration
}

// Merge writes into the new directory out one record of the segments in
// dirs: interval histograms added exactly (HDR add, intervals aligned by
// their time from each segment's t0), counters summed, the generators'
// own gauges summed and a server's or service's, which every segment
// sees the same, taken once. It refuses records of different plans, a
// segment missing or given twice, and says which.
func Merge(out string, dirs []string) (*MergeReport, error) {
	segs, err := openSegments(dirs)
	if err != nil {
		return nil, err
	}
	first := segs[0]
	info := first.Info
	info.ID = filepath.Base(out)
	info.Segment, info.Args, info.Error, info.TeardownError = nil, nil, "", ""
	info.MergedFrom = nil
	info.Windows = nil
	info.Gauges = segmentColumns(first.Info.Gauges, len(segs))
	for _, s := range segs {
		info.MergedFrom = append(info.MergedFrom, s.Info.ID)
		if s.Info.Started.Before(info.Started) {
			info.Started = s.Info.Started
		}
	}
	if err := os.Mkdir(out, 0o755); err != nil {
		return nil, fmt.Errorf("creating the merged record: %w", err)
	}
	w, err := Create(out, info)
	if err != nil {
		return nil, err
	}
	rep := &MergeReport{Segments: len(segs)}
	status, errs := StatusComplete, []string(nil)
	for k := range first.Info.Windows {
		wi, spread, err := mergeWindow(w, segs, k)
		if err != nil {
			_ = w.Close(StatusFailed, err)
			return nil, err
		}
		w.Info.Windows = append(w.Info.Windows, wi)
		rep.T0Spread = append(rep.T0Spread, spread)
	}
	for _, s := range segs {
		status = worse(status, s.Info.Status)
		if s.Info.Error != "" {
			errs = append(errs, fmt.Sprintf("segment %d/%d: %s", s.Info.Segment.Index, s.Info.Segment.Count, s.Info.Error))
		}
	}
	var runErr error
	if len(errs) > 0 {
		runErr = errors.New(strings.Join(errs, "; "))
	}
	if err := w.Close(status, runErr); err != nil {
		return nil, err
	}
	return rep, nil
}

// openSegments opens every record and checks that together they are one
// load's segments 1..N, once each, of one plan; it returns them in order.
func openSegments(dirs []string) ([]*Record, error) {
	if len(dirs) == 0 {
		return nil, errors.New("no segment records to merge")
	}
	var segs []*Record
	for _, d := range dirs {
		r, err := openLines(d)
		if err != nil {
			return nil, err
		}
		if r.Info.Segment == nil {
			return nil, fmt.Errorf("%s is not a segment's record (run with --segment i/N)", d)
		}
		segs = append(segs, r)
	}
	slices.SortFunc(segs, func(a, b *Record) int { return a.Info.Segment.Index - b.Info.Segment.Index })
	n := segs[0].Info.Segment.Count
	seen := map[int]string{}
	for _, r := range segs {
		s := r.Info.Segment
		switch {
		case s.Count != n:
			return nil, fmt.Errorf("%s is segment %d/%d, %s is of %d segments: not one load", r.Dir, s.Index, s.Count, segs[0].Dir, n)
		case seen[s.Index] != "":
			return nil, fmt.Errorf("segment %d/%d is given twice: %s and %s", s.Index, n, seen[s.Index], r.Dir)
		case r.Info.PlanHash != segs[0].Info.PlanHash:
			return nil, fmt.Errorf("%s ran another plan than %s (plan %s, not %s): merge only segments of one scenario",
				r.Dir, segs[0].Dir, r.Info.PlanHash, segs[0].Info.PlanHash)
		case !slices.Equal(r.Info.Gauges, segs[0].Info.Gauges) || len(r.Info.Windows) != len(segs[0].Info.Windows):
			return nil, fmt.Errorf("%s and %s have different gauges or windows: not one load", r.Dir, segs[0].Dir)
		}
		seen[s.Index] = r.Dir
	}
	var missing []string
	for i := 1; i <= n; i++ {
		if seen[i] == "" {
			missing = append(missing, fmt.Sprintf("%d/%d", i, n))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("segment %s missing: merge needs all %d", strings.Join(missing, ", "), n)
	}
	return segs, nil
}

// mergeWindow writes window k's merged intervals and returns its info and
// the spread of its t0 across segments.
func mergeWindow(w *Writer, segs []*Record, k int) (WindowInfo, time.Duration, error) {
	wi := segs[0].Info.Windows[k]
	every := time.Duration(segs[0].Info.Interval)
	if every <= 0 {
		return wi, 0, errors.New("the records have no interval length")
	}
	byIdx := map[int]*collector.Interval{}
	hists := map[int][]segmentHist{}
	first := wi.Start
	began, lastBegan := wi.Start.Add(time.Duration(wi.Late)), wi.Start.Add(time.Duration(wi.Late))
	var end time.Time
	for n, s := range segs {
		sw := s.Info.Windows[k]
		if sw.Variant != wi.Variant || sw.Rep != wi.Rep {
			return wi, 0, fmt.Errorf("%s: window %d is %s %d, not %s %d", s.Dir, k+1, sw.Variant, sw.Rep, wi.Variant, wi.Rep)
		}
		if n > 0 {
			mergeWindowInfo(&wi, &sw)
		}
		if sw.Start.Before(first) {
			first = sw.Start
		}
		b := sw.Start.Add(time.Duration(sw.Late))
		if b.Before(began) {
			began = b
		}
		if b.After(lastBegan) {
			lastBegan = b
		}
		if e := sw.Start.Add(time.Duration(sw.Length)); e.After(end) {
			end = e
		}
		addSegment(byIdx, hists, s, &sw, every, n == 0, w.Info.Gauges)
	}
	wi.Start = first
	if !end.IsZero() {
		wi.Length = units.Duration(end.Sub(first))
	}
	idx := slices.Sorted(func(yield func(int) bool) {
		for i := range byIdx {
			if !yield(i) {
				return
			}
		}
	})
	var total collector.Counts
	for _, i := range idx {
		iv := byIdx[i]
		if err := addHists(iv, hists[i]); err != nil {
			return wi, 0, err
		}
		total.Add(&iv.Counts)
		if err := w.WriteInterval(wi.Variant, wi.Rep, first, iv); err != nil {
			return wi, 0, err
		}
		delete(byIdx, i) // its histograms are written: let them go
		delete(hists, i)
	}
	wi.Totals = TotalsOf(&total)
	wi.Late = units.Duration(began.Sub(first))
	return wi, lastBegan.Sub(began), nil
}

// mergeWindowInfo adds segment window o into wi.
func mergeWindowInfo(wi, o *WindowInfo) {
	wi.Status = worse(wi.Status, o.Status)
	if wi.Error == "" {
		wi.Error = o.Error
	}
	wi.Planned += o.Planned
	wi.Offered += o.Offered
	wi.VUsAlloc += o.VUsAlloc
	wi.Prelude.Prewarmed += o.Prelude.Prewarmed
	wi.Prelude.Warmup += o.Prelude.Warmup
	for c, m := range o.Examples {
		if wi.Examples == nil {
			wi.Examples = map[string]string{}
		}
		if _, ok := wi.Examples[c]; !ok {
			wi.Examples[c] = m
		}
	}
}

// segmentHist is one segment's histogram of one metric for an interval,
// still encoded.
type segmentHist struct {
	m    collector.Metric
	line *hlogLine
}

// addHists decodes an interval's segment histograms one at a time and adds
// each into the interval's, so that merging holds one interval's
// histograms decoded, not every segment's whole record.
func addHists(iv *collector.Interval, hs []segmentHist) error {
	for _, sh := range hs {
		h, err := sh.line.decode()
		if err != nil {
			return fmt.Errorf("%s: %w", sh.line.at, err)
		}
		if iv.Hists[sh.m] == nil {
			iv.Hists[sh.m] = collector.NewHistogram()
		}
		iv.Hists[sh.m].Merge(h)
	}
	return nil
}

// addSegment adds one segment's intervals of a window into byIdx, keyed by
// their place on the interval grid from the segment's own t0, and their
// histograms, undecoded, into hists under the same key.
func addSegment(byIdx map[int]*collector.Interval, hists map[int][]segmentHist, s *Record, sw *WindowInfo, every time.Duration, first bool, out []string) {
	rows := s.Series(sw.Variant, sw.Rep)
	// Where this segment's own readings go among the merged columns.
	own := map[string]int{}
	for j, name := range out {
		if base, ok := strings.CutSuffix(name, SegmentSuffix(s.Info.Segment.Index)); ok {
			own[base] = j
		}
	}
	gridOf := func(offset time.Duration) int { return int(math.Round(float64(offset) / float64(every))) }
	for _, row := range rows {
		start := secs(row.Values[TStart])
		i := gridOf(start)
		iv := byIdx[i]
		if iv == nil {
			iv = &collector.Interval{Start: start, End: secs(row.Values[TEnd]), Gauges: nanGauges(len(out))}
			byIdx[i] = iv
		}
		iv.Start = min(iv.Start, start)
		iv.End = max(iv.End, secs(row.Values[TEnd]))
		c := countsOf(row)
		iv.Counts.Add(&c)
		iv.VUsBusy += int(row.Values[VUsBusy])
		iv.VUsAlloc += int(row.Values[VUsAllocated])
		for g, name := range s.Info.Gauges {
			iv.Gauges[g] = mergeGauge(name, iv.Gauges[g], row.Values, first)
			if j, ok := own[name]; ok {
				if v, ok := row.Values[name]; ok {
					iv.Gauges[j] = v
				}
			}
		}
	}
	t0 := sw.Start.UnixMilli()
	for m := range collector.NumMetrics {
		tag := Tag(sw.Variant, sw.Rep, m)
		for _, l := range s.lines[tag] {
			i := gridOf(time.Duration(l.startMs-t0) * time.Millisecond)
			if byIdx[i] == nil {
				continue // an interval whose row was cut short
			}
			hists[i] = append(hists[i], segmentHist{m, l})
		}
		delete(s.lines, tag) // this window's lines are taken
	}
}

// countsOf reads an interval's counters back from its row.
func countsOf(row Row) collector.Counts {
	v := row.Values
	c := collector.Counts{Iterations: int64(v[Iterations]), Interrupted: int64(v[Interrupted]),
		DroppedGrowing: int64(v[DroppedGrowing])}
	c.Dropped[collector.DropVUs] = int64(v[DroppedVUs])
	c.Dropped[collector.DropPool] = int64(v[DroppedPool])
	c.Dropped[collector.DropTarget] = int64(v[DroppedTarget])
	for cl := driver.ClassNone + 1; cl < driver.NumClasses; cl++ {
		c.Errors[cl] = int64(v[ErrorsOf(cl)])
	}
	return c
}

// sharedPrefixes are the gauges every segment reads from the same place
// (the server, the service): the merged record takes them once, from the
// first segment. Everything else is the generator's own and adds up.
var sharedPrefixes = []string{ThreadsConnected, ThreadsRunning, ThreadsCreated, Connections, AbortedConnects,
	AbortedClients, MaxUsedConnections, Questions, DBPrefix, "svc_", "pg_"}

// Shared reports whether gauge name is read from a place every generator
// and every pool sees the same (the server, the service), rather than
// being a pool's or a generator's own.
func Shared(name string) bool {
	for _, p := range sharedPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// Combine folds one more reading v of gauge name into acc, for a fleet of
// pools or a set of segments: a shared gauge is taken from the first
// (first says v is the first's), a host's share is the busiest host's,
// anything else adds up. NaN readings are skipped; acc starts as NaN.
func Combine(name string, acc, v float64, first bool) float64 {
	if math.IsNaN(v) {
		return acc
	}
	if Shared(name) {
		if first {
			return v
		}
		return acc
	}
	if c, ok := Describe(name); ok && c.Kind == Stat && name != HarnessCPUCores {
		return math.Max(nanZero(acc), v) // a share of a host: the busiest one
	}
	return nanZero(acc) + v
}

// InstanceColumn names instance k's own reading of gauge name, for a
// fleet of pools (target.instances).
func InstanceColumn(name string, k int) string { return name + "@" + strconv.Itoa(k) }

// MaxSegmentColumns bounds the segments whose own gauges get columns of
// their own in a merged record (pool_open@seg2, …).
const MaxSegmentColumns = 16

// SegmentSuffix marks segment k's own reading of a gauge in a merged record.
func SegmentSuffix(k int) string { return "@seg" + strconv.Itoa(k) }

// segmentColumns adds to a merged record's gauges each segment's own
// reading of the generators' gauges (not a server's, which all share, nor
// a fleet's per-instance columns), for up to MaxSegmentColumns segments.
func segmentColumns(gauges []string, n int) []string {
	out := slices.Clone(gauges)
	if n > MaxSegmentColumns {
		return out
	}
	for k := 1; k <= n; k++ {
		for _, g := range gauges {
			if !Shared(g) && !strings.Contains(g, "@") {
				out = append(out, g+SegmentSuffix(k))
			}
		}
	}
	return out
}

// mergeGauge folds a segment's reading of gauge name into acc.
func mergeGauge(name string, acc float64, vals map[string]float64, first bool) float64 {
	v, ok := vals[name]
	if !ok {
		return acc
	}
	return Combine(name, acc, v, first)
}

func nanGauges(n int) []float64 {
	g := make([]float64, n)
	for i := range g {
		g[i] = math.NaN()
	}
	return g
}

func nanZero(v float64) float64 {
	if math.IsNaN(v) {
		return 0
	}
	return v
}

func secs(v float64) time.Duration { return time.Duration(math.Round(v * float64(time.Second))) }

// worse is the more alarming of two statuses.
func worse(a, b string) string {
	rank := map[string]int{StatusComplete: 0, StatusSkipped: 1, StatusInterrupted: 2, StatusRunning: 3, StatusFailed: 4}
	if rank[b] > rank[a] {
		return b
	}
	return a
}
