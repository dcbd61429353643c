// Package network is an in-process TCP proxy that emulates a network link
// between poolload's connection pool and a server on the same machine: it
// adds one-way latency, jitter and a bandwidth cap per direction, and
// injects the faults pooled connections die of in production (NAT idle
// timeouts that reset or blackhole a flow, resets after N bytes, refused
// connections in a time window). It lets a cold pool's connection setup
// cost and idle-connection deaths be reproduced on one host.
//
// A link with nothing to delay can be relayed in the kernel instead (BPF
// sockmap, Relay "auto" or "kernel"), which costs far less under heavy
// load; see kernel_linux.go.
//
// The scenario block is Conditions (conditions.go, with presets.go); the
// proxy (proxy.go) accepts connections and picks a relay for each: a link
// of two pipes of goroutines (link.go, pipe.go), or the kernel
// (kernel_linux.go). Bandwidths and byte sizes are units.Bandwidth and
// units.ByteSize.
package network
