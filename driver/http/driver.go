package http

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	nethttp "net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"syscall"

	"github.com/poolload/poolload/driver"
	"github.com/poolload/poolload/driver/gen"
	"github.com/poolload/poolload/redact"
)

// request is a Request prepared once at Open.
type request struct {
	method string
	path   gen.Template
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
	conns  conns // the load's own connections to the service

	scrape *scraper // nil without pool_metrics
	db     *dbWatch // nil without database
	authed string   // the auth header's name, for Describe; never its value
}

// Open implements driver.Opener: every variant run gets a fresh Driver with
// its own Transport, hence a cold set of connections. It logs in (auth)
// and connects the database monitor before any load; either failing is an
// error here, with a class when the failure has one (*OpenError).
func (c Config) Open(ctx context.Context) (driver.Driver, error) { return openDriver(ctx, c) }

// New is Open without a run context, returning the concrete type.
func New(cfg Config) (*Driver, error) { return openDriver(context.Background(), cfg) }

func openDriver(ctx context.Context, cfg Config) (*Driver, error) {
	if errs := cfg.Validate(); len(errs) > 0 {
		return nil, fmt.Errorf("http: invalid config: %v", errs)
	}
	d := &Driver{cfg: cfg, base: strings.TrimSuffix(cfg.BaseURL, "/")}
	if err := d.prepare(); err != nil {
		return nil, err
	}
	// net/http's errors quote the URL, secret query parameters and all,
	// and these end up on the terminal and in run.json.
	if err := d.login(ctx); err != nil {
		return nil, redact.Error(err)
	}
	if err := d.openSamplers(ctx); err != nil {
		return nil, redact.Error(err)
	}
	d.tr = newTransport(&cfg, &d.conns)
	d.client = &nethttp.Client{
		Transport: d.tr,
		Timeout:   cfg.timeout(),
		// A load tool measures the response it got, not a chain of them.
		CheckRedirect: func(*nethttp.Request, []*nethttp.Request) error { return nethttp.ErrUseLastResponse },
	}
	d.states.New = func() any { return newState(&d.conns) }
	return d, nil
}

// prepare parses the requests and their weights.
func (d *Driver) prepare() error {
	total := 0
	for _, r := range d.cfg.Requests {
		path, err := gen.ParseTemplate(r.Path)
		if err != nil {
			return fmt.Errorf("http: request %q: path: %w", r.Name, err)
		}
		h := nethttp.Header{}
		for k, v := range r.Headers {
			h.Set(k, expandEnv(v))
		}
		m := strings.ToUpper(r.Method)
		if m == "" {
			m = nethttp.MethodGet
		}
		d.reqs = append(d.reqs, request{method: m, path: path, header: h, body: expandEnv(r.Body)})
		total += r.weight()
		d.cum = append(d.cum, total)
	}
	return nil
}

// login runs the auth step and sets its header on every request. A header
// the request sets itself wins: the scenario said so explicitly.
func (d *Driver) login(ctx context.Context) error {
	if d.cfg.Auth == nil {
		return nil
	}
	name, value, err := d.cfg.Auth.login(ctx, d.base, d.cfg.timeout())
	if err != nil {
		return fmt.Errorf("http: %w", err)
	}
	for i := range d.reqs {
		if d.reqs[i].header.Get(name) == "" {
			d.reqs[i].header.Set(name, value)
		}
	}
	d.authed = name
	return nil
}

// openSamplers connects the database monitor and primes the pool_metrics
// scraper, so that the first deltas count from Open. An unreachable
// metrics URL is not an error: its gauges are NaN.
func (d *Driver) openSamplers(ctx context.Context) error {
	if c := d.cfg.Database; c != nil {
		w, err := openDBWatch(ctx, c)
		if err != nil {
			return fmt.Errorf("http: %w", err)
		}
		d.db = w
	}
	if c := d.cfg.PoolMetrics; c != nil {
		d.scrape = newScraper(c, d.base)
		d.scrape.sample(ctx, make([]float64, len(c.gaugeNames())))
	}
	return nil
}

// newTransport builds the load's Transport over a dialer that times each
// connection's setup on the connection and counts it in cs.
func newTransport(cfg *Config, cs *conns) *nethttp.Transport {
	idle := cfg.MaxConns
	if idle == 0 {
		// The library default of 2 idle per host would silently close
		// most connections of a busy run and turn reuse into churn.
		idle = 1 << 16
	}
	tr := &nethttp.Transport{
		DisableKeepAlives:   cfg.NoReuse,
		MaxConnsPerHost:     cfg.MaxConns,
		MaxIdleConns:        0, // no global cap; the per-host one applies
		MaxIdleConnsPerHost: idle,
		TLSHandshakeTimeout: driver.DefaultConnectTimeout,
	}
	dl := &dialer{addr: cfg.DialAddr, cs: cs, tlsConfig: func() *tls.Config { return tr.TLSClientConfig }}
	tr.DialContext, tr.DialTLSContext = dl.dial, dl.dialTLS
	return tr
}

// Close drops the idle connections (in-flight requests end on their own)
// and closes the samplers.
func (d *Driver) Close() error {
	d.tr.CloseIdleConnections()
	if d.scrape != nil {
		d.scrape.close()
	}
	if d.db != nil {
		return d.db.close()
	}
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
	r := d.pick()
	st.buf = r.path.Append(append(st.buf[:0], d.base...), t)
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	req, err := nethttp.NewRequestWithContext(st.bind(ctx, t), r.method, string(st.buf), body)
	if err != nil {
		st.t.Store(nil)
		d.states.Put(st)
		t.Fail(driver.ClassOther, fmt.Errorf("http: build request: %w", err))
		return
	}
	req.Header = r.header
	t.SetPhase(driver.PhaseBlocked)
	resp, err := d.client.Do(req)
	if err != nil {
		// st is not recycled: this request's write or read may still
		// call its hooks, which must not land in another iteration.
		st.fill(t, now())
		t.Fail(classify(ctx, err), err)
		return
	}
	t.SetPhase(driver.PhaseReceiving)
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	st.fill(t, now())
	if st.settled() {
		d.states.Put(st)
	}
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
	return classifyClosed(err)
}

// classifyClosed names the ways a server closes a connection under a
// request. Before the answer or inside it (EOF, a reset, a broken pipe)
// is server_gone, as for the mysql driver, whose lost connection (2013) it
// is; a pooled connection found closed as a request took it is
// bad_connection, which DESIGN.md names "server closed idle conn".
func classifyClosed(err error) driver.ErrorClass {
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return driver.ClassServerGone
	case strings.Contains(err.Error(), errServerClosedIdle):
		return driver.ClassBadConnection
	}
	return driver.ClassOther
}

// errServerClosedIdle is the text of net/http's error for a pooled
// connection found closed; the error itself is not exported.
const errServerClosedIdle = "http: server closed idle connection"
