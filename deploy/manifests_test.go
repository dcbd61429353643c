// Package deploy holds no code: its tests decode what poolload k8s prints
// with the Kubernetes API's own types, strictly, in a module of its own so
// that poolload does not depend on k8s.io.
package deploy

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	kjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	"k8s.io/apimachinery/pkg/util/validation"
	kyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// poolload is the main module's CLI, built once for the tests.
var poolload string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "poolload-deploy")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	poolload = filepath.Join(dir, "poolload")
	// Built as deploy/Dockerfile builds it, so that the binary tested is
	// the kind the image holds.
	build := exec.Command("go", "build", "-trimpath", "-o", poolload, "./cmd/poolload")
	build.Dir = ".." // the main module
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	code := 1
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building poolload:", err)
	} else {
		code = m.Run()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

const scenarioText = `name: checkout_pool
target: {driver: noop, noop: {delay: 1ms}}
load: {executor: constant-arrival-rate, rate: 1600, duration: 5m, pre_allocated_vus: 64, graceful_stop: 5s}
variants:
  - name: cold
  - name: warm
    warmup: {rate: 400, duration: 30s}
repeat: 2
`

// manifests is what one render printed, decoded.
type manifests struct {
	claims  []*corev1.PersistentVolumeClaim
	maps    []*corev1.ConfigMap
	jobs    []*batchv1.Job
	objects []metaObject
}

type metaObject interface {
	GetName() string
	GetNamespace() string
	GetLabels() map[string]string
}

// render runs poolload k8s and decodes every document strictly: an
// unknown or duplicated field, a wrong type, a kind this test does not
// expect, all fail.
func render(t *testing.T, args ...string) (*manifests, time.Time) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := exec.Command(poolload, append([]string{"k8s"}, args...)...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	before := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("poolload k8s %v: %v\n%s", args, err, errOut.String())
	}
	dec := strictDecoder(t)
	m := &manifests{}
	r := kyaml.NewYAMLReader(bufio.NewReader(&out))
	for n := 1; ; n++ {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("document %d: %v", n, err)
		}
		if len(bytes.TrimSpace(stripComments(doc))) == 0 {
			continue
		}
		obj, gvk, err := dec.Decode(doc, nil, nil)
		if err != nil {
			t.Fatalf("document %d does not decode strictly: %v\n%s", n, err, doc)
		}
		switch o := obj.(type) {
		case *corev1.PersistentVolumeClaim:
			m.claims = append(m.claims, o)
		case *corev1.ConfigMap:
			m.maps = append(m.maps, o)
		case *batchv1.Job:
			m.jobs = append(m.jobs, o)
		default:
			t.Fatalf("document %d: unexpected %s", n, gvk)
		}
		m.objects = append(m.objects, obj.(metaObject))
	}
	if len(m.claims) != 1 || len(m.maps) != 1 || len(m.jobs) != 2 {
		t.Fatalf("%d claims, %d config maps, %d jobs: want 1, 1 and 2 (segments, merge)", len(m.claims), len(m.maps), len(m.jobs))
	}
	return m, before
}

// strictDecoder decodes YAML into the core/v1 and batch/v1 types, and
// fails on a field they do not have or one given twice.
func strictDecoder(t *testing.T) runtime.Decoder {
	t.Helper()
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, batchv1.AddToScheme} {
		if err := add(scheme); err != nil {
			t.Fatal(err)
		}
	}
	return kjson.NewSerializerWithOptions(kjson.DefaultMetaFactory, scheme, scheme, kjson.SerializerOptions{Yaml: true, Strict: true})
}

// The decoder refuses what the API server would: a test that passes
// because the decoder is lenient proves nothing.
func TestDecoderIsStrict(t *testing.T) {
	for _, doc := range []string{
		"apiVersion: batch/v1\nkind: Job\nmetadata: {name: a}\nspec: {completion: 4}\n",
		"apiVersion: batch/v1\nkind: Job\nmetadata: {name: a}\nspec: {completions: 4, completions: 5}\n",
		"apiVersion: batch/v1\nkind: Job\nmetadata: {name: a}\nspec: {completions: \"4\"}\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, labels: {x: 1}}\n",
	} {
		if _, _, err := strictDecoder(t).Decode([]byte(doc), nil, nil); err == nil {
			t.Errorf("accepted:\n%s", doc)
		}
	}
}

