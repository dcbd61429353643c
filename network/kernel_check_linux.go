package network

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// selfTestSize is enough to fill loopback's socket buffers, so the check
// covers the kernel relay under backpressure, where some kernels' sockmap
// paths break the stream.
const selfTestSize = 512 << 10

// selfTest relays, through k, a greeting the server sends before the join
// and then selfTestSize bytes echoed back, and checks every byte. Sockmap
// has had its share of kernel bugs; a proxy that trusted a broken one
// would report the kernel's errors as the target's.
func (k *kernelRelay) selfTest() error { return k.relayOnce(selfTestTimeout) }

// selfTestTimeout is generous: the check takes a few milliseconds.
const selfTestTimeout = 5 * time.Second

func (k *kernelRelay) relayOnce(timeout time.Duration) error {
	var socks []net.Conn
	defer func() {
		for _, c := range socks {
			_ = c.Close()
		}
	}()
	pair := func() (dialled, accepted *net.TCPConn, err error) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, nil, err
		}
		defer ln.Close()
		d, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			return nil, nil, err
		}
		socks = append(socks, d)
		a, err := ln.Accept()
		if err != nil {
			return nil, nil, err
		}
		socks = append(socks, a)
		return d.(*net.TCPConn), a.(*net.TCPConn), nil
	}
	client, front, err := pair() // client → front: what the proxy accepts
	if err != nil {
		return err
	}
	back, server, err := pair() // back → server: what the proxy dials
	if err != nil {
		return err
	}
	deadline := time.Now().Add(timeout)
	for _, c := range socks {
		_ = c.SetDeadline(deadline)
	}
	if _, err := server.Write([]byte("hi")); err != nil { // before the join
		return err
	}
	if _, err := k.join(front, back); err != nil {
		return err
	}
	go func() { _, _ = io.Copy(server, server) }() // echo
	payload := make([]byte, selfTestSize)
	for i := range payload {
		payload[i] = byte(i * 131 >> 3)
	}
	go func() { _, _ = client.Write(payload) }()
	got := make([]byte, 2+selfTestSize)
	if n, err := io.ReadFull(client, got); err != nil {
		return fmt.Errorf("%d of the self-test's %d bytes came back: %w", n, len(got), err)
	}
	if string(got[:2]) != "hi" || !bytes.Equal(got[2:], payload) {
		return errors.New("the self-test's bytes came back altered")
	}
	return nil
}
