package record

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/poolload/poolload/collector"
)

// Record is a run record read back from disk.
type Record struct {
	Dir  string
	Info RunInfo
	// Plan is the resolved scenario of run.json, decoded once.
	Plan Plan
	// Hists maps a tag (variant.rep.metric) to its interval histograms in
	// time order.
	Hists map[string][]*hdr.Histogram
	// Rows are the time-series rows, in file order.
	Rows []Row
}

// Row is one line of timeseries.csv: the window it belongs to and every
// numeric column by name (empty cells are absent).
type Row struct {
	Variant string
	Rep     int
	Values  map[string]float64
}

// Open reads the run record in dir.
func Open(dir string) (*Record, error) {
	r := &Record{Dir: dir, Hists: map[string][]*hdr.Histogram{}}
	b, err := os.ReadFile(filepath.Join(dir, RunFile))
	if err != nil {
		return nil, fmt.Errorf("reading the run record: %w", err)
	}
	if err := json.Unmarshal(b, &r.Info); err != nil {
		return nil, fmt.Errorf("reading %s: %w", filepath.Join(dir, RunFile), err)
	}
	if err := checkFormat(r.Info.FormatVersion); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, RunFile), err)
	}
	if r.Plan, err = DecodePlan(r.Info.Scenario); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, RunFile), err)
	}
	if err := r.readHlog(filepath.Join(dir, HlogFile)); err != nil {
		return nil, err
	}
	if err := r.readCSV(filepath.Join(dir, TimeseriesFile)); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *Record) readHlog(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("reading the histogram log: %w", err)
	}
	defer f.Close()
	lr := hdr.NewHistogramLogReader(bufio.NewReader(f))
	for {
		h, err := lr.NextIntervalHistogram()
		if err != nil {
			return fmt.Errorf("reading %s: %w", path, err)
		}
		if h == nil {
			return nil
		}
		r.Hists[h.Tag()] = append(r.Hists[h.Tag()], h)
	}
}

func (r *Record) readCSV(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("reading the time series: %w", err)
	}
	defer f.Close()
	cr := csv.NewReader(f)
	head, err := cr.Read()
	if err != nil {
		return fmt.Errorf("reading the header of %s: %w", path, err)
	}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading %s: %w", path, err)
		}
		row := Row{Variant: rec[0], Values: make(map[string]float64, len(rec))}
		if row.Rep, err = strconv.Atoi(rec[1]); err != nil {
			return fmt.Errorf("%s:%d: rep %q is not a number", path, line, rec[1])
		}
		for i := 2; i < len(rec) && i < len(head); i++ {
			if rec[i] == "" {
				continue
			}
			v, err := strconv.ParseFloat(rec[i], 64)
			if err != nil {
				return fmt.Errorf("%s:%d: column %s: %q is not a number", path, line, head[i], rec[i])
			}
			row.Values[head[i]] = v
		}
		r.Rows = append(r.Rows, row)
	}
}

// Merged adds up the interval histograms of metric m for a variant, over
// repetition rep, or over every repetition when rep is 0.
func (r *Record) Merged(variant string, rep int, m collector.Metric) *hdr.Histogram {
	out := collector.NewHistogram()
	prefix := variant + "."
	suffix := "." + m.String()
	for tag, hs := range r.Hists {
		if !strings.HasPrefix(tag, prefix) || !strings.HasSuffix(tag, suffix) {
			continue
		}
		if rep != 0 && tag != Tag(variant, rep, m) {
			continue
		}
		for _, h := range hs {
			out.Merge(h)
		}
	}
	return out
}

// Series returns the rows of one window in time order.
func (r *Record) Series(variant string, rep int) []Row {
	var out []Row
	for _, row := range r.Rows {
		if row.Variant == variant && row.Rep == rep {
			out = append(out, row)
		}
	}
	return out
}
