package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// reportScenario fails some iterations and one of its thresholds, so the
// page has error classes, a finding, a failed and a passed threshold.
const reportScenario = `name: htmlreport
description: "a <b>noop</b> run & its report"
target:
  driver: noop
  noop: {delay: 1ms, jitter: 1ms, error_rate: 0.05}
load:
  executor: constant-arrival-rate
  rate: 300
  duration: 2s
  pre_allocated_vus: 5
variants:
  - name: cold
  - name: warm
    warmup: {rate: 100, duration: 200ms}
thresholds:
  latency: ["p(99) < 1s"]
  errors: ["rate < 0.01"]
`

// chromiumPath finds Debian's chromium; .ci/ensure-chromium installs it
// for make test. Only -short runs go without it.
func chromiumPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("chromium")
	if err != nil {
		if testing.Short() {
			t.Skip("chromium is not installed (bash .ci/ensure-chromium)")
		}
		t.Fatal("chromium is not installed: run bash .ci/ensure-chromium (make test does)")
	}
	return p
}

// TestHTMLReportInChromium runs a scenario, opens the report.html it wrote
// in a real headless Chromium and checks that the page loads nothing,
// logs no error, and shows summary.json's figures. The screenshot and a
// printed PDF are kept in the test's artifact directory (go test
// -artifacts keeps it).
func TestHTMLReportInChromium(t *testing.T) {
	bin := chromiumPath(t)
	file := writeFile(t, "htmlreport.yaml", reportScenario)
	out := t.TempDir()
	code, stdout, stderr := runCLI(t, "run", "--quiet", "--out", out, file)
	if code != exitThreshold {
		t.Fatalf("exit %d, want %d (a failed threshold)\nstdout:\n%s\nstderr:\n%s", code, exitThreshold, stdout, stderr)
	}
	dirs, _ := filepath.Glob(filepath.Join(out, "*-htmlreport"))
	if len(dirs) != 1 {
		t.Fatalf("records: %v", dirs)
	}
	dir := dirs[0]
	report := filepath.Join(dir, reportHTMLFile)
	if !strings.Contains(stdout, "report: "+report) {
		t.Errorf("run does not name the report:\n%s", stdout)
	}
	// poolload report --format html writes the same page again.
	again := filepath.Join(t.TempDir(), "again.html")
	if code, _, errOut := runCLI(t, "report", "--format", "html", "--out", again, dir); code != exitOK {
		t.Fatalf("report --format html: exit %d: %s", code, errOut)
	}
	for _, p := range []string{report, again} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		checkSelfContained(t, p, string(b))
	}

	pg := openInChromium(t, bin, report)
	for _, problem := range pg.problems {
		t.Errorf("in the browser: %s", problem)
	}
	var sum any
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	checked := map[string]bool{}
	for _, c := range pg.cells {
		want, ok := jsonPath(sum, c[0])
		if !ok && (strings.Contains(c[0], "/dropped_by/") || strings.Contains(c[0], "/errors_by/")) {
			want, ok = 0.0, true // dropped_by and errors_by leave out their zeros
		}
		if !ok {
			t.Errorf("cell %s = %q: no such value in summary.json", c[0], c[1])
			continue
		}
		if err := sameFigure(c[1], want); err != nil {
			t.Errorf("cell %s shows %q, summary.json has %v: %v", c[0], c[1], want, err)
		}
		checked[c[0]] = true
	}
	for _, must := range []string{"variants/0/totals/iterations", "variants/1/totals/errors", "variants/0/metrics/latency/p99_ms",
		"windows/1/achieved_rate", "comparison/rows/2/median_a", "thresholds/0/pass", "thresholds/1/pass"} {
		if !checked[must] {
			t.Errorf("the page shows no %s (cells: %d)", must, len(pg.cells))
		}
	}
	fs, _ := jsonPath(sum, "findings")
	if len(fs.([]any)) == 0 {
		t.Error("summary.json has no finding: the scenario should fail iterations")
	}
	for i := range fs.([]any) {
		for _, field := range []string{"id", "statement", "evidence"} {
			if v, _ := jsonPath(sum, fmt.Sprintf("findings/%d/%s", i, field)); !strings.Contains(pg.text, v.(string)) {
				t.Errorf("the page lacks finding %d's %s %q", i, field, v)
			}
		}
	}
	for _, want := range []string{"Findings", "Per interval", "a <b>noop</b> run & its report", "✗ fail", "✓ pass"} {
		if !strings.Contains(pg.text, want) {
			t.Errorf("the page's text lacks %q", want)
		}
	}
	if pg.svgs < 3 {
		t.Errorf("%d figures drawn, want the plots", pg.svgs)
	}
	art := t.ArtifactDir()
	for name, data := range map[string][]byte{"report.png": pg.screenshot, "report.pdf": pg.pdf} {
		if len(data) == 0 {
			t.Errorf("no %s", name)
			continue
		}
		if err := os.WriteFile(filepath.Join(art, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("screenshot and PDF in %s", art)
}

// external matches a reference the page would load from elsewhere.
var external = regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?(https?:|//)|@import|url\(\s*["']?(https?:|//)`)

func checkSelfContained(t *testing.T, name, page string) {
	t.Helper()
	if m := external.FindString(page); m != "" {
		t.Errorf("%s loads from elsewhere: %q", name, m)
	}
	for _, absent := range []string{"<script", "<link ", "<img "} {
		if strings.Contains(page, absent) {
			t.Errorf("%s has %s: it should hold everything inline and run nothing", name, absent)
		}
	}
}

// browserPage is what the browser saw of the report.
type browserPage struct {
	problems   []string    // console errors and warnings, exceptions, log errors, requests other than the page
	cells      [][2]string // data-sum path, text shown
	text       string      // the page's visible text
	svgs       int
	screenshot []byte
	pdf        []byte
}

func openInChromium(t *testing.T, bin, path string) browserPage {
	t.Helper()
	var pg browserPage
	var mu sync.Mutex
	url := "file://" + path
	note := func(f string, a ...any) {
		mu.Lock()
		defer mu.Unlock()
		pg.problems = append(pg.problems, fmt.Sprintf(f, a...))
	}
	listener := func(ev any) {
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeWarning {
				note("console %s", e.Type)
			}
		case *runtime.EventExceptionThrown:
			note("exception: %s", e.ExceptionDetails.Text)
		case *cdplog.EventEntryAdded:
			if e.Entry.Level == cdplog.EntryLevelError || e.Entry.Level == cdplog.EntryLevelWarning {
				note("log %s: %s (%s)", e.Entry.Level, e.Entry.Text, e.Entry.URL)
			}
		case *network.EventRequestWillBeSent:
			if e.Request.URL != url {
				note("request for %s", e.Request.URL)
			}
		case *network.EventLoadingFailed:
			note("failed request: %s", e.ErrorText)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox,
		chromedp.WindowSize(1280, 900), chromedp.Flag("disable-gpu", true))
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx, chromedp.WithListener(listener))
	defer bcancel()
	enable := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, tg, cdplog.Enable, cdp.Empty{})
		return err
	})
	if err := chromedp.Do(bctx, enable, chromedp.Navigate(url), chromedp.WaitReady("footer")); err != nil {
		t.Fatalf("opening %s in chromium: %v", path, err)
	}
	var err error
	if pg.cells, err = chromedp.Run(bctx, chromedp.Evaluate[[][2]string](
		`Array.from(document.querySelectorAll('[data-sum]')).map(e => [e.dataset.sum, e.textContent.trim()])`)); err != nil {
		t.Fatal(err)
	}
	if pg.text, err = chromedp.Run(bctx, chromedp.Evaluate[string](`document.body.innerText`)); err != nil {
		t.Fatal(err)
	}
	// A figure counts when the browser laid it out with a size.
	if pg.svgs, err = chromedp.Run(bctx, chromedp.Evaluate[int](
		`Array.from(document.querySelectorAll('figure svg')).filter(s => s.getBoundingClientRect().height > 100).length`)); err != nil {
		t.Fatal(err)
	}
	if pg.screenshot, err = chromedp.Run(bctx, chromedp.FullScreenshot(100)); err != nil {
		t.Fatal(err)
	}
	printPDF := func(ctx context.Context, tg *chromedp.Target) ([]byte, error) {
		r, err := cdp.Call(ctx, tg, page.PrintToPDF, page.PrintToPDFParams{})
		if err != nil {
			return nil, err
		}
		return r.Data, nil
	}
	if pg.pdf, err = chromedp.Run(bctx, chromedp.Action[[]byte](printPDF)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // events still in flight
	mu.Lock()
	defer mu.Unlock()
	return pg
}

