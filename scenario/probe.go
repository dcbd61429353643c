package scenario

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/poolload/poolload/driver"
)

// probeEvery is how often a readiness probe is retried.
const probeEvery = 50 * time.Millisecond

// probe says whether a service answers: an HTTP GET (any status below 500
// counts: the service is up even if the path wants auth) or a TCP connect.
type probe struct {
	url  string // http(s)://…
	addr string // host:port for tcp://
}

// none reports whether there is nothing to probe.
func (p probe) none() bool { return p.url == "" && p.addr == "" }

func (p probe) String() string {
	if p.url != "" {
		return "GET " + p.url
	}
	return "connect " + p.addr
}

// parseProbe reads a ready: value. A path is relative to base (the HTTP
// target's base_url), which is also the default when ready is empty.
func parseProbe(ready, base string) (probe, error) {
	if ready == "" {
		ready = base
	}
	switch {
	case ready == "":
		return probe{}, nil
	case strings.HasPrefix(ready, "/"):
		if base == "" {
			return probe{}, errors.New("a path needs an HTTP target's base_url to be relative to; give a full http:// URL or tcp://host:port")
		}
		return probe{url: strings.TrimSuffix(base, "/") + ready}, nil
	case strings.HasPrefix(ready, "tcp://"):
		addr := strings.TrimPrefix(ready, "tcp://")
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return probe{}, fmt.Errorf("tcp://%s: want tcp://host:port", addr)
		}
		return probe{addr: addr}, nil
	}
	u, err := url.Parse(ready)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return probe{}, fmt.Errorf("%q: want an http:// URL, a /path under the target's base_url, or tcp://host:port", ready)
	}
	return probe{url: ready}, nil
}

// wait polls until the probe succeeds, ctx ends, or exited is closed (the
// process it waits for has died, so waiting longer is pointless).
func (p probe) wait(ctx context.Context, exited <-chan struct{}) error {
	if p.none() {
		return nil
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	defer client.CloseIdleConnections()
	t := time.NewTicker(probeEvery)
	defer t.Stop()
	var last error
	for {
		if last = p.once(ctx, client); last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w (last attempt: %v)", p, ctx.Err(), last)
		case <-exited:
			return fmt.Errorf("%s: %v", p, last)
		case <-t.C:
		}
	}
}

// once makes one attempt, bounded to a second.
func (p probe) once(ctx context.Context, client *http.Client) error {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if p.addr != "" {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", p.addr)
		if err != nil {
			return err
		}
		return c.Close()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	_ = resp.Body.Close()
	if resp.StatusCode >= 500 {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

// orDefault is d, or def when d is not set.
func orDefault(d driver.Duration, def time.Duration) time.Duration {
	if d > 0 {
		return d.D()
	}
	return def
}
