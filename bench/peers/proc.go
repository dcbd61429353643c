package main

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// usage is what one generator process cost.
type usage struct {
	cpu    time.Duration // user + system
	maxRSS int64         // bytes
}

// perK is CPU milliseconds per 1000 requests.
func (u usage) perK(requests int64) string {
	if requests <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f", float64(u.cpu.Microseconds())/float64(requests))
}

func (u usage) rss() string { return fmt.Sprintf("%.1f MiB", float64(u.maxRSS)/(1<<20)) }

// measure runs cmd to completion and returns its stdout and its rusage.
// An exit status in okCodes is not an error.
func measure(cmd *exec.Cmd, okCodes ...int) ([]byte, usage, error) {
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var u usage
	if ps := cmd.ProcessState; ps != nil {
		u.cpu = ps.UserTime() + ps.SystemTime()
		if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
			u.maxRSS = ru.Maxrss * 1024 // KiB on Linux
		}
		for _, c := range okCodes {
			if ps.ExitCode() == c {
				err = nil
			}
		}
	}
	if err != nil {
		msg := stderr.String()
		if strings.TrimSpace(msg) == "" {
			msg = stdout.String()
		}
		msg = strings.ReplaceAll(lastLines(msg, 3), "\n", "; ")
		return stdout.Bytes(), u, fmt.Errorf("%s: %v: %s", filepath.Base(cmd.Path), err, msg)
	}
	return stdout.Bytes(), u, nil
}

// plVariant is the part of summary.json's variants[0] the bench reads.
type plVariant struct {
	Offered float64 `json:"offered_rate"`
	Rate    float64 `json:"achieved_rate"`
	Totals  struct {
		Iterations  int64            `json:"iterations"`
		Dropped     int64            `json:"dropped"`
		DroppedBy   map[string]int64 `json:"dropped_by"`
		Errors      int64            `json:"errors"`
		ErrorsBy    map[string]int64 `json:"errors_by"`
		Interrupted int64            `json:"interrupted"`
	} `json:"totals"`
	Metrics map[string]struct {
		P50 float64 `json:"p50_ms"`
		P99 float64 `json:"p99_ms"`
	} `json:"metrics"`
}

func (v plVariant) p(metric string, q int) time.Duration {
	m := v.Metrics[metric]
	ms := m.P50
	if q == 99 {
		ms = m.P99
	}
	return time.Duration(ms * float64(time.Millisecond))
}

// runPoolload writes scenario into a fresh directory under tmp, runs it
// with bin and returns the first variant of its summary and the process's
// cost.
func runPoolload(bin, tmp, scenario string) (plVariant, usage, error) {
	var v plVariant
	dir, err := os.MkdirTemp(tmp, "run-")
	if err != nil {
		return v, usage{}, err
	}
	file := filepath.Join(dir, "scenario.yaml")
	if err := os.WriteFile(file, []byte(scenario), 0o644); err != nil {
		return v, usage{}, err
	}
	out := filepath.Join(dir, "out")
	_, u, err := measure(exec.Command(bin, "run", "-q", "--no-plots", "--out", out, file))
	if err != nil {
		return v, u, err
	}
	records, _ := filepath.Glob(filepath.Join(out, "*", "summary.json"))
	if len(records) != 1 {
		return v, u, fmt.Errorf("poolload: expected one summary.json under %s, found %d", out, len(records))
	}
	var s struct {
		Variants []plVariant `json:"variants"`
	}
	b, err := os.ReadFile(records[0])
	if err == nil {
		err = json.Unmarshal(b, &s)
	}
	if err == nil && len(s.Variants) == 0 {
		err = fmt.Errorf("no variant in %s", records[0])
	}
	if err != nil {
		return v, u, fmt.Errorf("poolload summary: %w", err)
	}
	return s.Variants[0], u, nil
}

// fmtDur prints a latency with three significant digits.
func fmtDur(d time.Duration) string {
	switch {
	case d <= 0:
		return "-"
	case d < time.Millisecond:
		return fmt.Sprintf("%.0fµs", float64(d)/1e3)
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2fms", float64(d)/1e6)
	case d < time.Second:
		return fmt.Sprintf("%.1fms", float64(d)/1e6)
	}
	return fmt.Sprintf("%.2fs", d.Seconds())
}

// fmtCounts prints counters by name, largest first: "target 74813, pool 196".
func fmtCounts(m map[string]int64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { return cmp.Compare(m[b], m[a]) })
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}
