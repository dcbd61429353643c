package main

import (
	"bytes"
	"fmt"
	"os"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/urfave/cli/v2"

	"github.com/poolload/poolload/driver"
	"github.com/poolload/poolload/engine"
	"github.com/poolload/poolload/runner"
	"github.com/poolload/poolload/scenario"
)

// Where the manifests put things, and who runs them.
const (
	// k8sUID is distroless's nonroot user, which deploy/Dockerfile's
	// image runs as.
	k8sUID         = 65532
	k8sRecords     = "/records"
	k8sScenarioDir = "/scenario"
	// k8sIndexEnv is the variable the Job controller sets in an Indexed
	// Job's pods. The manifests declare it themselves from the pod's
	// annotation, so that the $(JOB_COMPLETION_INDEX) in --out is defined
	// by what is written, not by what the controller adds.
	k8sIndexEnv   = "JOB_COMPLETION_INDEX"
	k8sIndexField = "metadata.annotations['batch.kubernetes.io/job-completion-index']"
	// k8sMargin is what a Job gets beyond its timeline for starting,
	// setup, teardown and writing: past its deadline Kubernetes stops it.
	k8sMargin = 10 * time.Minute
	// k8sMaxBase bounds --name, so that every name made from it (the Job
	// with a run stamp, then each pod's hostname with its index) stays
	// within the 63 characters of a label value.
	k8sMaxBase = 30
)

