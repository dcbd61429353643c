package record

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/poolload/poolload/collector"
	"github.com/poolload/poolload/driver"
)

// Record file names inside a run directory.
const (
	RunFile        = "run.json"
	HlogFile       = "metrics.hlog"
	TimeseriesFile = "timeseries.csv"
	SummaryFile    = "summary.json"
	PlotsDir       = "plots"
)

// Writer writes a run record. The histogram log and the time series are
// streamed into temporary files as intervals arrive and renamed into place
// by Close, and run.json is replaced atomically each time it is saved, so a
// reader never sees a half-written file. Writer is used by one goroutine.
type Writer struct {
	dir  string
	Info RunInfo

	hlogF, csvF *os.File
	hlogB       *bufio.Writer
	hlog        *hdr.HistogramLogWriter
	csv         *csv.Writer
	row         []string
	// hlogGood and csvGood are the files' lengths after the last interval
	// written whole; failed is the first write error, after which nothing
	// more is written and Close cuts the files back to those lengths.
	hlogGood, csvGood int64
	failed            error
}

// Create makes dir and starts the record described by info.
func Create(dir string, info RunInfo) (*Writer, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating the run record directory: %w", err)
	}
	info.FormatVersion = FormatVersion
	w := &Writer{dir: dir, Info: info}
	var err error
	if err := reserve(dir); err != nil {
		return nil, err
	}
	if w.hlogF, err = os.Create(filepath.Join(dir, HlogFile+".tmp")); err != nil {
		return nil, fmt.Errorf("creating the histogram log: %w", err)
	}
	if w.csvF, err = os.Create(filepath.Join(dir, TimeseriesFile+".tmp")); err != nil {
		w.hlogF.Close()
		return nil, fmt.Errorf("creating the time series: %w", err)
	}
	w.hlogB = bufio.NewWriter(w.hlogF)
	w.hlog = hdr.NewHistogramLogWriter(w.hlogB)
	// A whole second: hdrhistogram-go writes the StartTime and BaseTime
	// lines in whole seconds but subtracts the base it was given to the
	// millisecond, so a base with a fraction would shift every interval by
	// it for any reader (and two records' intervals against each other).
	startMs := info.Started.UnixMilli()
	startMs -= startMs % 1000
	w.hlog.SetBaseTime(startMs)
	_ = w.hlog.OutputLogFormatVersion()
	_ = w.hlog.OutputComment("[poolload " + info.Version + " run " + info.ID + ": values in nanoseconds, Tag=<variant>.<rep>.<metric>]")
	_ = w.hlog.OutputStartTime(startMs)
	_ = w.hlog.OutputBaseTime(startMs)
	_ = w.hlog.OutputLegend()
	w.csv = csv.NewWriter(w.csvF)
	if err := w.csv.Write(CSVHeader(info.Gauges)); err != nil {
		return nil, fmt.Errorf("writing the time series header: %w", err)
	}
	if err := w.flush(); err != nil {
		return nil, err
	}
	return w, w.SaveInfo()
}

// Dir is the run directory.
func (w *Writer) Dir() string { return w.dir }

// CSVHeader lists the columns of timeseries.csv.
func CSVHeader(gauges []string) []string {
	h := []string{Variant, Rep, TStart, TEnd, Iterations, Rate,
		Dropped, DroppedVUs, DroppedPool, DroppedTarget, DroppedGrowing, Interrupted, Errors}
	for c := driver.ClassNone + 1; c < driver.NumClasses; c++ {
		h = append(h, ErrorsOf(c))
	}
	h = append(h, VUsBusy, VUsAllocated)
	for _, m := range csvMetrics {
		for _, q := range percentiles {
			h = append(h, PercentileOf(m, q))
		}
	}
	return append(h, gauges...)
}

// WriteInterval appends one interval of a window that started at t0. An
// interval is written whole or not at all: after a write error (a full
// disk) it and every later one are refused with that error, and Close
// keeps the files as they were after the last whole interval.
func (w *Writer) WriteInterval(variant string, rep int, t0 time.Time, iv *collector.Interval) error {
	if w.failed != nil {
		return w.failed
	}
	startMs := t0.Add(iv.Start).UnixMilli()
	endMs := t0.Add(iv.End).UnixMilli()
	for m, h := range iv.Hists {
		if h == nil {
			continue
		}
		h.SetTag(Tag(variant, rep, collector.Metric(m)))
		h.SetStartTimeMs(startMs)
		h.SetEndTimeMs(endMs)
		if err := w.hlog.OutputIntervalHistogram(h); err != nil {
			return w.fail(fmt.Errorf("writing the histogram log: %w", err))
		}
	}
	if err := w.csv.Write(w.csvRow(variant, rep, iv)); err != nil {
		return w.fail(fmt.Errorf("writing the time series: %w", err))
	}
	if err := w.flush(); err != nil {
		return w.fail(err)
	}
	return nil
}

