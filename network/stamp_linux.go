package network

import (
	"encoding/binary"
	"io"
	"net"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// stampedReader reads a socket together with the instant the kernel
// received the bytes (SO_TIMESTAMPNS), so that a chunk's due time counts
// from its arrival rather than from when the reading goroutine got to
// run. The scheduler's wake-up delay (tens of microseconds, up to a
// millisecond on a loaded machine) is then absorbed into the emulated
// latency instead of added to it.
type stampedReader struct {
	rc  syscall.RawConn
	fn  func(fd uintptr) bool // built once: a closure per read would allocate
	buf []byte
	oob [64]byte
	// msg and iov live here rather than on the stack: the raw syscall
	// makes them escape, which would cost an allocation per read.
	msg unix.Msghdr
	iov unix.Iovec
	n   int
	at  int64 // arrival of the last segment read, Unix ns; 0 if unknown
	err error
}

// newStampedReader returns nil when the socket cannot time-stamp; the
// caller then reads plainly and stamps chunks when it reads them.
func newStampedReader(c *net.TCPConn) *stampedReader {
	if withFD(c, func(fd int) error { return unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1) }) != nil {
		return nil
	}
	rc, err := c.SyscallConn()
	if err != nil {
		return nil
	}
	r := &stampedReader{rc: rc}
	r.fn = r.recv
	return r
}

func (r *stampedReader) recv(fd uintptr) bool {
	if len(r.buf) == 0 {
		r.n, r.at, r.err = 0, 0, nil
		return true
	}
	r.iov.Base = &r.buf[0]
	r.iov.SetLen(len(r.buf))
	r.msg = unix.Msghdr{Iov: &r.iov, Iovlen: 1, Control: &r.oob[0]}
	r.msg.SetControllen(len(r.oob))
	for {
		got, _, errno := unix.Syscall(unix.SYS_RECVMSG, fd, uintptr(unsafe.Pointer(&r.msg)), 0)
		n, oobn := int(got), int(r.msg.Controllen)
		switch {
		case errno == unix.EINTR:
			continue
		case errno == unix.EAGAIN:
			return false // wait until readable
		case errno != 0:
			r.n, r.at, r.err = 0, 0, errno
		case n == 0:
			r.n, r.at, r.err = 0, 0, io.EOF
		default:
			r.n, r.at, r.err = n, arrival(r.oob[:oobn]), nil
		}
		return true
	}
}

// Read reads into b and returns when the bytes arrived, on p's clock,
// never later than now.
func (r *stampedReader) Read(p *Proxy, b []byte) (int, time.Duration, error) {
	r.buf = b
	if err := r.rc.Read(r.fn); err != nil {
		return 0, p.now(), err
	}
	now := time.Now()
	at := now.Sub(p.t0)
	// The stamp is wall-clock time; a step of the wall clock (NTP) could
	// put it in the future or far in the past, so only a plausible age
	// is trusted.
	if r.at > 0 {
		if age := time.Duration(now.UnixNano() - r.at); age > 0 && age < maxStampAge {
			at -= age
		}
	}
	return r.n, at, r.err
}

// maxStampAge bounds the arrival correction: a chunk waits for its reader
// for less than this unless something is badly wrong.
const maxStampAge = 100 * time.Millisecond

// arrival finds SCM_TIMESTAMPNS in a control-message buffer: cmsghdr
// (len uint64, level int32, type int32) then a timespec, 8-byte aligned.
func arrival(oob []byte) int64 {
	const hdr = 16
	for len(oob) >= hdr {
		l := int(binary.NativeEndian.Uint64(oob))
		if l < hdr || l > len(oob) {
			return 0
		}
		level, typ := int32(binary.NativeEndian.Uint32(oob[8:])), int32(binary.NativeEndian.Uint32(oob[12:]))
		if level == unix.SOL_SOCKET && typ == unix.SCM_TIMESTAMPNS && l >= hdr+16 {
			sec, nsec := int64(binary.NativeEndian.Uint64(oob[hdr:])), int64(binary.NativeEndian.Uint64(oob[hdr+8:]))
			return sec*1e9 + nsec
		}
		oob = oob[min((l+7)&^7, len(oob)):]
	}
	return 0
}
