package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/poolload/poolload/collector"
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
	rec, err := collector.Open(dirs[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range rec.Info.Windows {
		n := rec.Merged(w.Variant, w.Rep, collector.Latency).TotalCount()
		if w.Status != collector.StatusComplete || n != w.Totals.Iterations || n < 195 {
			t.Errorf("window %s.%d: status %s, %d latencies for %d iterations", w.Variant, w.Rep, w.Status, n, w.Totals.Iterations)
		}
	}
	if _, err := os.Stat(filepath.Join(dirs[0], collector.SummaryFile)); err != nil {
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

// TestScenariosRunAsDocumented keeps every scenario in scenarios/ working:
// each must validate, and the ones that need nothing outside this machine
// must run to completion.
func TestScenariosRunAsDocumented(t *testing.T) {
	files, _ := filepath.Glob("../../scenarios/*.yaml")
	if len(files) == 0 {
		t.Fatal("no scenarios found")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			code, stdout, stderr := runCLI(t, "run", "--quiet", "--out", t.TempDir(), f)
			if code != exitOK {
				t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
			}
			if !strings.Contains(stdout, "(complete)") {
				t.Errorf("summary does not say complete:\n%s", stdout)
			}
		})
	}
}
