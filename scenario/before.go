package scenario

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"syscall"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/poolload/poolload/collector"
	"github.com/poolload/poolload/driver"
)

// Before is a variant's first step, before the driver opens: restart the
// scenario's service and/or run a command (reset a cache, restart a
// container, flush a pool), then wait until the target is ready.
type Before struct {
	// Restart stops and starts the scenario's service block.
	Restart bool `yaml:"restart" json:"restart,omitempty"`
	// Run is a shell command (sh -c) run to completion; a non-zero exit
	// fails the variant.
	Run string `yaml:"run" json:"run,omitempty"`
	// Ready is probed after the step, as the service block's ready is
	// (default: the service's probe when restarting, else none).
	Ready string `yaml:"ready" json:"ready,omitempty"`
	// Timeout bounds the whole step (default 30s).
	Timeout driver.Duration `yaml:"timeout" json:"timeout,omitempty"`
}

// UnmarshalYAML also takes the short form `before: COMMAND`, which is
// {run: COMMAND}.
func (b *Before) UnmarshalYAML(data []byte) error {
	type plain Before // no methods: no recursion
	var full plain
	if err := yaml.Unmarshal(data, &full); err == nil {
		*b = Before(full)
		return nil
	}
	var cmd string
	if err := yaml.Unmarshal(data, &cmd); err != nil {
		return fmt.Errorf("before: want a command or {restart, run, ready, timeout}: %w", err)
	}
	*b = Before{Run: cmd}
	return nil
}

// before plays v.Before and records how long it took.
func (r *Runner) before(ctx context.Context, v *Variant, pre *collector.Prelude) error {
	b := v.Before
	if b == nil {
		return nil
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, orDefault(b.Timeout, DefaultServiceTimeout))
	defer cancel()
	if b.Restart {
		if r.Target.Service == nil {
			return errors.New("before.restart: the scenario has no service block to restart")
		}
		if err := r.Target.Service.Restart(ctx); err != nil {
			return fmt.Errorf("restarting the service: %w", err)
		}
		pre.Restarted = true
	}
	if b.Run != "" {
		if err := runCommand(ctx, b.Run); err != nil {
			return fmt.Errorf("before.run: %w", err)
		}
	}
	if b.Ready != "" {
		p, err := parseProbe(b.Ready, r.Scenario.baseURL())
		if err != nil {
			return fmt.Errorf("before.ready: %w", err)
		}
		if err := p.wait(ctx, nil); err != nil {
			return fmt.Errorf("before.ready: %w", err)
		}
	}
	pre.Before = driver.Duration(time.Since(start))
	r.logf("%s: before step done in %s", v.Name, short(time.Since(start).Round(time.Millisecond)))
	return nil
}

// runCommand runs cmd with sh -c in its own process group, so that a
// timeout kills whatever it started too; the error carries the end of its
// output.
func runCommand(ctx context.Context, command string) error {
	cmd := exec.Command("sh", "-c", command)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out := newTailBuffer(2048)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		err = fmt.Errorf("did not finish: %w", ctx.Err())
	}
	if err != nil && out.String() != "" {
		return fmt.Errorf("%w; its last output:\n%s", err, out.String())
	}
	return err
}