// flush pushes both files to the kernel and notes their lengths as whole.
func (w *Writer) flush() error {
	if err := w.hlogB.Flush(); err != nil {
		return fmt.Errorf("writing the histogram log: %w", err)
	}
	w.csv.Flush()
	if err := w.csv.Error(); err != nil {
		return fmt.Errorf("writing the time series: %w", err)
	}
	var err1, err2 error
	w.hlogGood, err1 = w.hlogF.Seek(0, io.SeekCurrent)
	w.csvGood, err2 = w.csvF.Seek(0, io.SeekCurrent)
	return errors.Join(err1, err2)
}

func (w *Writer) fail(err error) error {
	w.failed = fmt.Errorf("writing the record: %w", err)
	return w.failed
}

// Failed is the first error writing the record, or nil.
func (w *Writer) Failed() error { return w.failed }

func (w *Writer) csvRow(variant string, rep int, iv *collector.Interval) []string {
	r := w.row[:0]
	c := &iv.Counts
	secs := (iv.End - iv.Start).Seconds()
	rate := 0.0
	if secs > 0 {
		rate = float64(c.Iterations) / secs
	}
	r = append(r, variant, strconv.Itoa(rep), ffmt(iv.Start.Seconds(), 3), ffmt(iv.End.Seconds(), 3),
		itoa64(c.Iterations), ffmt(rate, 2), itoa64(c.DroppedTotal()),
		itoa64(c.Dropped[collector.DropVUs]), itoa64(c.Dropped[collector.DropPool]), itoa64(c.Dropped[collector.DropTarget]),
		itoa64(c.DroppedGrowing), itoa64(c.Interrupted), itoa64(c.ErrorTotal()))
	for cl := driver.ClassNone + 1; cl < driver.NumClasses; cl++ {
		r = append(r, itoa64(c.Errors[cl]))
	}
	r = append(r, strconv.Itoa(iv.VUsBusy), strconv.Itoa(iv.VUsAlloc))
	for _, m := range csvMetrics {
		h := iv.Hists[m]
		if h == nil || h.TotalCount() == 0 {
			r = append(r, "", "", "", "")
			continue
		}
		for _, q := range []float64{50, 90, 99} {
			r = append(r, ffmt(float64(h.ValueAtQuantile(q))/1e6, 4))
		}
		r = append(r, ffmt(float64(h.Max())/1e6, 4))
	}
	for _, g := range iv.Gauges {
		if math.IsNaN(g) {
			r = append(r, "")
		} else {
			r = append(r, ffmt(g, 3))
		}
	}
	w.row = r
	return r
}

func ffmt(v float64, prec int) string { return strconv.FormatFloat(v, 'f', prec, 64) }
func itoa64(n int64) string           { return strconv.FormatInt(n, 10) }

// SaveInfo writes run.json as it is now.
func (w *Writer) SaveInfo() error {
	b, err := json.MarshalIndent(w.Info, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding run.json: %w", err)
	}
	return WriteFileAtomic(filepath.Join(w.dir, RunFile), append(b, '\n'))
}

// Close ends the record: it sets the run's status and end time, and moves
// the streamed files into place. It is safe to call after a failure: after
// a write error the files are cut back to the last whole interval before
// they are moved, so no file under a final name ends mid-line.
func (w *Writer) Close(status string, runErr error) error {
	w.Info.Status = status
	w.Info.Ended = time.Now()
	if runErr != nil {
		w.Info.Error = runErr.Error()
	}
	if w.failed == nil {
		if err := w.flush(); err != nil {
			w.fail(err)
		}
	}
	var errs []error
	if w.failed != nil {
		w.Info.Status = StatusFailed
		if w.Info.Error == "" {
			w.Info.Error = w.failed.Error()
		}
		errs = append(errs, w.failed, w.hlogF.Truncate(w.hlogGood), w.csvF.Truncate(w.csvGood))
	}
	errs = append(errs, os.Remove(filepath.Join(w.dir, reserveFile)), w.hlogF.Sync(), w.hlogF.Close(), w.csvF.Close(),
		os.Rename(w.hlogF.Name(), filepath.Join(w.dir, HlogFile)),
		os.Rename(w.csvF.Name(), filepath.Join(w.dir, TimeseriesFile)),
		w.SaveInfo())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("closing the run record: %w", err)
	}
	return nil
}

// reserveFile holds disk space for the last run.json: on a disk that the
// run filled, Close deletes it and so has room to say how the run ended.
const (
	reserveFile = ".reserve"
	reserveSize = 256 << 10
)

func reserve(dir string) error {
	if err := os.WriteFile(filepath.Join(dir, reserveFile), make([]byte, reserveSize), 0o644); err != nil {
		os.Remove(filepath.Join(dir, reserveFile))
		return fmt.Errorf("reserving space for the run record: %w", err)
	}
	return nil
}

// WriteFileAtomic writes data to a temporary file beside path and renames
// it over path.
func WriteFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", filepath.Base(path), err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("moving %s into place: %w", filepath.Base(path), err)
	}
	return nil
}
