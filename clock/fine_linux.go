package clock

import (
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// fineSleeper sleeps on a timerfd read through Go's network poller: the
// goroutine parks and its processor runs others, and the kernel's
// high-resolution timer wakes the poller on time (timerfd timers get no
// timer slack, where a nanosleep would get the thread's 50 µs). Where a
// timerfd cannot be had (a sandbox forbids it), it falls back to Go's
// timer, a millisecond coarse.
type fineSleeper struct {
	f   *os.File // nil: the fallback
	fd  int
	buf [8]byte
}

func newFineSleeper() fineSleeper {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return fineSleeper{}
	}
	return fineSleeper{f: os.NewFile(uintptr(fd), "clock-timerfd"), fd: fd}
}

func (s *fineSleeper) sleep(d time.Duration) {
	if s.f != nil {
		its := unix.ItimerSpec{Value: unix.NsecToTimespec(int64(d))}
		if unix.TimerfdSettime(s.fd, 0, &its, nil) == nil {
			if _, err := s.f.Read(s.buf[:]); err == nil {
				return
			}
		}
	}
	time.Sleep(d)
}

func (s *fineSleeper) close() {
	if s.f != nil {
		s.f.Close()
	}
}

// short sleeps on nanosleep: for a wait of a few microseconds, parking in
// the poller costs more than holding the processor.
func (s *fineSleeper) short(d time.Duration) {
	const prSetTimerSlack = 29 // linux/prctl.h
	_, _, _ = unix.RawSyscall(unix.SYS_PRCTL, prSetTimerSlack, 1, 0)
	ts := unix.NsecToTimespec(int64(d))
	_ = unix.Nanosleep(&ts, nil)
	_, _, _ = unix.RawSyscall(unix.SYS_PRCTL, prSetTimerSlack, 0, 0)
}
