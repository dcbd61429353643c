package analysis

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/poolload/poolload/collector"
	"github.com/poolload/poolload/record"
)

// HdrTicks is the number of percentile ticks per half distance, the
// default of Java's outputPercentileDistribution and of wrk2.
const HdrTicks = 5

// hdrHeader is Java's header line ("%12s %14s %10s %14s"). hdrhistogram-go
// separates the same words with tabs; the HdrHistogram plotter splits lines
// on spaces, so the Java spacing keeps the output byte-for-byte familiar to
// every tool that reads it.
var hdrHeader = fmt.Sprintf("%12s %14s %10s %14s\n", "Value", "Percentile", "TotalCount", "1/(1-Percentile)")

// WriteHdr prints the percentile spectrum of metric over one variant (all
// repetitions), or over every variant when variant is "", in the
// HdrHistogram percentile-distribution text layout with values in
// milliseconds, which the HdrHistogram plotter reads unchanged.
func WriteHdr(w io.Writer, r *record.Record, metric, variant string) error {
	m, ok := collector.MetricByName(metric)
	if !ok {
		return fmt.Errorf("unknown metric %q (one of %s)", metric, metricNames())
	}
	vs := Variants(r)
	if variant != "" && !slices.Contains(vs, variant) {
		return fmt.Errorf("variant %q is not in this record (it has %s)", variant, strings.Join(vs, ", "))
	}
	var h *hdr.Histogram
	if variant != "" {
		h = r.Merged(variant, 0, m)
	} else {
		h = collector.NewHistogram()
		for _, v := range vs {
			h.Merge(r.Merged(v, 0, m))
		}
	}
	if h.TotalCount() == 0 {
		return fmt.Errorf("%s has no samples in this record", metric)
	}
	var buf bytes.Buffer
	if _, err := h.PercentilesPrint(&buf, HdrTicks, 1e6); err != nil {
		return fmt.Errorf("printing the percentiles: %w", err)
	}
	out := buf.Bytes()
	if i := bytes.IndexByte(out, '\n'); i >= 0 {
		out = append([]byte(hdrHeader), out[i+1:]...)
	}
	if _, err := w.Write(out); err != nil {
		return fmt.Errorf("writing the percentiles: %w", err)
	}
	return nil
}

func metricNames() string {
	names := make([]string, 0, collector.NumMetrics)
	for m := range collector.NumMetrics {
		names = append(names, m.String())
	}
	return strings.Join(names, ", ")
}