func stripComments(doc []byte) []byte {
	var b bytes.Buffer
	for _, l := range strings.Split(string(doc), "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			b.WriteString(l + "\n")
		}
	}
	return b.Bytes()
}

func TestManifestsDecodeStrictlyAndSplitTheLoad(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "checkout.yaml")
	if err := os.WriteFile(file, []byte(scenarioText), 0o644); err != nil {
		t.Fatal(err)
	}
	const n = 16
	m, rendered := render(t, "--segments", strconv.Itoa(n), "--image", "registry.example/poolload:1.0",
		"--namespace", "load", "--storage-class", "shared-nfs", "--lead", "3m", "--secret", "db-dsn", file)

	for _, o := range m.objects {
		checkNames(t, o, "load")
	}
	claim, cm := m.claims[0], m.maps[0]
	if !slices.Contains(claim.Spec.AccessModes, corev1.ReadWriteMany) {
		t.Errorf("claim %s: access modes %v, want ReadWriteMany: every pod writes to it at once, from any node", claim.Name, claim.Spec.AccessModes)
	}
	if sc := claim.Spec.StorageClassName; sc == nil || *sc != "shared-nfs" {
		t.Errorf("claim storage class %v, want shared-nfs", sc)
	}
	if q := claim.Spec.Resources.Requests[corev1.ResourceStorage]; q.IsZero() {
		t.Errorf("claim requests no storage")
	}
	for key, text := range cm.Data {
		if errs := validation.IsConfigMapKey(key); len(errs) > 0 {
			t.Errorf("config map key %q: %v", key, errs)
		}
		if text != scenarioText {
			t.Errorf("config map %s: the scenario is not as written:\n%s", key, text)
		}
	}

	seg, merge := m.jobs[0], m.jobs[1]
	s := seg.Spec
	if s.CompletionMode == nil || *s.CompletionMode != batchv1.IndexedCompletion {
		t.Fatalf("segments' job: completion mode %v, want Indexed", s.CompletionMode)
	}
	if s.Completions == nil || *s.Completions != n || s.Parallelism == nil || *s.Parallelism != n {
		t.Errorf("segments' job: completions %v, parallelism %v, want %d and %d: every segment at once", s.Completions, s.Parallelism, n, n)
	}
	if s.BackoffLimitPerIndex == nil || *s.BackoffLimitPerIndex != 0 {
		t.Errorf("segments' job: backoffLimitPerIndex %v, want 0: a retry misses its place on the timeline", s.BackoffLimitPerIndex)
	}
	// An Indexed Job's pod is named <job>-<index>: a hostname, 63 at most.
	if l := len(seg.Name) + 1 + len(strconv.Itoa(n-1)); l > validation.DNS1123LabelMaxLength {
		t.Errorf("segments' job %s: its pods' hostnames would be %d characters", seg.Name, l)
	}
	pod := &s.Template.Spec
	checkPod(t, "segments' job", pod, claim.Name)
	c := pod.Containers[0]
	if len(c.EnvFrom) != 1 || c.EnvFrom[0].SecretRef == nil || c.EnvFrom[0].SecretRef.Name != "db-dsn" {
		t.Errorf("segments' container env from %+v, want the secret db-dsn", c.EnvFrom)
	}
	scenarioMount := mountOf(t, pod, c, func(v corev1.Volume) bool { return v.ConfigMap != nil && v.ConfigMap.Name == cm.Name })
	recordsMount := mountOf(t, pod, c, func(v corev1.Volume) bool { return v.PersistentVolumeClaim != nil })

	// Each pod's command line, as the kubelet makes it from the template
	// with the pod's JOB_COMPLETION_INDEX.
	var outs []string
	var start time.Time
	for i := range n {
		env := podEnv(t, c, i)
		args := expand(c.Args, env)
		if got := flag(t, args, "--segments"); got != strconv.Itoa(n) {
			t.Errorf("pod %d: --segments %s, want %d", i, got, n)
		}
		if v := flag(t, args, "--segment-index-from-env"); env[v] != strconv.Itoa(i) {
			t.Errorf("pod %d: its index comes from %s=%q, want %d", i, v, env[v], i)
		}
		at, err := time.Parse(time.RFC3339, flag(t, args, "--start-at"))
		if err != nil {
			t.Fatalf("pod %d: --start-at: %v", i, err)
		}
		if i == 0 {
			start = at
		} else if !at.Equal(start) {
			t.Errorf("pod %d starts its timeline at %s, pod 0 at %s", i, at, start)
		}
		out := flag(t, args, "--out")
		if !strings.HasPrefix(out, recordsMount+"/") || strings.Contains(out, "$(") {
			t.Errorf("pod %d writes to %s, not a folder of its own on the claim at %s", i, out, recordsMount)
		}
		outs = append(outs, out)
		if f := args[len(args)-1]; filepath.Dir(f) != scenarioMount || cm.Data[filepath.Base(f)] == "" {
			t.Errorf("pod %d runs %s, which is not the config map's file under %s", i, f, scenarioMount)
		}
	}
	if d := start.Sub(rendered); d < 3*time.Minute-time.Second || d > 3*time.Minute+5*time.Second {
		t.Errorf("--start-at %s is %s after the render: want the lead, 3m, in the future", start.Format(time.RFC3339), d)
	}
	if len(slices.Compact(slices.Sorted(slices.Values(outs)))) != n {
		t.Errorf("the pods' folders are not all different: %v", outs)
	}

	// The merge Job waits for exactly those folders, past the start.
	checkPod(t, "merge job", &merge.Spec.Template.Spec, claim.Name)
	if merge.Spec.CompletionMode != nil && *merge.Spec.CompletionMode == batchv1.IndexedCompletion ||
		merge.Spec.Completions == nil || *merge.Spec.Completions != 1 {
		t.Errorf("merge job: completions %v, mode %v: want one plain pod", merge.Spec.Completions, merge.Spec.CompletionMode)
	}
	mc := merge.Spec.Template.Spec.Containers[0]
	margs := mc.Args
	if len(margs) != 4+n || margs[0] != "merge" || margs[1] != "--wait" {
		t.Fatalf("merge job args %q: want merge --wait D OUT and the %d folders", margs, n)
	}
	if wait, err := time.ParseDuration(margs[2]); err != nil || rendered.Add(wait).Before(start.Add(5*time.Minute)) {
		t.Errorf("merge --wait %s: it would give up before the segments could end", margs[2])
	}
	if !slices.Equal(margs[4:], outs) {
		t.Errorf("merge job merges %q, the segments write %q", margs[4:], outs)
	}
	if o := margs[3]; !strings.HasPrefix(o, recordsMount+"/") || slices.Contains(outs, o) {
		t.Errorf("merge job writes %s: want a folder of its own on the claim", o)
	}
	if ds := merge.Spec.ActiveDeadlineSeconds; ds == nil || *ds <= *seg.Spec.ActiveDeadlineSeconds {
		t.Errorf("merge job deadline %v: want it longer than the segments' %v, which it waits for", ds, seg.Spec.ActiveDeadlineSeconds)
	}
}

