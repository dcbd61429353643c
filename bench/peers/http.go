package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// httpRow is one tool's run at one rate.
type httpRow struct {
	rate              int
	tool              string
	achieved          float64
	requests, errors  int64
	dropped           string // "-" for Vegeta, which never drops
	p50, p99, sendP99 time.Duration
	u                 usage
	note              string
}

type httpBench struct {
	cfg      config
	tmp      string
	poolload string
	vegeta   string
	addr     string
	targets  string // Vegeta's targets file
}

type httpTool struct {
	name string
	run  func(rate int, d time.Duration) (httpRow, error)
}

// httpPart runs part 1 and reports whether every tool ran.
func httpPart(cfg config, tmp, pl string) bool {
	fmt.Printf("HTTP  GET /x (%v handler, separate process) on loopback, %v per run, tools alternated\n",
		cfg.delay, cfg.duration)
	veg, err := installVegeta(tmp)
	if err != nil {
		fmt.Printf("  skipped: Vegeta could not be installed: %v\n", err)
		return false
	}
	addr, stop, err := startServer(cfg.delay)
	if err != nil {
		fmt.Printf("  skipped: %v\n", err)
		return false
	}
	defer stop()
	h := &httpBench{cfg: cfg, tmp: tmp, poolload: pl, vegeta: veg, addr: addr,
		targets: filepath.Join(tmp, "targets.txt")}
	if err := os.WriteFile(h.targets, []byte("GET http://"+addr+"/x\n"), 0o644); err != nil {
		fmt.Printf("  skipped: %v\n", err)
		return false
	}
	tools := []httpTool{{"vegeta", h.runVegeta}, {"poolload", h.runPoolload}}
	for _, t := range tools { // warm the server up; unmeasured
		if _, err := t.run(cfg.rates[0], time.Second); err != nil {
			fmt.Printf("  skipped: %s could not run: %v\n", t.name, err)
			return false
		}
	}
	return h.table(tools)
}

func (h *httpBench) table(tools []httpTool) bool {
	fmt.Printf("  %-7s %-9s %9s %10s %7s %8s %9s %9s %14s %14s %10s\n", "rate/s", "tool", "requests",
		"achieved/s", "errors", "dropped", "p50", "p99", "p99 send→done", "CPU ms/1k req", "max RSS")
	ok := true
	var notes []string
	for i, rate := range h.cfg.rates {
		order := []httpTool{tools[0], tools[1]}
		if i%2 == 1 {
			order[0], order[1] = order[1], order[0]
		}
		for _, t := range order {
			r, err := t.run(rate, h.cfg.duration)
			if err != nil {
				fmt.Printf("  %-7d %-9s could not run: %v\n", rate, t.name, err)
				ok = false
				continue
			}
			fmt.Printf("  %-7d %-9s %9d %10.0f %7d %8s %9s %9s %14s %14s %10s\n", r.rate, r.tool, r.requests,
				r.achieved, r.errors, r.dropped, fmtDur(r.p50), fmtDur(r.p99), fmtDur(r.sendP99), r.u.perK(r.requests), r.u.rss())
			if r.note != "" {
				notes = append(notes, fmt.Sprintf("%d/s %s: %s", rate, r.tool, r.note))
			}
		}
	}
	fmt.Println("  achieved/s: each tool's own figure — Vegeta's requests / (last send - first send),")
	fmt.Println("  poolload's iterations / window (t0 to the last iteration done). p50/p99: each tool's own")
	fmt.Println("  latency — Vegeta's from the actual send, poolload's from the intended start (schedule lag")
	fmt.Println("  included); p99 send→done: Vegeta's p99 again, poolload's service p99 (actual start → done).")
	fmt.Println("  poolload pre-allocates max(100, 20 ms of arrivals) VUs; Vegeta starts 10 workers, adds more at will.")
	for _, n := range notes {
		fmt.Println("  note:", n)
	}
	return ok
}

// vegetaReport is the part of `vegeta report -type=json` the bench reads.
type vegetaReport struct {
	Latencies struct {
		P50 time.Duration `json:"50th"`
		P99 time.Duration `json:"99th"`
	} `json:"latencies"`
	Requests int64          `json:"requests"`
	Rate     float64        `json:"rate"`
	Success  float64        `json:"success"`
	Codes    map[string]int `json:"status_codes"`
	Errors   []string       `json:"errors"`
}

func (h *httpBench) runVegeta(rate int, d time.Duration) (httpRow, error) {
	row := httpRow{rate: rate, tool: "vegeta", dropped: "-"}
	results := filepath.Join(h.tmp, "vegeta.bin")
	defer os.Remove(results)
	attack := exec.Command(h.vegeta, "attack", fmt.Sprintf("-rate=%d/s", rate), "-duration="+d.String(),
		"-timeout=10s", "-targets="+h.targets, "-output="+results)
	_, u, err := measure(attack)
	if err != nil {
		return row, err
	}
	out, _, err := measure(exec.Command(h.vegeta, "report", "-type=json", results))
	if err != nil {
		return row, err
	}
	var rep vegetaReport
	if err := json.Unmarshal(out, &rep); err != nil {
		return row, fmt.Errorf("vegeta report: %w", err)
	}
	row.achieved, row.requests, row.u = rep.Rate, rep.Requests, u
	row.errors = rep.Requests - int64(math.Round(rep.Success*float64(rep.Requests)))
	row.p50, row.p99, row.sendP99 = rep.Latencies.P50, rep.Latencies.P99, rep.Latencies.P99
	if len(rep.Errors) > 0 {
		row.note = "first error: " + rep.Errors[0]
	}
	return row, nil
}

func (h *httpBench) runPoolload(rate int, d time.Duration) (httpRow, error) {
	row := httpRow{rate: rate, tool: "poolload"}
	v, u, err := runPoolload(h.poolload, h.tmp, h.scenario(rate, d))
	if err != nil {
		return row, err
	}
	row.achieved, row.requests, row.u = v.Rate, v.Totals.Iterations, u
	row.errors = v.Totals.Errors
	row.dropped = fmt.Sprint(v.Totals.Dropped)
	row.p50, row.p99, row.sendP99 = v.p("latency", 50), v.p("latency", 99), v.p("service", 99)
	var notes []string
	if len(v.Totals.ErrorsBy) > 0 {
		notes = append(notes, "errors by class: "+fmtCounts(v.Totals.ErrorsBy))
	}
	if len(v.Totals.DroppedBy) > 0 {
		notes = append(notes, "drops by cause: "+fmtCounts(v.Totals.DroppedBy))
	}
	row.note = strings.Join(notes, "; ")
	return row, nil
}

// scenario is the poolload equivalent of the Vegeta attack: the same URL,
// rate, duration and timeout, with enough VUs to ride out a 20 ms stall
// (this VM deschedules a vCPU for several ms at times) without a drop.
func (h *httpBench) scenario(rate int, d time.Duration) string {
	vus := max(100, rate/50)
	return strings.TrimLeft(fmt.Sprintf(`
name: peers-http
target:
  driver: http
  http:
    base_url: http://%s
    timeout: 10s
    requests:
      - {name: x, path: /x}
load:
  executor: constant-arrival-rate
  rate: %d
  duration: %s
  pre_allocated_vus: %d
  max_vus: %d
  graceful_stop: 10s
output:
  interval: 1s
`, h.addr, rate, d, vus, 2*vus), "\n")
}
