package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/poolload/poolload/redact"
	"github.com/poolload/poolload/scenario"
	"github.com/poolload/poolload/units"
)

// stopGrace is how long a service gets between SIGTERM and SIGKILL.
const stopGrace = 5 * time.Second

// Service is a running ServiceConfig.
type Service struct {
	cfg   scenario.ServiceConfig
	ready scenario.Probe
	out   *tailBuffer
	log   *os.File

	mu    sync.Mutex
	cmd   *exec.Cmd
	watch *groupWatch   // kills cmd's group if poolload dies
	done  chan struct{} // closed when cmd has exited
	werr  error
}

// StartService runs cfg and waits until it is ready. ready is the probe
// with its default resolved (see Scenario.readyProbe).
func StartService(ctx context.Context, cfg scenario.ServiceConfig, ready scenario.Probe) (*Service, error) {
	s := &Service{cfg: cfg, ready: ready, out: newTailBuffer(4096)}
	if cfg.Log != "" {
		f, err := os.OpenFile(cfg.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil, fmt.Errorf("opening the service log: %w", err)
		}
		s.log = f
	}
	if err := s.start(ctx); err != nil {
		_ = s.Stop()
		return nil, err
	}
	return s, nil
}

// Restart stops the service and starts it again, for a cold variant.
func (s *Service) Restart(ctx context.Context) error {
	s.stopProcess()
	return s.start(ctx)
}

// Stop ends the service's whole process group; it is safe to call twice.
func (s *Service) Stop() error {
	s.stopProcess()
	if s.log != nil {
		err := s.log.Close()
		s.log = nil
		return err
	}
	return nil
}

func (s *Service) start(ctx context.Context) error {
	timeout := orDefault(s.cfg.Timeout, scenario.DefaultServiceTimeout)
	cmd := exec.Command("sh", "-c", s.cfg.Run)
	cmd.SysProcAttr = groupAttr()
	var w io.Writer = s.out
	if s.log != nil {
		w = io.MultiWriter(s.out, s.log)
	}
	cmd.Stdout, cmd.Stderr = w, w
	done := make(chan struct{})
	if err := startLocked(cmd, func(err error) {
		s.mu.Lock()
		s.werr = err
		s.mu.Unlock()
		close(done)
	}); err != nil {
		return fmt.Errorf("starting the service: %w", err)
	}
	watch, err := watchGroup(cmd.Process.Pid)
	if err != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		return fmt.Errorf("starting the service: %w", err)
	}
	s.mu.Lock()
	s.cmd, s.watch, s.done = cmd, watch, done
	s.mu.Unlock()
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := waitReady(pctx, s.ready, done); err != nil {
		return s.startError(err, timeout)
	}
	return nil
}

// startError explains why the service did not become ready, with the end
// of its output, which usually says why.
func (s *Service) startError(err error, timeout time.Duration) error {
	s.mu.Lock()
	exited, werr := s.done, s.werr
	s.mu.Unlock()
	select {
	case <-exited:
		err = fmt.Errorf("the service exited before it was ready (%v)", werr)
	default:
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("the service was not ready within %s: %w", units.Short(timeout), err)
		}
	}
	// The service's output may echo a URL it was given, password and all.
	if tail := redact.Text(s.out.String()); tail != "" {
		return fmt.Errorf("%w; its last output:\n%s", err, tail)
	}
	return err
}

// stopProcess sends SIGTERM to the process group, then SIGKILL after
// stopGrace, and waits for the exit. The group's watcher goes first.
func (s *Service) stopProcess() {
	s.mu.Lock()
	cmd, watch, done := s.cmd, s.watch, s.done
	s.cmd, s.watch = nil, nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	watch.stop()
	pgid := -cmd.Process.Pid
	_ = syscall.Kill(pgid, syscall.SIGTERM)
	t := time.NewTimer(stopGrace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		_ = syscall.Kill(pgid, syscall.SIGKILL)
		<-done
	}
	// Children the shell left behind get the same treatment.
	_ = syscall.Kill(pgid, syscall.SIGKILL)
}

// tailBuffer keeps the last n bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	n   int
	buf []byte
}

func newTailBuffer(n int) *tailBuffer { return &tailBuffer{n: n} }

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.n; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

// startLocked starts cmd from an OS thread that stays locked to its
// goroutine until cmd exits, then calls exited with Wait's error. The
// kernel sends the parent-death signal (groupAttr) when the thread that
// forked the child exits, not the process: on any other thread the
// service could be killed in the middle of a run.
func startLocked(cmd *exec.Cmd, exited func(error)) error {
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		exited(cmd.Wait())
	}()
	return <-started
}