// checkNames checks what the API server's validation would of a name,
// a namespace and labels.
func checkNames(t *testing.T, o metaObject, ns string) {
	t.Helper()
	if errs := validation.IsDNS1123Label(o.GetName()); len(errs) > 0 {
		t.Errorf("name %q: %v", o.GetName(), errs)
	}
	if o.GetNamespace() != ns {
		t.Errorf("%s: namespace %q, want %q", o.GetName(), o.GetNamespace(), ns)
	}
	for k, v := range o.GetLabels() {
		if errs := append(validation.IsQualifiedName(k), validation.IsValidLabelValue(v)...); len(errs) > 0 {
			t.Errorf("%s: label %s=%s: %v", o.GetName(), k, v, errs)
		}
	}
}

// checkPod checks what both Jobs' pods must be: poolload, non-root and
// unprivileged, with resource requests, never restarted, the claim mounted.
func checkPod(t *testing.T, what string, pod *corev1.PodSpec, claim string) {
	t.Helper()
	if len(pod.Containers) != 1 {
		t.Fatalf("%s: %d containers, want 1", what, len(pod.Containers))
	}
	c := pod.Containers[0]
	if !slices.Equal(c.Command, []string{"poolload"}) {
		t.Errorf("%s: command %q, want poolload (on the image's PATH: deploy/Dockerfile)", what, c.Command)
	}
	if pod.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("%s: restart policy %s, want Never: a restarted run leaves a second record", what, pod.RestartPolicy)
	}
	sc := pod.SecurityContext
	if sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser == 0 {
		t.Errorf("%s: pod security context %+v, want runAsNonRoot and a non-zero runAsUser", what, sc)
	} else if *sc.RunAsUser != imageUser(t) {
		t.Errorf("%s: runs as %d, the image as %d", what, *sc.RunAsUser, imageUser(t))
	}
	cs := c.SecurityContext
	if cs == nil || cs.AllowPrivilegeEscalation == nil || *cs.AllowPrivilegeEscalation ||
		cs.Capabilities == nil || !slices.Contains(cs.Capabilities.Drop, "ALL") {
		t.Errorf("%s: container security context %+v, want no privilege escalation and every capability dropped", what, cs)
	}
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if q := c.Resources.Requests[r]; q.IsZero() {
			t.Errorf("%s: no %s request", what, r)
		}
	}
	if req, lim := c.Resources.Requests[corev1.ResourceMemory], c.Resources.Limits[corev1.ResourceMemory]; lim.Cmp(req) < 0 {
		t.Errorf("%s: memory limit %s below the request %s", what, &lim, &req)
	}
	if _, ok := c.Resources.Limits[corev1.ResourceCPU]; ok {
		t.Errorf("%s: a CPU limit throttles the generator", what)
	}
	mountOf(t, pod, c, func(v corev1.Volume) bool {
		return v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == claim
	})
}

