package network

import (
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	ebpflink "github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"
)

// kernelRelay forwards a link's bytes inside the kernel. Both sockets of
// each link go into a BPF sockhash; a stream-verdict program attached to
// it sends every segment received on one socket out of its peer, keyed by
// the receiving socket's cookie. The proxy's goroutines then wake only for
// the end of a stream, and a round trip costs no user-space hop: a
// goroutine relay adds two scheduler wake-ups per round trip, which on a
// small shared machine is about the whole 50 µs budget at p99, twice what
// the kernel's worker hand-off adds (network/README.md).
//
// The goroutines never read a kernel-relayed socket; they only wait for
// its end (FIN or reset) and pass it on, as they do for a user-relayed
// link. A link that leaves the map (idle_action drop) is not read either:
// its bytes pile up unanswered, as in a blackhole.
//
// Two maps, so that a socket starts relaying only once its peer can be
// found: peers (cookie → the peer socket, no programs) is what the verdict
// looks up, and m (cookie → the socket itself) carries the programs, so
// that joining it is what turns a socket's relay on. With one map the
// first socket to join would, for a moment, drop what it received: its
// peer's entry did not exist yet.
type kernelRelay struct {
	m, peers *ebpf.Map
	progs    []attached
}

type attached struct {
	prog *ebpf.Program
	typ  ebpf.AttachType
}

// kernelMapSize bounds the links relayed in the kernel at once (two
// entries each); links beyond it fall back to the goroutines.
const kernelMapSize = 1 << 14

func newKernelRelay() (*kernelRelay, error) { return loadKernelRelay(redirectToPeer) }

// redirectToPeer is the verdict program, for the peers map whose
// descriptor is mapFD: key := bpf_get_socket_cookie(skb); return
// bpf_sk_redirect_hash(skb, peers, &key, 0), where flags 0 sends the
// segment out of the peer socket, as a proxy does.
func redirectToPeer(mapFD int) asm.Instructions {
	return asm.Instructions{
		asm.Mov.Reg(asm.R6, asm.R1),
		asm.FnGetSocketCookie.Call(),
		asm.StoreMem(asm.RFP, -8, asm.R0, asm.DWord),
		asm.Mov.Reg(asm.R1, asm.R6),
		asm.LoadMapPtr(asm.R2, mapFD),
		asm.Mov.Reg(asm.R3, asm.RFP),
		asm.Add.Imm(asm.R3, -8),
		asm.Mov.Imm(asm.R4, 0),
		asm.FnSkRedirectHash.Call(),
		asm.Return(),
	}
}

func loadKernelRelay(verdictFor func(mapFD int) asm.Instructions) (*kernelRelay, error) {
	spec := &ebpf.MapSpec{Type: ebpf.SockHash, KeySize: 8, ValueSize: 8, MaxEntries: kernelMapSize}
	m, err := ebpf.NewMap(spec)
	if errors.Is(err, unix.EPERM) {
		// The library's own hint (MEMLOCK) is for kernels before 5.11;
		// here the process simply lacks the right.
		return nil, errors.New("loading BPF programs needs root, or CAP_BPF and CAP_NET_ADMIN")
	}
	if err != nil {
		return nil, fmt.Errorf("creating the sockhash: %w", err)
	}
	peers, err := ebpf.NewMap(spec)
	if err != nil {
		m.Close()
		return nil, fmt.Errorf("creating the sockhash: %w", err)
	}
	k := &kernelRelay{m: m, peers: peers}
	// The parser hands the verdict whole segments (skb->len). Without a
	// parser the kernel takes its newer parser-less path, which on 6.x
	// breaks a link with EPIPE as soon as the peer's send buffer fills.
	parser := asm.Instructions{
		asm.LoadMem(asm.R0, asm.R1, 0, asm.Word),
		asm.Return(),
	}
	verdict := verdictFor(peers.FD())
	for _, a := range []struct {
		prog *ebpf.Program
		typ  ebpf.AttachType
		code asm.Instructions
	}{{nil, ebpf.AttachSkSKBStreamParser, parser}, {nil, ebpf.AttachSkSKBStreamVerdict, verdict}} {
		prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{Type: ebpf.SkSKB, AttachType: a.typ, License: "Dual MIT/GPL", Instructions: a.code})
		if err != nil {
			_ = k.Close()
			return nil, fmt.Errorf("loading the %v program: %w", a.typ, err)
		}
		k.progs = append(k.progs, attached{prog, a.typ})
		if err := ebpflink.RawAttachProgram(ebpflink.RawAttachProgramOptions{Target: m.FD(), Program: prog, Attach: a.typ}); err != nil {
			_ = k.Close()
			return nil, fmt.Errorf("attaching the %v program: %w", a.typ, err)
		}
	}
	return k, nil
}

// Close detaches the programs and frees the map; sockets still in it are
// not affected beyond losing the redirect.
func (k *kernelRelay) Close() error {
	var errs []error
	for _, a := range k.progs {
		// Detaching one that never got attached fails harmlessly.
		_ = ebpflink.RawDetachProgram(ebpflink.RawDetachProgramOptions{Target: k.m.FD(), Program: a.prog, Attach: a.typ})
		errs = append(errs, a.prog.Close())
	}
	return errors.Join(append(errs, k.m.Close(), k.peers.Close())...)
}

