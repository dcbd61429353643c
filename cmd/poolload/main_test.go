package main

import (
	"bytes"
	"fmt"
	nethttp "net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/poolload/poolload/collector"
	"github.com/poolload/poolload/record"
)

// runCLI runs the CLI in-process. Tests that call it must not run in
// parallel: urfave/cli v2 keeps its help flag in a package variable.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(append([]string{"poolload"}, args...), &out, &errOut)
	return code, out.String(), errOut.String()
}

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const tinyScenario = `name: tiny
target:
  driver: noop
  noop: {delay: 1ms}
load:
  executor: constant-arrival-rate
  rate: 200
  duration: 1s
  pre_allocated_vus: 5
variants:
  - name: cold
  - name: warm
    warmup: {rate: 100, duration: 200ms}
`

func TestRunWritesARecordThatReadsBack(t *testing.T) {
	file := writeFile(t, "tiny.yaml", tinyScenario)
	out := t.TempDir()
	code, stdout, stderr := runCLI(t, "run", "--out", out, file)
	if code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"cold     1/1  t=", "SUMMARY  tiny  (complete)", "latency", "schedule_lag", "record: "} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	dirs, _ := filepath.Glob(filepath.Join(out, "*-tiny"))
	if len(dirs) != 1 {
		t.Fatalf("run directories: %v", dirs)
	}
	rec, err := record.Open(dirs[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range rec.Info.Windows {
		n := rec.Merged(w.Variant, w.Rep, collector.Latency).TotalCount()
		if w.Status != record.StatusComplete || n != w.Totals.Iterations || n < 195 {
			t.Errorf("window %s.%d: status %s, %d latencies for %d iterations", w.Variant, w.Rep, w.Status, n, w.Totals.Iterations)
		}
	}
	if _, err := os.Stat(filepath.Join(dirs[0], record.SummaryFile)); err != nil {
		t.Error(err)
	}
}

func TestBadInputExitsTwoWithPosition(t *testing.T) {
	bad := writeFile(t, "bad.yaml", strings.Replace(tinyScenario, "pre_allocated_vus", "pre_allocated_vu", 1))
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"typo", []string{"validate", bad}, "bad.yaml:9:3"},
		{"typo on run", []string{"run", bad}, "pre_allocated_vu"},
		{"flag after file", []string{"run", bad, "--rate", "5"}, "flags go before FILE"},
		{"no file", []string{"validate"}, "FILE is required"},
		{"missing file", []string{"validate", "/nonexistent.yaml"}, "nonexistent.yaml"},
		{"unknown flag", []string{"run", "--rat", "5", bad}, "rat"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tc.args...)
			if code != exitBadInput || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want exit 2 and %q", code, stderr, tc.want)
			}
		})
	}
}

func TestValidatePrintsThePlan(t *testing.T) {
	file := writeFile(t, "tiny.yaml", tinyScenario)
	code, stdout, stderr := runCLI(t, "validate", "--rate", "300", file)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"valid", "300 iterations over 1s", "5 pre-allocated, up to 5", "warm-up 100/s for 200ms", "none (cold)"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("plan lacks %q:\n%s", want, stdout)
		}
	}
}

func TestVersion(t *testing.T) {
	code, stdout, _ := runCLI(t, "version")
	if code != exitOK || !strings.HasPrefix(stdout, "poolload ") {
		t.Errorf("exit %d, %q", code, stdout)
	}
}

func TestPlotRendersARecord(t *testing.T) {
	file := writeFile(t, "tiny.yaml", tinyScenario)
	out := t.TempDir()
	if code, _, stderr := runCLI(t, "run", "-q", "--no-plots", "--out", out, file); code != exitOK {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	dirs, _ := filepath.Glob(filepath.Join(out, "*"))
	code, stdout, stderr := runCLI(t, "plot", dirs[0])
	if code != exitOK || !strings.Contains(stdout, "latency.png") {
		t.Fatalf("plot: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(dirs[0], "plots", "percentiles.svg")); err != nil {
		t.Error(err)
	}
	if code, _, _ := runCLI(t, "plot", t.TempDir()); code != exitBadInput {
		t.Errorf("plot of a non-record: exit %d, want 2", code)
	}
}

// TestDeadDatabaseIsAClearFailure: a refusing or denying server fails the
// run at once with a classified message, exit 1, and no password anywhere.
func TestDeadDatabaseIsAClearFailure(t *testing.T) {
	const secret = "s3cret-pw-9431"
	scenario := `name: dead
target:
  driver: mysql
  mysql:
    dsn: "%s:` + secret + `@tcp(127.0.0.1:%s)/test"
    connect_timeout: 2s
    operations: [{sql: SELECT 1}]
load: {executor: constant-arrival-rate, rate: 10, duration: 1s, pre_allocated_vus: 2}
`
	tests := []struct{ user, port, class string }{
		{"root", "1", "connect_refused"},
		{"poolload_nosuchuser", "3306", "access_denied"},
	}
	for _, tc := range tests {
		file := writeFile(t, "dead.yaml", fmt.Sprintf(scenario, tc.user, tc.port))
		out := t.TempDir()
		start := time.Now()
		code, stdout, stderr := runCLI(t, "run", "--out", out, file)
		if code != exitFailed || !strings.Contains(stderr, tc.class) {
			t.Errorf("%s: exit %d, stderr %q; want exit 1 naming %s", tc.class, code, stderr, tc.class)
		}
		if time.Since(start) > 5*time.Second {
			t.Errorf("%s: took %v", tc.class, time.Since(start))
		}
		if strings.Contains(stdout+stderr, secret) {
			t.Errorf("%s: the password was printed", tc.class)
		}
		filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
			if b, _ := os.ReadFile(p); err == nil && !d.IsDir() && strings.Contains(string(b), secret) {
				t.Errorf("%s: the password is in %s", tc.class, p)
			}
			return nil
		})
	}
}

// TestRunAgainstHTTP drives a local HTTP service and keeps its bearer
// token out of the record.
func TestRunAgainstHTTP(t *testing.T) {
	srv := httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		time.Sleep(2 * time.Millisecond)
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	const token = "tok-8812-secret"
	file := writeFile(t, "http.yaml", `name: web
target:
  driver: http
  http:
    base_url: `+srv.URL+`
    requests:
      - {path: "/item/{rand_int(1,10)}", headers: {Authorization: "Bearer `+token+`"}}
load: {executor: constant-arrival-rate, rate: 100, duration: 1s, pre_allocated_vus: 5}
`)
	out := t.TempDir()
	code, stdout, stderr := runCLI(t, "run", "-q", "--no-plots", "--out", out, file)
	if code != exitOK || !strings.Contains(stdout, "(complete)") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	dirs, _ := filepath.Glob(filepath.Join(out, "*"))
	b, _ := os.ReadFile(filepath.Join(dirs[0], record.RunFile))
	if strings.Contains(string(b), token) {
		t.Error("the bearer token is in run.json")
	}
	rec, err := record.Open(dirs[0])
	if err != nil {
		t.Fatal(err)
	}
	if w := rec.Merged("default", 1, collector.Wait); w.TotalCount() != 100 || w.ValueAtQuantile(50) < 2e6 {
		t.Errorf("wait: %d values, p50 %v", w.TotalCount(), time.Duration(w.ValueAtQuantile(50)))
	}
}
