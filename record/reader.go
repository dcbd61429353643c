package record

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
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
	// Warnings say what was left out of a record that was cut short.
	Warnings []string
	// lines are the histogram log's intervals by tag, undecoded, when the
	// record was opened for merging (openLines).
	lines map[string][]*hlogLine
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
	return open(dir, (*Record).readHlog)
}

// openLines reads the run record in dir, keeping its histogram log's
// intervals undecoded in r.lines (r.Hists stays empty): merge decodes them
// an interval at a time, since all of N segments' decoded at once would
// take gigabytes.
func openLines(dir string) (*Record, error) {
	return open(dir, func(r *Record, path string) error {
		r.lines = map[string][]*hlogLine{}
		return r.eachInterval(path, func(l *hlogLine) error {
			r.lines[l.tag] = append(r.lines[l.tag], l)
			return nil
		})
	})
}

func open(dir string, readHlog func(r *Record, path string) error) (*Record, error) {
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
	if err := readHlog(r, filepath.Join(dir, HlogFile)); err != nil {
		return nil, err
	}
	if err := r.readCSV(filepath.Join(dir, TimeseriesFile)); err != nil {
		return nil, err
	}
	return r, nil
}

// readHlog reads the histogram log into r.Hists, every interval decoded.
func (r *Record) readHlog(path string) error {
	return r.eachInterval(path, func(l *hlogLine) error {
		h, err := l.decode()
		if err != nil {
			return err
		}
		r.Hists[h.Tag()] = append(r.Hists[h.Tag()], h)
		return nil
	})
}

// eachInterval reads the histogram log strictly and hands each interval
// line to each: every line is a comment, the legend or a well-formed
// interval, or the record is refused naming the line. Only a last line cut
// short (a run killed while writing it) is left out, with a warning: the
// intervals before it are whole.
func (r *Record) eachInterval(path string, each func(*hlogLine) error) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading the histogram log: %w", err)
	}
	if !bytes.HasPrefix(b, []byte("#[Histogram log format version")) {
		return fmt.Errorf("%s: not a histogram log (it lacks the format line that every record's log starts with)", path)
	}
	lines := strings.Split(string(b), "\n")
	cut := !bytes.HasSuffix(b, []byte("\n"))
	baseMs := 0.0
	for i, line := range lines {
		last := i == len(lines)-1
		switch {
		case line == "" || strings.HasPrefix(line, `"StartTimestamp"`):
		case strings.HasPrefix(line, "#[BaseTime: "):
			f, _ := strconv.ParseFloat(strings.Fields(strings.TrimPrefix(line, "#[BaseTime: "))[0], 64)
			baseMs = f * 1000
		case strings.HasPrefix(line, "#"):
		default:
			l, err := parseInterval(line, baseMs)
			if err == nil {
				l.at = fmt.Sprintf("%s:%d", path, i+1)
				err = each(l)
			}
			if err != nil && last && cut {
				r.Warnings = append(r.Warnings, fmt.Sprintf("%s:%d: the last line is cut short (the run stopped while writing it) and is left out", path, i+1))
				continue
			}
			if err != nil {
				return fmt.Errorf("%s:%d: %w", path, i+1, err)
			}
		}
	}
	return nil
}

// hlogLine is one interval line of the histogram log, its histogram not
// yet decoded: a decoded histogram is allocated at full size, so a reader
// that needs only some at a time (merge) keeps the lines.
type hlogLine struct {
	at             string // path:line
	tag            string
	startMs, endMs int64
	enc            string
}

// parseInterval reads one interval line of the log:
// Tag=<tag>,<start s>,<length s>,<max>,<compressed histogram>.
func parseInterval(line string, baseMs float64) (*hlogLine, error) {
	f := strings.Split(line, ",")
	tag, ok := strings.CutPrefix(f[0], "Tag=")
	if len(f) != 5 || !ok || tag == "" {
		return nil, fmt.Errorf("not a histogram interval (want Tag=…,start,length,max,histogram): %.40q", line)
	}
	start, err1 := strconv.ParseFloat(f[1], 64)
	length, err2 := strconv.ParseFloat(f[2], 64)
	if _, err3 := strconv.ParseFloat(f[3], 64); errors.Join(err1, err2, err3) != nil {
		return nil, fmt.Errorf("interval %s: its start, length or max is not a number", tag)
	}
	return &hlogLine{tag: tag, startMs: int64(baseMs + start*1000), endMs: int64(baseMs + (start+length)*1000), enc: f[4]}, nil
}

// decode decodes the line's histogram.
func (l *hlogLine) decode() (*hdr.Histogram, error) {
	h, err := hdr.Decode([]byte(l.enc))
	if err != nil {
		return nil, fmt.Errorf("interval %s: the histogram does not decode: %w", l.tag, err)
	}
	h.SetTag(l.tag)
	h.SetStartTimeMs(l.startMs)
	h.SetEndTimeMs(l.endMs)
	return h, nil
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
		if err != nil && r.cutShort(path, cr) {
			r.Warnings = append(r.Warnings, fmt.Sprintf("%s:%d: the last line is cut short (the run stopped while writing it) and is left out", path, line))
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

// cutShort reports whether the CSV row that failed to read was the file's
// last and the file does not end its line: a run stopped while writing.
func (r *Record) cutShort(path string, cr *csv.Reader) bool {
	if _, err := cr.Read(); err != io.EOF {
		return false
	}
	b, err := os.ReadFile(path)
	return err == nil && !bytes.HasSuffix(b, []byte("\n"))
}
