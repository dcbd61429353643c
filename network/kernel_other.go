//go:build !linux

package network

import (
	"errors"
	"net"
	"time"
)

// kernelRelay needs Linux's BPF sockmap; elsewhere the goroutines relay.
type kernelRelay struct{}

type kernelPair struct{}

type tcpCounters struct {
	received, queued uint64
	idle             time.Duration
}

func newKernelRelay() (*kernelRelay, error) {
	return nil, errors.New("the kernel relay needs Linux")
}

func (k *kernelRelay) selfTest() error { return errors.ErrUnsupported }
func (k *kernelRelay) Close() error    { return nil }
func (k *kernelRelay) join(_, _ *net.TCPConn) (kernelPair, error) {
	return kernelPair{}, errors.ErrUnsupported
}
func (k *kernelRelay) leave(kernelPair)             {}
func readCounters(*net.TCPConn) (tcpCounters, bool) { return tcpCounters{}, false }
func awaitEnd(*net.TCPConn) error                   { return errors.ErrUnsupported }
