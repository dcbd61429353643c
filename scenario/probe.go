package scenario

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/poolload/poolload/redact"
)

// Probe says how to tell that a service answers: an HTTP GET of URL (any
// status below 500 counts: the service is up even if the path wants auth)
// or a TCP connect to Addr. The runner does the probing.
type Probe struct {
	URL  string // http(s)://…
	Addr string // host:port for tcp://
}

// None reports whether there is nothing to probe.
func (p Probe) None() bool { return p.URL == "" && p.Addr == "" }

// String names the probe in messages, without the URL's secrets.
func (p Probe) String() string {
	if p.URL != "" {
		return "GET " + redact.URL(p.URL)
	}
	return "connect " + p.Addr
}

// ParseProbe reads a ready: value. A path is relative to base (the HTTP
// target's base_url), which is also the default when ready is empty.
func ParseProbe(ready, base string) (Probe, error) {
	if ready == "" {
		ready = base
	}
	switch {
	case ready == "":
		return Probe{}, nil
	case strings.HasPrefix(ready, "/"):
		if base == "" {
			return Probe{}, errors.New("a path needs an HTTP target's base_url to be relative to; give a full http:// URL or tcp://host:port")
		}
		return Probe{URL: strings.TrimSuffix(base, "/") + ready}, nil
	case strings.HasPrefix(ready, "tcp://"):
		addr := strings.TrimPrefix(ready, "tcp://")
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return Probe{}, fmt.Errorf("tcp://%s: want tcp://host:port", addr)
		}
		return Probe{Addr: addr}, nil
	}
	u, err := url.Parse(ready)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Probe{}, fmt.Errorf("%q: want an http:// URL, a /path under the target's base_url, or tcp://host:port", redact.URL(ready))
	}
	return Probe{URL: ready}, nil
}
