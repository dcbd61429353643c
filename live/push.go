package live

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/prometheus/client_golang/exp/api/remote"
	"github.com/prometheus/client_golang/prometheus"
)

// pushTimeout bounds one push, retries included, so that a slow receiver
// delays only the next push, never the run.
const pushTimeout = 10 * time.Second

// Pusher sends the exporter's metrics by Prometheus remote write (1.0,
// which every receiver takes: Prometheus with
// --web.enable-remote-write-receiver, Mimir, Thanos, VictoriaMetrics)
// after every interval, from a goroutine of its own: a slow or absent
// receiver never holds up the run. Each push carries every series at the
// time of the push, with job="poolload".
type Pusher struct {
	e      *Exporter
	api    *remote.API
	reg    *prometheus.Registry
	wake   chan struct{}
	cancel context.CancelFunc
	done   chan struct{}

	mu     sync.Mutex
	pushes int
	err    error // the last push's
}

// Job is the job label of pushed series.
const Job = "poolload"

// NewPusher checks the receiver's URL (http or https, with a host: the
// whole URL, e.g. http://127.0.0.1:9090/api/v1/write) and starts pushing
// e's metrics after each of its updates.
func NewPusher(e *Exporter, rawURL string) (*Pusher, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("remote write URL %q: want http(s)://host[:port]/path", rawURL)
	}
	api, err := remote.NewAPI(u.String(), remote.WithAPIPath(""),
		remote.WithAPIHTTPClient(&http.Client{Timeout: pushTimeout}),
		remote.WithAPIBackoff(remote.BackoffConfig{Min: 200 * time.Millisecond, Max: 2 * time.Second, MaxRetries: 3}))
	if err != nil {
		return nil, fmt.Errorf("remote write URL: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Pusher{e: e, api: api, reg: e.Registry(), wake: make(chan struct{}, 1), cancel: cancel, done: make(chan struct{})}
	e.subscribe(p.wake)
	go p.loop(ctx)
	return p, nil
}

func (p *Pusher) loop(ctx context.Context) {
	defer close(p.done)
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.wake:
			p.push(ctx)
		}
	}
}

// push sends the current state once.
func (p *Pusher) push(ctx context.Context) {
	mfs, err := p.reg.Gather()
	if err == nil {
		body := encodeWriteRequest(seriesOf(mfs, [][2]string{{"job", Job}}), time.Now().UnixMilli())
		pctx, cancel := context.WithTimeout(ctx, pushTimeout)
		_, err = p.api.Write(pctx, remote.WriteV1MessageType, encoded(body))
		cancel()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pushes++
	if err != nil {
		p.err = fmt.Errorf("remote write: %w", err)
	} else {
		p.err = nil
	}
}

// Close makes a last push of the final values (bounded by ctx and the
// push timeout), stops the pusher and returns the last push's error.
func (p *Pusher) Close(ctx context.Context) error {
	p.cancel()
	<-p.done
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), pushTimeout)
	defer cancel()
	p.push(fctx)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil && errors.Is(p.err, context.Canceled) {
		return nil
	}
	return p.err
}
