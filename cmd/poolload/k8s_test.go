package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/poolload/poolload/record"
)

const k8sScenario = `name: k8s_local
target: {driver: noop, noop: {delay: 2ms}}
load: {executor: constant-arrival-rate, rate: 200, duration: 1s, pre_allocated_vus: 16, graceful_stop: 1s}
variants:
  - name: cold
  - name: warm
    warmup: {rate: 100, duration: 300ms}
output: {interval: 500ms}
`

// The commands the manifests give the pods, run here as they would run
// there: the ConfigMap's file at /scenario, the claim at /records, each
// segment pod with its JOB_COMPLETION_INDEX and $(VAR)s expanded as the
// kubelet does, and the merge Job's command started beside them, as it is
// on a cluster. The merged record holds the one-process plan.
func TestK8sCommandsRunLocally(t *testing.T) {
	file := writeFile(t, "k8s.yaml", k8sScenario)
	code, out, stderr := runCLI(t, "k8s", "--segments", "2", "--image", "poolload:test", "--lead", "4s", "--prelude-slot", "1s", file)
	if code != exitOK {
		t.Fatalf("k8s: exit %d\n%s", code, stderr)
	}
	docs := k8sDocs(t, out)
	records, scen := t.TempDir(), t.TempDir()
	local := func(arg string) string {
		arg = strings.Replace(arg, k8sRecords, records, 1)
		return strings.Replace(arg, k8sScenarioDir, scen, 1)
	}
	for name, text := range docs["ConfigMap"][0]["data"].(map[string]any) {
		if err := os.WriteFile(filepath.Join(scen, name), []byte(text.(string)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	jobs := docs["Job"]
	if len(jobs) != 2 {
		t.Fatalf("%d Jobs, want the segments' and the merge's", len(jobs))
	}
	segCmd, segEnv := podCommand(t, jobs[0])
	mergeCmd, _ := podCommand(t, jobs[1])
	start := func(argv []string, env ...string) (*exec.Cmd, *bytes.Buffer) {
		if argv[0] != "poolload" {
			t.Fatalf("the container runs %q, not the image's poolload", argv[0])
		}
		args := make([]string, len(argv)-1)
		for i, a := range argv[1:] {
			args[i] = local(expandK8s(a, env))
		}
		var b bytes.Buffer
		cmd := exec.Command(os.Args[0], args...)
		cmd.Env = append(append(os.Environ(), cliEnv+"=1"), env...)
		cmd.Stdout, cmd.Stderr = &b, &b
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill() })
		return cmd, &b
	}
	if len(segEnv) != 1 || segEnv[0] != k8sIndexEnv {
		t.Fatalf("segment pod env %v: want %s alone", segEnv, k8sIndexEnv)
	}
	merge, mergeOut := start(mergeCmd)
	var segs []*exec.Cmd
	var segOuts []*bytes.Buffer
	for i := range 2 {
		c, b := start(segCmd, k8sIndexEnv+"="+strconv.Itoa(i))
		segs, segOuts = append(segs, c), append(segOuts, b)
	}
	for i, c := range segs {
		if err := c.Wait(); err != nil {
			t.Fatalf("segment pod %d: %v\n%s", i, err, segOuts[i])
		}
	}
	done := make(chan error, 1)
	go func() { done <- merge.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("merge pod: %v\n%s", err, mergeOut)
		}
	case <-time.After(time.Minute):
		t.Fatalf("the merge pod did not end a minute after the segments\n%s", mergeOut)
	}
	t.Logf("merge pod said:\n%s", mergeOut)
	if !strings.Contains(mergeOut.String(), "waiting up to") {
		t.Errorf("the merge pod did not wait for the segments:\n%s", mergeOut)
	}
	merged, _ := filepath.Glob(filepath.Join(records, "*", "merged"))
	if len(merged) != 1 {
		t.Fatalf("merged records under the claim: %v", merged)
	}
	rec, err := record.Open(merged[0])
	if err != nil {
		t.Fatal(err)
	}
	if rec.Info.Status != record.StatusComplete || len(rec.Info.MergedFrom) != 2 || len(rec.Info.Windows) != 2 {
		t.Fatalf("merged: status %s, from %v, %d windows", rec.Info.Status, rec.Info.MergedFrom, len(rec.Info.Windows))
	}
	for _, w := range rec.Info.Windows {
		if w.Planned != 200 || w.Totals.Started() != 200 || w.Totals.Dropped != 0 {
			t.Errorf("%s: planned %d, started %d, dropped %d; want the one-process plan's 200", w.Variant, w.Planned, w.Totals.Started(), w.Totals.Dropped)
		}
	}
	for i := range 2 {
		if recs, _ := recordsIn(filepath.Join(filepath.Dir(merged[0]), "seg-"+strconv.Itoa(i))); len(recs) != 1 {
			t.Errorf("seg-%d holds %d records, want its pod's one", i, len(recs))
		}
	}
}

