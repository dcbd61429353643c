package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/poolload/poolload/live"
)

const liveScenario = `name: live
target:
  driver: noop
  noop: {delay: 1ms, error_rate: 0.02}
load:
  executor: constant-arrival-rate
  rate: 200
  duration: 3s
  pre_allocated_vus: 5
variants:
  - name: cold
  - name: warm
    warmup: {rate: 100, duration: 200ms}
`

// freePort returns a loopback port nothing listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startPrometheus runs Debian's prometheus on a free loopback port,
// scraping target every second as job "scrape" and taking remote write;
// .ci/ensure-prometheus installs it for make test. It is stopped when the
// test ends.
func startPrometheus(t *testing.T, target string) string {
	t.Helper()
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		if testing.Short() {
			t.Skip("prometheus is not installed (bash .ci/ensure-prometheus)")
		}
		t.Fatal("prometheus is not installed: run bash .ci/ensure-prometheus (make test does)")
	}
	dir := t.TempDir()
	cfg := fmt.Sprintf("global: {scrape_interval: 1s, scrape_timeout: 900ms}\n"+
		"scrape_configs:\n  - job_name: scrape\n    static_configs: [{targets: [%q]}]\n", target)
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	cmd := exec.Command(bin, "--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address="+addr,
		"--web.enable-remote-write-receiver", "--log.level=warn")
	logf, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		logf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("prometheus log:\n%s", b)
		}
	})
	for range 150 { // 30 s
		resp, err := http.Get("http://" + addr + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return "http://" + addr
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatal("prometheus was not ready within 30 s")
	return ""
}

// TestLiveMetricsInPrometheus runs a scenario that a real Prometheus
// scrapes (every second) and receives by remote write, then asks
// Prometheus, over its HTTP API, what it stored: every window's final
// iteration and error counts as summary.json has them, and the latency
// quantiles of both variants.
func TestLiveMetricsInPrometheus(t *testing.T) {
	metricsAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	promURL := startPrometheus(t, metricsAddr)
	// Prometheus hands new targets to its scrapers a few seconds after
	// it starts: wait for its first scrape (up = 0: nothing listens yet).
	for i := 0; len(promQuery(t, promURL, `up{job="scrape"}`)) == 0; i++ {
		if i == 100 {
			t.Fatal("prometheus did not scrape within 20 s")
		}
		time.Sleep(200 * time.Millisecond)
	}
	file := writeFile(t, "live.yaml", liveScenario)
	out := t.TempDir()
	code, stdout, stderr := runCLI(t, "run", "--quiet", "--no-plots", "--out", out, "--metrics-addr", metricsAddr,
		"--prometheus-remote-write", promURL+"/api/v1/write", file)
	if code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "metrics: http://"+metricsAddr+live.MetricsPath) || strings.Contains(stderr, "warning") {
		t.Errorf("stdout:\n%s\nstderr:\n%s", stdout, stderr)
	}
	dirs, _ := filepath.Glob(filepath.Join(out, "*-live"))
	if len(dirs) != 1 {
		t.Fatalf("records: %v", dirs)
	}
	var sum struct {
		Windows []struct {
			Variant string
			Rep     int
			Totals  struct{ Iterations, Errors int64 }
			Metrics map[string]struct {
				Max float64 `json:"max_ms"`
			}
		}
	}
	b, err := os.ReadFile(filepath.Join(dirs[0], "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	query := func(q string) map[string]float64 {
		t.Helper()
		return promQuery(t, promURL, q)
	}
	// Over the last minutes: after the run the series are stale, and
	// *_over_time reads their samples regardless.
	for _, job := range []string{"scrape", live.Job} {
		iters := query(fmt.Sprintf(`max_over_time(poolload_iterations_total{job=%q}[10m])`, job))
		errs := query(fmt.Sprintf(`sum without (class) (max_over_time(poolload_errors_total{job=%q}[10m]))`, job))
		p99 := query(fmt.Sprintf(`max_over_time(poolload_latency_seconds{job=%q,quantile="0.99"}[10m])`, job))
		for _, w := range sum.Windows {
			k := fmt.Sprintf("%s.%d", w.Variant, w.Rep)
			if got := iters[k]; got != float64(w.Totals.Iterations) {
				t.Errorf("job %s: %s iterations = %g in Prometheus, %d in summary.json", job, k, got, w.Totals.Iterations)
			}
			if got := errs[k]; got != float64(w.Totals.Errors) {
				t.Errorf("job %s: %s errors = %g in Prometheus, %d in summary.json", job, k, got, w.Totals.Errors)
			}
			if got := p99[k]; got <= 0 || got > w.Metrics["latency"].Max/1e3*1.01 {
				t.Errorf("job %s: %s latency p99 = %gs, the window's max is %gms", job, k, got, w.Metrics["latency"].Max)
			}
		}
	}
	// Scraped once a second over a 3 s window: several samples each.
	if n := query(`count_over_time(poolload_iterations_total{job="scrape",variant="cold"}[10m])`)["cold.1"]; n < 3 {
		t.Errorf("%g scrapes of the cold window, want at least 3", n)
	}
}

// promQuery asks Prometheus's HTTP API for the instant vector q now, and
// returns its values by variant.rep.
func promQuery(t *testing.T, base, q string) map[string]float64 {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(base + "/api/v1/query?" + url.Values{"query": {q}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct {
		Status string
		Error  string
		Data   struct {
			ResultType string
			Result     []struct {
				Metric map[string]string
				Value  [2]any
			}
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	if r.Status != "success" || r.Data.ResultType != "vector" {
		t.Fatalf("%s: %s %s (%s)", q, r.Status, r.Error, r.Data.ResultType)
	}
	got := map[string]float64{}
	for _, s := range r.Data.Result {
		text, _ := s.Value[1].(string)
		v, err := strconv.ParseFloat(text, 64)
		if err != nil {
			t.Fatalf("%s: value %v", q, s.Value)
		}
		got[s.Metric["variant"]+"."+s.Metric["rep"]] = v
	}
	return got
}
