package runner

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/poolload/poolload/redact"
	"github.com/poolload/poolload/scenario"
	"github.com/poolload/poolload/units"
)

// probeEvery is how often a readiness probe is retried.
const probeEvery = 50 * time.Millisecond

// waitReady polls p until it succeeds, ctx ends, or exited is closed (the
// process it waits for has died, so waiting longer is pointless).
func waitReady(ctx context.Context, p scenario.Probe, exited <-chan struct{}) error {
	if p.None() {
		return nil
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	defer client.CloseIdleConnections()
	t := time.NewTicker(probeEvery)
	defer t.Stop()
	var last error
	for {
		if last = probeOnce(ctx, p, client); last == nil {
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

// probeOnce makes one attempt, bounded to a second.
func probeOnce(ctx context.Context, p scenario.Probe, client *http.Client) error {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if p.Addr != "" {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", p.Addr)
		if err != nil {
			return err
		}
		return c.Close()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.URL, nil)
	if err != nil {
		return redact.Error(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return redact.Error(err) // net/http's error quotes the URL
	}
	_ = resp.Body.Close()
	if resp.StatusCode >= 500 {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

// orDefault is d, or def when d is not set.
func orDefault(d units.Duration, def time.Duration) time.Duration {
	if d > 0 {
		return d.D()
	}
	return def
}