// k8sDocs splits poolload k8s's output into its documents, by kind.
func k8sDocs(t *testing.T, out string) map[string][]map[string]any {
	t.Helper()
	docs := map[string][]map[string]any{}
	for _, d := range strings.Split(out, "\n---\n")[1:] {
		var m map[string]any
		if err := yaml.Unmarshal([]byte(d), &m); err != nil {
			t.Fatalf("%v\n%s", err, d)
		}
		kind, _ := m["kind"].(string)
		docs[kind] = append(docs[kind], m)
	}
	return docs
}

// podCommand returns a Job's container's command line and the names of
// its variables.
func podCommand(t *testing.T, job map[string]any) (argv, env []string) {
	t.Helper()
	c := job["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)
	for _, key := range []string{"command", "args"} {
		for _, a := range c[key].([]any) {
			argv = append(argv, a.(string))
		}
	}
	if e, ok := c["env"].([]any); ok {
		for _, v := range e {
			env = append(env, v.(map[string]any)["name"].(string))
		}
	}
	return argv, env
}

// expandK8s replaces $(NAME) with NAME's value from env (NAME=value), as
// the kubelet expands a container's arguments.
func expandK8s(arg string, env []string) string {
	return regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`).ReplaceAllStringFunc(arg, func(ref string) string {
		name := ref[2 : len(ref)-1]
		for _, kv := range env {
			if k, v, _ := strings.Cut(kv, "="); k == name {
				return v
			}
		}
		return ref // the kubelet leaves an undefined reference as written
	})
}

// What poolload k8s and run's index from the environment refuse, before
// anything runs.
func TestK8sRefusals(t *testing.T) {
	file := writeFile(t, "k8s.yaml", k8sScenario)
	t.Setenv("POOLLOAD_TEST_INDEX", "2")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"k8s", "--segments", "1", "--image", "x", file}, "--segments 1: want 2 to"},
		{[]string{"k8s", "--segments", "2", "--image", "x", "--name", "Bad_Name", file}, `--name "Bad_Name"`},
		{[]string{"k8s", "--segments", "2", "--image", "x", "--memory", "lots", file}, `--memory "lots"`},
		{[]string{"k8s", "--segments", "2", "--image", "x", "../../scenarios/quickstart.yaml"}, "managed cannot be split"},
		{[]string{"run", "--segments", "2", "--start-at", "1", file}, "--segments needs --segment-index-from-env"},
		{[]string{"run", "--segment-index-from-env", "POOLLOAD_TEST_UNSET", "--segments", "2", "--start-at", "1", file}, "POOLLOAD_TEST_UNSET is not set"},
		{[]string{"run", "--segment-index-from-env", "POOLLOAD_TEST_INDEX", "--segments", "2", "--start-at", "1", file}, "want an index from 0 to 1"},
		{[]string{"run", "--segment-index-from-env", "POOLLOAD_TEST_INDEX", "--segment", "1/2", "--start-at", "1", file}, "give one"},
	} {
		code, _, stderr := runCLI(t, tc.args...)
		if code != exitBadInput || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, %q; want exit %d and %q", tc.args, code, stderr, exitBadInput, tc.want)
		}
	}
}

// The merge pod holds the segments' histograms encoded and reads back only
// the merged record decoded: its memory grows with the segments by their
// encoded logs, not by a decoded record each (bench/merge: 16 segments of
// 5 minutes peak at 0.2–0.4 GB where decoding them all took 3.8 GB).
func TestMergePodMemory(t *testing.T) {
	const hists = 302 * 11 // 5 minutes at 1 s, every metric
	one, sixteen := mergeMemory("", 1, hists), mergeMemory("", 16, hists)
	if grow := sixteen.request - one.request; grow != 15*hists*histEncoded {
		t.Errorf("16 segments ask %d bytes more than 1, want their encoded logs: %d", grow, 15*hists*histEncoded)
	}
	if sixteen.request > 1<<30 || sixteen.limit < sixteen.request {
		t.Errorf("merging 16 segments of 5 minutes: request %s, limit %s; want under 1 GiB, limit at least the request",
			mebibytes(sixteen.request), mebibytes(sixteen.limit))
	}
}
