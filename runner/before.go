package runner

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"syscall"
	"time"

	"github.com/poolload/poolload/record"
	"github.com/poolload/poolload/redact"
	"github.com/poolload/poolload/scenario"
	"github.com/poolload/poolload/units"
)

// before plays v.Before and records how long it took.
func (r *Runner) before(ctx context.Context, v *scenario.Variant, pre *record.Prelude) error {
	b := v.Before
	if b == nil || !r.Segment.First() {
		return nil // one restart of the service, by the first segment
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, orDefault(b.Timeout, scenario.DefaultServiceTimeout))
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
		p, err := scenario.ParseProbe(b.Ready, r.Scenario.BaseURL())
		if err != nil {
			return fmt.Errorf("before.ready: %w", err)
		}
		if err := waitReady(ctx, p, nil); err != nil {
			return fmt.Errorf("before.ready: %w", err)
		}
	}
	pre.Before = units.Duration(time.Since(start))
	r.logf("%s: before step done in %s", v.Name, units.Short(time.Since(start).Round(time.Millisecond)))
	return nil
}

// runCommand runs cmd with sh -c in its own process group, so that a
// timeout, or poolload's death (groupWatch), kills whatever it started too;
// the error carries the end of its output.
func runCommand(ctx context.Context, command string) error {
	cmd := exec.Command("sh", "-c", command)
	cmd.SysProcAttr = groupAttr()
	out := newTailBuffer(2048)
	cmd.Stdout, cmd.Stderr = out, out
	done := make(chan error, 1)
	if err := startLocked(cmd, func(err error) { done <- err }); err != nil {
		return err
	}
	watch, err := watchGroup(cmd.Process.Pid)
	if err != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		return err
	}
	select {
	case err = <-done:
		watch.stop()
	case <-ctx.Done():
		watch.stop()
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		err = fmt.Errorf("did not finish: %w", ctx.Err())
	}
	if err != nil && out.String() != "" {
		// The command's output may echo a URL, password and all.
		return fmt.Errorf("%w; its last output:\n%s", err, redact.Text(out.String()))
	}
	return err
}
