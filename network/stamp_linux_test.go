package network

import (
	"context"
	"io"
	"net"
	"testing"
	"time"
)

// A chunk that waited 20 ms in the receive queue before its read is
// stamped with its arrival, ~20 ms before the read, not with the read.
func TestStampedReaderDatesArrival(t *testing.T) {
	p, err := Listen(context.Background(), "127.0.0.1:1", Conditions{}) // only its clock is used
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c := dial(t, server(t, func(c *net.TCPConn) {
		c.Read(make([]byte, 1))
		c.Write([]byte("hello"))
		c.Read(make([]byte, 1))
	}))
	r := newStampedReader(c) // before the bytes arrive: the kernel stamps only then
	if r == nil {
		t.Fatal("SO_TIMESTAMPNS refused on a TCP socket")
	}
	// The first socket to ask for stamps turns them on for the whole
	// host, through a deferred kernel work item: give it a moment.
	time.Sleep(20 * time.Millisecond)
	c.Write([]byte{1})
	time.Sleep(20 * time.Millisecond) // "hello" arrives at once and waits
	read := p.now()
	n, at, err := r.Read(p, make([]byte, 16))
	if err != nil || n != 5 {
		t.Fatalf("read %d, %v", n, err)
	}
	if age := read - at; age < 19*time.Millisecond || age > 100*time.Millisecond {
		t.Errorf("stamped %v before the read, want ~20ms", age)
	}
	c.Write([]byte{1}) // the server closes
	if n, _, err := r.Read(p, make([]byte, 16)); n != 0 || err != io.EOF {
		t.Errorf("after the server closed: %d, %v; want io.EOF", n, err)
	}
}
