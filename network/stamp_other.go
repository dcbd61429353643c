//go:build !linux

package network

import (
	"net"
	"time"
)

// stampedReader needs Linux's SO_TIMESTAMPNS; elsewhere chunks are
// stamped when read.
type stampedReader struct{}

func newStampedReader(*net.TCPConn) *stampedReader { return nil }

func (r *stampedReader) Read(p *Proxy, b []byte) (int, time.Duration, error) {
	panic("unreachable: newStampedReader returns nil")
}
