package record

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/poolload/poolload/collector"
)

// A record whose files are damaged is refused, naming the file and line,
// never read as a record with no data; a last line cut short (a run
// killed while writing it) loses that line only, with a warning.
func TestDamagedRecords(t *testing.T) {
	for _, tc := range []struct {
		name    string
		file    string
		damage  func(b []byte) []byte
		err     string // "" reads
		warning string
	}{
		{"empty histogram log", HlogFile, func([]byte) []byte { return nil }, "not a histogram log", ""},
		{"random bytes", HlogFile, func([]byte) []byte { return []byte("\x00\x13garbage\nmore\n") }, "not a histogram log", ""},
		{"a bad line inside", HlogFile, func(b []byte) []byte {
			return []byte(strings.Replace(string(b), "Tag=cold.1.wait,", "Tag=cold.1.wait,x,", 1))
		}, HlogFile + ":", ""},
		{"a histogram that does not decode", HlogFile, func(b []byte) []byte {
			return []byte(strings.Replace(string(b), ",HISTF", ",HISTX", 1))
		}, "does not decode", ""},
		{"histogram log cut short", HlogFile, func(b []byte) []byte { return b[:len(b)-20] }, "", "cut short"},
		{"time series cut short", TimeseriesFile, func(b []byte) []byte { return b[:len(b)-30] }, "", "cut short"},
		{"a bad row inside", TimeseriesFile, func(b []byte) []byte {
			i := strings.Index(string(b), "\ncold,1,")
			return append(append(append([]byte{}, b[:i+1]...), "cold,x,1\n"...), b[i+1:]...)
		}, TimeseriesFile + ":", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeSome(t)
			whole, err := Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, tc.file)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, tc.damage(b), 0o644); err != nil {
				t.Fatal(err)
			}
			rec, err := Open(dir)
			switch {
			case tc.err != "":
				if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), tc.file) {
					t.Fatalf("Open: %v; want an error naming %s with %q", err, tc.file, tc.err)
				}
			case err != nil:
				t.Fatalf("Open: %v", err)
			case len(rec.Warnings) != 1 || !strings.Contains(rec.Warnings[0], tc.warning) || !strings.Contains(rec.Warnings[0], tc.file):
				t.Errorf("warnings %q; want one naming %s saying %q", rec.Warnings, tc.file, tc.warning)
			default:
				// The cut line only: one time-series row, or one histogram.
				rows, hists := len(whole.Rows), countHists(whole)
				if tc.file == TimeseriesFile {
					rows--
				} else {
					hists--
				}
				if len(rec.Rows) != rows || countHists(rec) != hists {
					t.Errorf("%d rows and %d histograms read back, want %d and %d: more than the cut line was lost",
						len(rec.Rows), countHists(rec), rows, hists)
				}
			}
		})
	}
}

// countHists is the number of interval histograms in r, over every tag.
func countHists(r *Record) int {
	n := 0
	for _, hs := range r.Hists {
		n += len(hs)
	}
	return n
}

// writeSome writes a complete record of three one-second intervals.
func writeSome(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	start := time.Now()
	w, err := Create(dir, RunInfo{ID: "test", Started: start, Status: StatusRunning,
		Gauges: []string{PoolOpen}, Scenario: []byte(`{"name":"x"}`)})
	if err != nil {
		t.Fatal(err)
	}
	rec := collector.NewRecorder(2)
	rng := rand.New(rand.NewPCG(1, 2))
	for sec := range 3 {
		recordSome(rec, 100, rng)
		iv := &collector.Interval{Start: time.Duration(sec) * time.Second, End: time.Duration(sec+1) * time.Second,
			Gauges: []float64{float64(sec)}}
		rec.Drain(iv)
		if err := w.WriteInterval("cold", 1, start, iv); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(StatusComplete, nil); err != nil {
		t.Fatal(err)
	}
	return dir
}
