package http

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	nethttp "net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"syscall"

	"github.com/poolload/poolload/driver"
)

// request is a Request prepared once at Open.
type request struct {
	method string
	parts  []part
	header nethttp.Header // shared read-only: the client clones before changing
	body   string
}

// Driver is the HTTP driver. It is safe for concurrent Iterate calls.
type Driver struct {
	cfg    Config
	base   string // BaseURL without its trailing slash
	client *nethttp.Client
	tr     *nethttp.Transport
	reqs   []request
	cum    []int // cumulative weights, for the weighted pick
	states sync.Pool
}

// Open implements driver.Opener: every variant run gets a fresh Driver with
// its own Transport, hence a cold set of connections.
func (c Config) Open(context.Context) (driver.Driver, error) { return New(c) }

// New prepares a driver for cfg, which must have passed Validate.
func New(cfg Config) (*Driver, error) {
	if errs := cfg.Validate(); len(errs) > 0 {
		return nil, fmt.Errorf("http: invalid config: %v", errs)
	}
	d := &Driver{cfg: cfg, base: strings.TrimSuffix(cfg.BaseURL, "/")}
	total := 0
	for _, r := range cfg.Requests {
		parts, err := parsePath(r.Path)
		if err != nil {
			return nil, fmt.Errorf("http: request %q: %w", r.Name, err)
		}
		h := nethttp.Header{}
		for k, v := range r.Headers {
			h.Set(k, os.ExpandEnv(v))
		}
		m := strings.ToUpper(r.Method)
		if m == "" {
			m = nethttp.MethodGet
		}
		d.reqs = append(d.reqs, request{method: m, parts: parts, header: h, body: os.ExpandEnv(r.Body)})
		total += max(r.Weight, 1)
		d.cum = append(d.cum, total)
	}
	d.tr = newTransport(&cfg)
	d.client = &nethttp.Client{
		Transport: d.tr,
		Timeout:   cfg.timeout(),
		// A load tool measures the response it got, not a chain of them.
		CheckRedirect: func(*nethttp.Request, []*nethttp.Request) error { return nethttp.ErrUseLastResponse },
	}
	d.states.New = func() any { return newState() }
	return d, nil
}

func newTransport(cfg *Config) *nethttp.Transport {
	dialer := &net.Dialer{Timeout: driver.DefaultConnectTimeout}
	idle := cfg.MaxConns
	if idle == 0 {
		// The library default of 2 idle per host would silently close
		// most connections of a busy run and turn reuse into churn.
		idle = 1 << 16
	}
	return &nethttp.Transport{
		DialContext:         dialer.DialContext,
		DisableKeepAlives:   cfg.NoReuse,
		MaxConnsPerHost:     cfg.MaxConns,
		MaxIdleConns:        0, // no global cap; the per-host one applies
		MaxIdleConnsPerHost: idle,
		TLSHandshakeTimeout: driver.DefaultConnectTimeout,
	}
}

// Close drops the idle connections; in-flight requests end on their own.
func (d *Driver) Close() error {
	d.tr.CloseIdleConnections()
	return nil
}

// pick chooses a request by weight.
func (d *Driver) pick() *request {
	if len(d.reqs) == 1 {
		return &d.reqs[0]
	}
	n := rand.IntN(d.cum[len(d.cum)-1])
	return &d.reqs[sort.SearchInts(d.cum, n+1)]
}

// Iterate sends one request and fills t with k6-style timings.
func (d *Driver) Iterate(ctx context.Context, t *driver.Trace) {
	st := d.states.Get().(*state)
	defer d.states.Put(st)
	r := d.pick()
	st.buf = appendPath(append(st.buf[:0], d.base...), r.parts, t)
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	req, err := nethttp.NewRequestWithContext(st.bind(ctx, t), r.method, string(st.buf), body)
	if err != nil {
		st.t.Store(nil)
		t.Fail(driver.ClassOther, fmt.Errorf("http: build request: %w", err))
		return
	}
	req.Header = r.header
	t.SetPhase(driver.PhaseBlocked)
	resp, err := d.client.Do(req)
	if err != nil {
		st.fill(t, now())
		t.Fail(classify(ctx, err), err)
		return
	}
	t.SetPhase(driver.PhaseReceiving)
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	st.fill(t, now())
	switch {
	case err != nil:
		t.Fail(classify(ctx, err), fmt.Errorf("http: read body: %w", err))
	case !d.cfg.expected(resp.StatusCode):
		t.Fail(statusClass(resp.StatusCode), &StatusError{Code: resp.StatusCode})
	}
}

// StatusError is the error of a response whose status was not expected.
type StatusError struct{ Code int }

func (e *StatusError) Error() string {
	return fmt.Sprintf("http: unexpected status %d %s", e.Code, nethttp.StatusText(e.Code))
}

func statusClass(code int) driver.ErrorClass {
	switch {
	case code >= 500:
		return driver.ClassHTTP5xx
	case code >= 400:
		return driver.ClassHTTP4xx
	}
	return driver.ClassOther
}

// classify maps a transport error onto the driver's classes. The run's own
// cancellation is checked first: a request cut short by the end of the run
// is not the target's fault.
func classify(run context.Context, err error) driver.ErrorClass {
	if run.Err() != nil {
		return driver.ClassInterrupted
	}
	var dnsErr *net.DNSError
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return driver.ClassConnectRefused
	case errors.As(err, &dnsErr):
		return driver.ClassDNS
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return driver.ClassTimeout
	}
	var ue *url.Error
	if errors.As(err, &ue) && ue.Timeout() {
		return driver.ClassTimeout
	}
	return driver.ClassOther
}