// kernelPair is a link's two sockets as the map knows them.
type kernelPair struct{ client, server uint64 } // socket cookies

// join hands the link's two sockets to the kernel: from now on what
// arrives on one leaves by the other.
func (k *kernelRelay) join(client, server *net.TCPConn) (kernelPair, error) {
	cc, cfd, err := cookie(client)
	if err != nil {
		return kernelPair{}, err
	}
	sc, sfd, err := cookie(server)
	if err != nil {
		return kernelPair{}, err
	}
	kp := kernelPair{client: cc, server: sc}
	steps := []struct {
		m    *ebpf.Map
		key  uint64
		fd   int
		what string
	}{
		{k.peers, cc, sfd, "the server socket as the client's peer"},
		{k.peers, sc, cfd, "the client socket as the server's peer"},
		{k.m, cc, cfd, "the client socket"}, // from here on each side relays
		{k.m, sc, sfd, "the server socket"},
	}
	for _, st := range steps {
		if err := st.m.Update(st.key, uint64(st.fd), ebpf.UpdateNoExist); err != nil {
			k.leave(kp)
			return kernelPair{}, fmt.Errorf("adding %s: %w", st.what, err)
		}
	}
	// Bytes that arrived before the join (a server's greeting) wait in the
	// receive queue, and the parser only looks at it when more arrive.
	// Setting SO_RCVLOWAT makes TCP signal "data ready" at once, so the
	// kernel relays them first, in order, and no byte is ever read by the
	// proxy: a read here could race the parser and reorder the stream.
	for _, c := range []*net.TCPConn{client, server} {
		if err := setRcvLowat(c); err != nil {
			k.leave(kp)
			return kernelPair{}, fmt.Errorf("flushing bytes queued before the join: %w", err)
		}
	}
	return kp, nil
}

func setRcvLowat(c *net.TCPConn) error {
	return withFD(c, func(fd int) error { return unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVLOWAT, 1) })
}

// awaitEnd waits, without reading, until the peer of c has closed its
// side: it returns io.EOF for a FIN and the socket's error for a reset.
// The kernel keeps waking pollers for those even when it relays the data.
func awaitEnd(c *net.TCPConn) error {
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var end error
	err = rc.Read(func(f uintptr) bool {
		if e, _ := unix.GetsockoptInt(int(f), unix.SOL_SOCKET, unix.SO_ERROR); e != 0 {
			end = unix.Errno(e)
			return true
		}
		info, gerr := unix.GetsockoptTCPInfo(int(f), unix.IPPROTO_TCP, unix.TCP_INFO)
		if gerr != nil {
			end = gerr
			return true
		}
		switch info.State {
		case tcpEstablished, tcpFinWait1, tcpFinWait2:
			return false // the peer has not closed: wait for the next wake-up
		}
		end = io.EOF
		return true
	})
	if err != nil {
		return err
	}
	return end
}

// leave takes the link back from the kernel; closing a socket does so too.
func (k *kernelRelay) leave(kp kernelPair) {
	_ = k.m.Delete(kp.client)
	_ = k.m.Delete(kp.server)
	_ = k.peers.Delete(kp.client)
	_ = k.peers.Delete(kp.server)
}

// cookie returns the socket's cookie (its key in the map) and descriptor.
// The descriptor is only read while the map takes its reference.
func cookie(c *net.TCPConn) (ck uint64, fd int, err error) {
	err = withFD(c, func(f int) error {
		fd = f
		ck, err = unix.GetsockoptUint64(f, unix.SOL_SOCKET, unix.SO_COOKIE)
		return err
	})
	return ck, fd, err
}

// tcpCounters are what the kernel knows of one socket's traffic.
type tcpCounters struct {
	received uint64        // payload bytes that arrived, plus 1 once the FIN has
	queued   uint64        // payload bytes written into the socket, sent or not
	idle     time.Duration // since data last arrived
}

// TCP states in which this side's FIN may still be queued (linux/tcp_states.h).
const (
	tcpEstablished = 1
	tcpFinWait1    = 4
	tcpFinWait2    = 5
	tcpLastAck     = 9
	tcpClosing     = 11
)

func readCounters(c *net.TCPConn) (tcpCounters, bool) {
	var info *unix.TCPInfo
	if err := withFD(c, func(fd int) (err error) {
		info, err = unix.GetsockoptTCPInfo(fd, unix.IPPROTO_TCP, unix.TCP_INFO)
		return err
	}); err != nil {
		return tcpCounters{}, false
	}
	notSent := uint64(info.Notsent_bytes)
	switch info.State {
	case tcpFinWait1, tcpClosing, tcpLastAck:
		// Our FIN takes a sequence number; while unsent it is the last
		// of the bytes not sent.
		if notSent > 0 {
			notSent--
		}
	}
	return tcpCounters{received: info.Bytes_received,
		queued: info.Bytes_sent - info.Bytes_retrans + notSent,
		idle:   time.Duration(info.Last_data_recv) * time.Millisecond}, true
}
