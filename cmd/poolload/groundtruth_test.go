package main

import (
	"database/sql"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/poolload/poolload/driver/mysqlserver/mysqltest"
	"github.com/poolload/poolload/record"
)

// Ground truth a careful engineer would check by hand, kept true by a test:
// an INSERT of seq() at 500/s for 2 s leaves exactly 1 000 distinct rows;
// every planned iteration started; and metrics.hlog read with
// hdrhistogram-go's own log reader gives the figures of summary.json.
func TestGroundTruth(t *testing.T) {
	dsn := mysqltest.DSN(t)
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	table := fmt.Sprintf("pl_truth_%d", time.Now().UnixNano()%1e9)
	t.Cleanup(func() { _, _ = db.Exec("DROP TABLE IF EXISTS " + table) })
	file := writeFile(t, "truth.yaml", fmt.Sprintf(`name: truth
target:
  driver: mysql
  mysql:
    dsn: %q
    max_open: 8
    setup: ["CREATE TABLE %s (n BIGINT NOT NULL)"]
    operations: [{sql: "INSERT INTO %s (n) VALUES (?)", args: ["seq()"]}]
load: {executor: constant-arrival-rate, rate: 500, duration: 2s, pre_allocated_vus: 64}
`, dsn, table, table))
	out := t.TempDir()
	if code, stdout, stderr := runCLI(t, "run", "-q", "--no-plots", "--out", out, file); code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	var rows, distinct, lo, hi int64
	if err := db.QueryRow("SELECT COUNT(*), COUNT(DISTINCT n), MIN(n), MAX(n) FROM "+table).Scan(&rows, &distinct, &lo, &hi); err != nil {
		t.Fatal(err)
	}
	s := readSummary(t, out)
	w := s.Windows[0]
	if rows != w.Totals.Started() || distinct != rows || lo != 1 || hi != rows {
		t.Errorf("the table holds %d rows, %d distinct, %d..%d; want exactly 1..%d, one per started iteration", rows, distinct, lo, hi, w.Totals.Started())
	}
	dirs, _ := filepath.Glob(filepath.Join(out, "*"))
	rec, err := record.Open(dirs[0])
	if err != nil {
		t.Fatal(err)
	}
	// 64 VUs for a load that keeps one busy: only a stall of the whole
	// machine for over 100 ms could drop one.
	if planned := rec.Info.Windows[0].Planned; planned != 1000 || w.Totals.Started() != planned || w.Totals.Errors != 0 {
		t.Errorf("planned %d, started %d, dropped %d (%d errors); want 1000 started", planned, w.Totals.Started(), w.Totals.Dropped, w.Totals.Errors)
	}
	h := readHlog(t, filepath.Join(dirs[0], record.HlogFile), "default.1.latency")
	lat := w.Metrics["latency"]
	if h.TotalCount() != lat.Count || h.TotalCount() != 1000 {
		t.Errorf("hdrhistogram-go reads %d latencies, summary.json has %d; want 1000", h.TotalCount(), lat.Count)
	}
	for _, c := range []struct {
		name      string
		hlog, sum float64
	}{
		{"p50", float64(h.ValueAtQuantile(50)) / 1e6, lat.P50},
		{"p99", float64(h.ValueAtQuantile(99)) / 1e6, lat.P99},
		{"max", float64(h.Max()) / 1e6, lat.Max},
	} {
		if math.Abs(c.hlog-c.sum) > 1e-3*c.sum+1e-6 {
			t.Errorf("latency %s: %.4f ms from the hlog, %.4f ms in summary.json", c.name, c.hlog, c.sum)
		}
	}
}

// readHlog merges every interval histogram tagged tag in an HdrHistogram
// log, read with hdrhistogram-go's own reader.
func readHlog(t *testing.T, path, tag string) *hdr.Histogram {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := hdr.NewHistogramLogReader(f)
	var sum *hdr.Histogram
	for {
		h, err := r.NextIntervalHistogram()
		if errors.Is(err, io.EOF) || (err == nil && h == nil) {
			break
		}
		if err != nil {
			t.Fatalf("hdrhistogram-go cannot read %s: %v", path, err)
		}
		if h.Tag() != tag {
			continue
		}
		if sum == nil {
			sum = hdr.New(h.LowestTrackableValue(), h.HighestTrackableValue(), int(h.SignificantFigures()))
		}
		sum.Merge(h)
	}
	if sum == nil {
		t.Fatalf("no histogram tagged %q in %s", tag, path)
	}
	return sum
}
