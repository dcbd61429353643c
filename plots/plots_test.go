package plots

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/poolload/poolload/record"
)

// wantRows are the panel rows of each plot of a full record.
var wantRows = map[string]int{
	"latency": 2, "percentiles": 1, "blocked": 2, "conns": 2, "pool": 3, "link": 3, "throughput": 2,
}

// wantSize is the PNG size of a figure of rows panel rows under sub lines
// of subtitle: 10 in wide; title and x label take 0.8 in, each subtitle
// line 0.24 in, one panel 4.2 in, several 3 in a row.
func wantSize(rows, sub int) image.Point {
	h := 0.8 + 0.24*float64(sub) + 3*float64(rows)
	if rows == 1 {
		h = 0.8 + 0.24*float64(sub) + 4.2
	}
	px := func(in float64) int { return int(in*testDPI + 0.5) }
	return image.Point{X: px(10), Y: px(h)}
}

// renderForTest is Render, at a lower resolution under the race detector.
func renderForTest(rec *record.Record, dir string) ([]string, error) {
	if testDPI == defaultDPI {
		return Render(rec, dir)
	}
	return render(rec, dir, testDPI)
}

// PLOTS_KEEP=dir keeps the test's plots there, to look at them.
func outDir(t *testing.T, name string) string {
	if d := os.Getenv("PLOTS_KEEP"); d != "" {
		return filepath.Join(d, name)
	}
	return t.TempDir()
}

func TestRenderMySQLRecord(t *testing.T) {
	t.Parallel()
	rec := mysqlRecord(t)
	dir := outDir(t, "mysql")
	start := time.Now()
	paths, err := renderForTest(rec, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("rendered %d files in %v", len(paths), time.Since(start))
	checkFiles(t, dir, paths, []string{"latency", "percentiles", "blocked", "conns", "pool", "throughput"})
}

func TestRenderWithoutGauges(t *testing.T) {
	t.Parallel()
	rec := synthRecord(t, synthOpts{seconds: 4, reps: 1, rate: 100})
	for i := range rec.Rows { // like the noop driver: nothing ever blocks
		rec.Rows[i].Values["blocked_p99_ms"], rec.Rows[i].Values["connecting_p99_ms"] = 0, 0
	}
	dir := outDir(t, "nogauges")
	paths, err := renderForTest(rec, dir)
	if err != nil {
		t.Fatal(err)
	}
	checkFiles(t, dir, paths, []string{"latency", "percentiles", "throughput"})
	for _, skipped := range []string{"pool.png", "pool.svg", "conns.png", "blocked.png"} {
		if _, err := os.Stat(filepath.Join(dir, skipped)); err == nil {
			t.Errorf("%s written for a record without its data", skipped)
		}
	}
}

func TestRenderEmptyRecord(t *testing.T) {
	rec := synthRecord(t, synthOpts{reps: 1, rate: 100}) // no intervals at all
	paths, err := Render(rec, t.TempDir())
	if err != nil || len(paths) != 0 {
		t.Fatalf("Render of an empty record: %v, %v", paths, err)
	}
}

// Render may run for two records at once (plot at the end of run while a
// report renders another): nothing shared may race.
func TestRenderConcurrently(t *testing.T) {
	if testing.Short() {
		t.Skip("renders twice")
	}
	t.Parallel()
	rec := mysqlRecord(t)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Go(func() { _, errs[i] = render(rec, t.TempDir(), testDPI/2) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestRenderUnwritableDir(t *testing.T) {
	rec := synthRecord(t, synthOpts{seconds: 2, reps: 1, rate: 10})
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Render(rec, filepath.Join(file, "plots")); err == nil ||
		!strings.Contains(err.Error(), "creating the plots directory") {
		t.Fatalf("Render into a path under a file: %v", err)
	}
}

// checkFiles checks that paths are exactly name.png and name.svg for each
// name, that each PNG decodes at the expected size and each SVG is an SVG
// with the figure's title.
func checkFiles(t *testing.T, dir string, paths, names []string) {
	t.Helper()
	var want []string
	for _, n := range names {
		want = append(want, filepath.Join(dir, n+".png"), filepath.Join(dir, n+".svg"))
	}
	if !slices.Equal(paths, want) {
		t.Fatalf("Render wrote\n%v\nwant\n%v", paths, want)
	}
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n+".png"))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s.png: %v", n, err)
		}
		if sz, want := img.Bounds().Size(), wantSize(wantRows[n], 0); sz != want {
			t.Errorf("%s.png is %v, want %v", n, sz, want)
		}
		svg, err := os.ReadFile(filepath.Join(dir, n+".svg"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(svg, []byte("<svg")) || !bytes.Contains(svg, []byte("mysql-cold-warm")) {
			t.Errorf("%s.svg (%d bytes) is not an SVG with the figure title", n, len(svg))
		}
	}
}