// jsonPath walks a/b/0/c through decoded JSON.
func jsonPath(v any, path string) (any, bool) {
	for _, k := range strings.Split(path, "/") {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[k]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// shown parses a figure as the page prints it: a count, a rate (/s), a
// duration (ns, µs, ms, s: returned in ms), a ratio; and the precision
// of what is printed.
var shown = regexp.MustCompile(`^([-+]?\d+(?:\.(\d+))?)(ns|µs|ms|s|/s)?$`)

func sameFigure(text string, want any) error {
	if b, ok := want.(bool); ok {
		if strings.Contains(text, "pass") != b {
			return fmt.Errorf("pass is %v", b)
		}
		return nil
	}
	w, ok := want.(float64)
	if !ok {
		return fmt.Errorf("not a number")
	}
	m := shown.FindStringSubmatch(text)
	if m == nil {
		return fmt.Errorf("not a figure")
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	tol := 0.5 * math.Pow(10, -float64(len(m[2])))
	scale := map[string]float64{"ns": 1e-6, "µs": 1e-3, "ms": 1, "s": 1e3}[m[3]]
	if scale == 0 {
		scale = 1
	}
	if math.Abs(v*scale-w) > tol*scale*1.0001 {
		return fmt.Errorf("off by %g", v*scale-w)
	}
	return nil
}