var (
	dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	quantity = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$`)
)

func k8sCommand() *cli.Command {
	return &cli.Command{
		Name:      "k8s",
		Usage:     "print Kubernetes manifests that run a scenario as N segments (an Indexed Job) and merge their records",
		ArgsUsage: "SCENARIO",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "segments", Usage: "the number of segments N, one pod each", Required: true},
			&cli.StringFlag{Name: "image", Usage: "the poolload image (deploy/Dockerfile)", Required: true},
			&cli.StringFlag{Name: "namespace", Usage: "the namespace of every object (default: kubectl's)"},
			&cli.DurationFlag{Name: "lead", Value: 2 * time.Minute, Usage: "the shared start is this long after now: time to apply, schedule and pull the image"},
			&cli.DurationFlag{Name: "prelude-slot", Value: runner.DefaultPreludeSlot, Usage: "passed to every segment's run (see run --prelude-slot)"},
			&cli.StringFlag{Name: "name", Usage: "the prefix of every object's name (default: poolload-SCENARIO)"},
			&cli.StringFlag{Name: "storage-class", Usage: "the storage class of the records' claim; it must offer ReadWriteMany (default: the cluster's)"},
			&cli.StringFlag{Name: "storage", Value: "1Gi", Usage: "the size of the records' claim"},
			&cli.StringFlag{Name: "cpu", Value: "1", Usage: "each pod's CPU request (no limit: a throttled generator measures its own stalls)"},
			&cli.StringFlag{Name: "memory", Usage: "each segment pod's memory request and limit (default: estimated from the plan)"},
			&cli.StringFlag{Name: "merge-memory", Usage: "the merge pod's memory request and limit (default: estimated from the plan)"},
			&cli.StringFlag{Name: "secret", Usage: "a Secret whose keys become the segments' environment, for the scenario's ${VAR}s"},
		},
		Action: k8sAction,
	}
}

// k8sPlan is everything the manifests are made from.
type k8sPlan struct {
	s         *scenario.Scenario
	text      []byte // the file as written: each pod resolves its ${VAR}s
	key       string // the file's name in the ConfigMap and under /scenario
	n         int
	name, run string // the objects' prefix and this render's stamp
	start     time.Time
	span      time.Duration // from start to the end of the last window
	lead      time.Duration
	// segMemory and mergeMemory are the pods' memory.
	segMemory, mergeMemory k8sMemory
	c                      *cli.Context
}

func k8sAction(c *cli.Context) error {
	file, err := oneFile(c)
	if err != nil {
		return err
	}
	p, err := newK8sPlan(c, file)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "# poolload k8s: scenario %s in %d segments, image %s.\n", p.s.Name, p.n, c.String("image"))
	fmt.Fprintf(&b, "# Every segment keeps to one timeline from %s (rendered at %s + %s):\n",
		p.start.Format(time.RFC3339), p.start.Add(-p.lead).Format(time.RFC3339), p.lead)
	fmt.Fprintf(&b, "# apply these before then. Records: claim %s, folder %s (seg-0 to seg-%d, then merged).\n",
		p.claim(), p.dir(), p.n-1)
	for _, o := range p.objects() {
		y, err := yaml.MarshalWithOptions(o, yaml.UseLiteralStyleIfMultiline(true))
		if err != nil {
			return fmt.Errorf("rendering the %s %s: %w", o.Kind, o.Metadata.Name, err)
		}
		b.WriteString("---\n")
		b.Write(y)
	}
	_, err = c.App.Writer.Write(b.Bytes())
	return err
}

// newK8sPlan reads the scenario and the flags, and refuses what a split
// load on a cluster cannot run.
func newK8sPlan(c *cli.Context, file string) (*k8sPlan, error) {
	n, lead := c.Int("segments"), c.Duration("lead")
	if n < 2 || n > engine.MaxSegments {
		return nil, badInput("--segments %d: want 2 to %d (one segment is a plain run)", n, engine.MaxSegments)
	}
	if lead <= 0 || lead > 24*time.Hour {
		return nil, badInput("--lead %s: want more than 0 and at most a day", lead)
	}
	for _, f := range []string{"storage", "cpu", "memory", "merge-memory"} {
		if c.IsSet(f) && !quantity.MatchString(c.String(f)) {
			return nil, badInput("--%s %q: want a Kubernetes quantity such as 500m, 2 or 512Mi", f, c.String(f))
		}
	}
	text, err := os.ReadFile(file)
	if err != nil {
		return nil, badInput("%v", err)
	}
	s, err := scenario.Parse(file, text, nil)
	if err != nil {
		return nil, &exitError{code: exitBadInput, err: err}
	}
	// A segment other than the first takes the driver's follower block
	// (no setup, no managed server): what it refuses, it refuses here.
	if reg, ok := driver.Lookup(s.Target.Driver); ok && reg.Follower != nil {
		if _, err := reg.Follower(s.Target.Block()); err != nil {
			return nil, badInput("%s: %v", file, err)
		}
	}
	name := c.String("name")
	if name == "" {
		name = strings.Trim(("poolload-" + strings.ReplaceAll(s.Name, "_", "-"))[:min(k8sMaxBase, len("poolload-")+len(s.Name))], "-")
	}
	if len(name) > k8sMaxBase || !dnsLabel.MatchString(name) {
		return nil, badInput("--name %q: want at most %d of a-z, 0-9 and -, starting and ending with a letter or digit", name, k8sMaxBase)
	}
	now := time.Now().UTC()
	start := now.Add(lead).Truncate(time.Second)
	if start.Before(now.Add(lead)) {
		start = start.Add(time.Second)
	}
	tl := runner.NewTimeline(start, s, c.Duration("prelude-slot"))
	last := len(runner.Plan(s)) - 1
	l := &s.Load
	end := tl.T0(last).Add(runner.ScheduleOf(l).Duration() + l.GracefulStop.D() + s.Output.Interval.D())
	warnShell(c, s)
	hists := recordHists(s)
	seg, merge := podMemory(c.String("memory"), hists), mergeMemory(c.String("merge-memory"), n, hists)
	if !c.IsSet("merge-memory") && merge.request > 4<<30 {
		fmt.Fprintf(c.App.ErrWriter, "poolload: warning: the merge pod asks for %s of memory (at most %s): it reads the "+
			"merged record back whole, each interval's histogram of each metric decoded; --merge-memory sets it\n",
			mebibytes(merge.request), mebibytes(merge.limit))
	}
	return &k8sPlan{s: s, text: text, key: s.Name + ".yaml", n: n, name: name,
		run: start.Format("20060102-150405"), start: start, span: end.Sub(start), lead: lead, c: c,
		segMemory: seg, mergeMemory: merge}, nil
}

// warnShell says what the image cannot run: it has no shell, and segment 1
// runs the service block and before: commands with sh -c.
func warnShell(c *cli.Context, s *scenario.Scenario) {
	shell := s.Service != nil
	for _, v := range s.Variants {
		shell = shell || v.Before != nil && v.Before.Run != ""
	}
	if shell {
		fmt.Fprintln(c.App.ErrWriter, "poolload: warning: the scenario runs shell commands (service.run or before.run) in segment 1; "+
			"the image of deploy/Dockerfile has no shell: use an image that has one")
	}
}

func (p *k8sPlan) claim() string          { return p.name + "-records" }
func (p *k8sPlan) job() string            { return p.name + "-" + p.run }
func (p *k8sPlan) dir() string            { return path.Join(k8sRecords, p.run) }
func (p *k8sPlan) segDir(i string) string { return path.Join(p.dir(), "seg-"+i) }

// labels mark every object of this render; component tells its part.
func (p *k8sPlan) labels(component string) map[string]string {
	return map[string]string{"app.kubernetes.io/name": "poolload", "app.kubernetes.io/instance": p.name,
		"app.kubernetes.io/component": component, "poolload/run": p.run}
}

func (p *k8sPlan) meta(name, component string) k8sMeta {
	return k8sMeta{Name: name, Namespace: p.c.String("namespace"), Labels: p.labels(component)}
}

// segmentArgs is the command line of every segment's pod: the same for
// all, the index read from the environment.
func (p *k8sPlan) segmentArgs() []string {
	return []string{"run", "--segments", strconv.Itoa(p.n), "--segment-index-from-env", k8sIndexEnv,
		"--start-at", p.start.Format(time.RFC3339), "--prelude-slot", p.c.Duration("prelude-slot").String(),
		"--no-plots", "--out", p.segDir("$(" + k8sIndexEnv + ")"), path.Join(k8sScenarioDir, p.key)}
}

// mergeArgs waits for every segment's folder to hold a finished record,
// then merges them: a Job cannot wait for another, so the merge Job starts
// with the segments and waits as long as their Job may run.
func (p *k8sPlan) mergeArgs() []string {
	args := []string{"merge", "--wait", p.deadline().String(), path.Join(p.dir(), "merged")}
	for i := range p.n {
		args = append(args, p.segDir(strconv.Itoa(i)))
	}
	return args
}

// deadline is how long the segments' Job may run: until the end of its
// timeline, and a margin; in whole seconds, as a Job counts it.
func (p *k8sPlan) deadline() time.Duration {
	return time.Duration(seconds(p.lead+p.span+k8sMargin)) * time.Second
}

func (p *k8sPlan) objects() []k8sObject {
	claim := k8sClaimSpec{AccessModes: []string{"ReadWriteMany"}, StorageClassName: p.c.String("storage-class"),
		Resources: k8sResources{Requests: map[string]string{"storage": p.c.String("storage")}}}
	return []k8sObject{
		{APIVersion: "v1", Kind: "PersistentVolumeClaim", Metadata: p.meta(p.claim(), "records"), Spec: claim},
		{APIVersion: "v1", Kind: "ConfigMap", Metadata: p.meta(p.job()+"-scenario", "scenario"),
			Data: map[string]string{p.key: string(p.text)}},
		p.segmentJob(),
		p.mergeJob(),
	}
}
