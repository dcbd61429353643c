package live

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// MetricsPath is where the server answers scrapes.
const MetricsPath = "/metrics"

// maxLinger bounds how long Close waits for a last scrape.
const maxLinger = 15 * time.Second

// Server serves an exporter's metrics over HTTP while a run lasts.
type Server struct {
	e    *Exporter
	ln   net.Listener
	srv  *http.Server
	done chan error
}

// Registry is a registry holding e alone.
func (e *Exporter) Registry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(e)
	return reg
}

// Serve listens on addr (host:port; port 0 picks a free one) and serves
// the Prometheus text format at /metrics until Close.
func (e *Exporter) Serve(addr string) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics address %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	metrics := promhttp.HandlerFor(e.Registry(), promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
	mux.HandleFunc(MetricsPath, func(w http.ResponseWriter, r *http.Request) {
		seen := e.scraped()
		metrics.ServeHTTP(w, r)
		e.mu.Lock()
		e.scrape.seenAfter = max(e.scrape.seenAfter, seen)
		e.mu.Unlock()
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintf(w, "poolload: the run's metrics are at %s\n", MetricsPath)
	})
	s := &Server{e: e, ln: ln, done: make(chan error, 1),
		srv: &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}}
	go func() { s.done <- s.srv.Serve(ln) }()
	return s, nil
}

// scraped counts a scrape starting now and returns the updates it will
// see at least.
func (e *Exporter) scraped() uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := time.Now()
	if e.scrape.n > 0 {
		e.scrape.gap = now.Sub(e.scrape.last)
	}
	e.scrape.n++
	e.scrape.last = now
	return e.updates
}

// Addr is the address the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops the server. When something has been scraping it, it first
// waits (at most twice the scrape interval seen, up to 15 s, or until ctx
// ends) for a scrape to read the run's final values, so that a
// Prometheus scraping every few seconds does not miss the run's last
// interval.
func (s *Server) Close(ctx context.Context) error {
	s.waitLastScrape(ctx)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	err := s.srv.Shutdown(sctx)
	if serr := <-s.done; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	if err != nil {
		return fmt.Errorf("stopping the metrics server: %w", err)
	}
	return nil
}

func (s *Server) waitLastScrape(ctx context.Context) {
	s.e.mu.Lock()
	sc, final := s.e.scrape, s.e.updates
	s.e.mu.Unlock()
	if sc.n == 0 || sc.seenAfter >= final {
		return
	}
	linger := maxLinger
	if sc.gap > 0 {
		linger = min(2*sc.gap+500*time.Millisecond, maxLinger)
	}
	deadline := time.Now().Add(linger)
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s.e.mu.Lock()
		seen := s.e.scrape.seenAfter
		s.e.mu.Unlock()
		if seen >= final {
			return
		}
	}
}