// mountOf returns where c mounts the one volume of pod that is.
func mountOf(t *testing.T, pod *corev1.PodSpec, c corev1.Container, is func(corev1.Volume) bool) string {
	t.Helper()
	for _, v := range pod.Volumes {
		if !is(v) {
			continue
		}
		for _, m := range c.VolumeMounts {
			if m.Name == v.Name {
				return m.MountPath
			}
		}
		t.Fatalf("volume %s is not mounted", v.Name)
	}
	t.Fatalf("no such volume among %+v", pod.Volumes)
	return ""
}

// podEnv is the environment pod i's container gets from its template: a
// value, or the completion index from the annotation the Job controller
// sets on pod i.
func podEnv(t *testing.T, c corev1.Container, i int) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom == nil:
			env[e.Name] = e.Value
		case e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.annotations['"+batchv1.JobCompletionIndexAnnotation+"']":
			env[e.Name] = strconv.Itoa(i)
		default:
			t.Fatalf("env %s: a source this test does not know: %+v", e.Name, e.ValueFrom)
		}
	}
	return env
}

var varRef = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)

// expand replaces $(NAME) in args as the kubelet does: with NAME's value
// when the container defines NAME, else left as written.
func expand(args []string, env map[string]string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = varRef.ReplaceAllStringFunc(a, func(ref string) string {
			if v, ok := env[ref[2:len(ref)-1]]; ok {
				return v
			}
			return ref
		})
	}
	return out
}

// flag returns the value after name in args.
func flag(t *testing.T, args []string, name string) string {
	t.Helper()
	i := slices.Index(args, name)
	if i < 0 || i+1 >= len(args) {
		t.Fatalf("%q has no %s", args, name)
	}
	return args[i+1]
}
