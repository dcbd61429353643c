package http

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"mime"
	"net"
	nethttp "net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/poolload/poolload/record"
	"github.com/poolload/poolload/redact"
)

// PoolMetrics is the optional `pool_metrics` block: where the service
// publishes its own connection pool's gauges, scraped on every interval
// tick. The field names default to what cmd/pooldemo exposes at
// /debug/pool (JSON) and /metrics (Prometheus).
type PoolMetrics struct {
	// URL is a path relative to base_url, or an absolute URL on base_url's
	// host or on loopback. Default /debug/pool, or /metrics when Format is
	// prometheus.
	URL string `yaml:"url" json:"url,omitempty"`
	// Format is json or prometheus; empty guesses from the Content-Type.
	Format string `yaml:"format" json:"format,omitempty"`
	// The service's name for each gauge: a dotted JSON path, or a
	// Prometheus selector (name or name{label="value"}; matching series
	// are summed).
	InUse   string `yaml:"in_use" json:"in_use,omitempty"`
	Idle    string `yaml:"idle" json:"idle,omitempty"`
	Waiting string `yaml:"waiting" json:"waiting,omitempty"`
	Max     string `yaml:"max" json:"max,omitempty"`
	Open    string `yaml:"open" json:"open,omitempty"`
	// WaitingCounter says Waiting is a cumulative count of waits (default
	// true, as database/sql's WaitCount is); then svc_pool_wait_count gives
	// its per-interval delta. Set false for a "waiting now" level.
	WaitingCounter *bool `yaml:"waiting_counter" json:"waiting_counter,omitempty"`
}

// Formats of pool_metrics.
const (
	FormatJSON       = "json"
	FormatPrometheus = "prometheus"
)

// ScrapeTimeout bounds one scrape of pool_metrics: a slow endpoint costs
// NaN gauges, never a late interval.
const ScrapeTimeout = time.Second

// svcGauges are the pool_metrics gauges, in order (svc_pool_open, beyond
// the four every pool has, is what pooldemo and HikariCP also expose).
// svc_pool_wait_count, a per-interval delta like the MySQL target's
// pool_wait_count, follows them when waiting is a counter.
var svcGauges = [...]string{record.SvcPoolInUse, record.SvcPoolIdle, record.SvcPoolWaiting, record.SvcPoolMax, record.SvcPoolOpen}

// svcWaiting is the index of svc_pool_waiting.
const svcWaiting = 2

const svcWaitDelta = record.SvcPoolWaitCount // delta

// svcOpened is the rise of svc_pool_open since the previous sample (delta):
// connections the service's pool opened in the interval, at least — one
// opened and closed between two samples is not seen. It is how a cold
// service shows its connection setup when its pool has no open counter.
const svcOpened = record.SvcPoolOpened

// svcOpen is the index of svc_pool_open.
const svcOpen = 4

// svcFields are the YAML names of the mapping fields, in svcGauges order.
var svcFields = [len(svcGauges)]string{"in_use", "idle", "waiting", "max", "open"}

// defaultFields match cmd/pooldemo, per format.
var defaultFields = map[string][len(svcGauges)]string{
	FormatJSON: {"in_use", "idle", "wait_count", "max_open", "open"},
	FormatPrometheus: {"pooldemo_pool_in_use", "pooldemo_pool_idle", "pooldemo_pool_wait_count_total",
		"pooldemo_pool_max_open", "pooldemo_pool_open"},
}

func (p *PoolMetrics) fields() [len(svcGauges)]string {
	return [...]string{p.InUse, p.Idle, p.Waiting, p.Max, p.Open}
}

func (p *PoolMetrics) waitingCounter() bool { return p.WaitingCounter == nil || *p.WaitingCounter }

// gaugeNames lists the block's gauges.
func (p *PoolMetrics) gaugeNames() []string {
	names := append([]string(nil), svcGauges[:]...)
	names = append(names, svcOpened)
	if p.waitingCounter() {
		names = append(names, svcWaitDelta)
	}
	return names
}

// url resolves URL against base.
func (p *PoolMetrics) url(base string) string {
	u := p.URL
	if u == "" {
		u = "/debug/pool"
		if p.Format == FormatPrometheus {
			u = "/metrics"
		}
	}
	if strings.HasPrefix(u, "/") {
		return strings.TrimSuffix(base, "/") + u
	}
	return u
}

// validate adds the block's problems to errs under "pool_metrics.".
func (p *PoolMetrics) validate(base string, errs map[string]string) {
	if p.URL != "" && !strings.HasPrefix(p.URL, "/") {
		if msg := checkScrapeURL(p.URL, base); msg != "" {
			errs["pool_metrics.url"] = msg
		}
	}
	if p.Format != "" && p.Format != FormatJSON && p.Format != FormatPrometheus {
		errs["pool_metrics.format"] = "must be json or prometheus (or empty: guessed from the Content-Type)"
	}
	for i, f := range p.fields() {
		if f == "" {
			continue
		}
		var err error
		switch p.Format {
		case FormatJSON:
			err = checkJSONPath(f)
		case FormatPrometheus:
			_, err = parsePromSelector(f)
		}
		if err != nil {
			errs["pool_metrics."+svcFields[i]] = err.Error()
		}
	}
}

// checkScrapeURL accepts an absolute http(s) URL on base's host or on
// loopback: gauges are read from the service, not from elsewhere.
func checkScrapeURL(raw, base string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "must be a path starting with / (relative to base_url) or an absolute http:// URL"
	}
	b, _ := url.Parse(base)
	if b != nil && strings.EqualFold(b.Hostname(), u.Hostname()) {
		return ""
	}
	if ip := net.ParseIP(u.Hostname()); u.Hostname() == "localhost" || ip != nil && ip.IsLoopback() {
		return ""
	}
	return "an absolute URL must be on base_url's host or on loopback"
}

// scraper reads pool_metrics. It has its own client: a scrape must not
// take a connection of the load Transport, nor go through DialAddr.
type scraper struct {
	cfg    *PoolMetrics
	url    string
	client *nethttp.Client
	tr     *nethttp.Transport

	mu       sync.Mutex
	prevWait float64 // the last good waiting reading, for the delta
	prevOK   bool
	prevOpen float64 // the last good open reading, for svc_pool_opened
	openOK   bool
	status   string // the last scrape's problem, "" if none: for Describe
}

func newScraper(cfg *PoolMetrics, base string) *scraper {
	tr := &nethttp.Transport{MaxIdleConnsPerHost: 1, ResponseHeaderTimeout: ScrapeTimeout}
	return &scraper{cfg: cfg, url: cfg.url(base), tr: tr,
		client: &nethttp.Client{Transport: tr, Timeout: ScrapeTimeout}}
}

func (s *scraper) close() { s.tr.CloseIdleConnections() }

// sample fills dst (the block's gauges, in order); NaN for what could not
// be read.
func (s *scraper) sample(ctx context.Context, dst []float64) {
	vals, err := s.scrape(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status = ""
	if err != nil {
		s.status = redact.Text(err.Error()) // it names the URL, query and all
	}
	n := copy(dst, vals[:])
	if n < len(dst) {
		dst[n] = s.opened(vals[svcOpen])
		n++
	}
	if n < len(dst) { // svc_pool_wait_count
		dst[n] = s.delta(vals[svcWaiting])
	}
}

// opened is the rise of open since the last good reading (a fall is
// connections closed: 0 opened seen).
func (s *scraper) opened(cur float64) float64 {
	if math.IsNaN(cur) {
		return math.NaN()
	}
	d := math.NaN()
	if s.openOK {
		d = max(0, cur-s.prevOpen)
	}
	s.prevOpen, s.openOK = cur, true
	return d
}

// delta is waiting's change since the last good reading. A counter that
// went down was reset (the service restarted): it counts from zero.
func (s *scraper) delta(cur float64) float64 {
	if math.IsNaN(cur) {
		return math.NaN()
	}
	d := math.NaN()
	if s.prevOK {
		d = cur - s.prevWait
		if d < 0 {
			d = cur
		}
	}
	s.prevWait, s.prevOK = cur, true
	return d
}

// scrape fetches and reads the gauges; err says what went wrong, if only
// for some of them.
func (s *scraper) scrape(ctx context.Context) (vals [len(svcGauges)]float64, err error) {
	for i := range vals {
		vals[i] = math.NaN()
	}
	ctx, cancel := context.WithTimeout(ctx, ScrapeTimeout)
	defer cancel()
	req, err := nethttp.NewRequestWithContext(ctx, nethttp.MethodGet, s.url, nil)
	if err != nil {
		return vals, fmt.Errorf("building the scrape request: %w", err)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return vals, fmt.Errorf("scraping: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return vals, fmt.Errorf("reading %s: %w", s.url, err)
	}
	if resp.StatusCode != nethttp.StatusOK {
		return vals, fmt.Errorf("%s answered %d", s.url, resp.StatusCode)
	}
	format := s.cfg.Format
	if format == "" {
		format = guessFormat(resp.Header.Get("Content-Type"), body)
	}
	return s.read(format, body)
}

// guessFormat picks json or prometheus from the Content-Type, or from the
// body's first byte when the type says neither.
func guessFormat(contentType string, body []byte) string {
	mt, _, _ := mime.ParseMediaType(contentType)
	switch {
	case mt == "application/json" || strings.HasSuffix(mt, "+json"):
		return FormatJSON
	case mt == "text/plain" || mt == "application/openmetrics-text":
		return FormatPrometheus
	}
	if t := strings.TrimSpace(string(body)); strings.HasPrefix(t, "{") {
		return FormatJSON
	}
	return FormatPrometheus
}

// read picks the gauges out of body.
func (s *scraper) read(format string, body []byte) (vals [len(svcGauges)]float64, err error) {
	var get func(field string) (float64, error)
	if format == FormatJSON {
		get, err = jsonGetter(body)
	} else {
		get, err = promGetter(body)
	}
	for i := range vals {
		vals[i] = math.NaN()
	}
	if get == nil {
		return vals, err
	}
	var missing []string
	for i, f := range s.cfg.fields() {
		if f == "" {
			f = defaultFields[format][i]
		}
		v, ferr := get(f)
		if ferr != nil {
			missing = append(missing, fmt.Sprintf("%s (%s): %v", svcFields[i], f, ferr))
			continue
		}
		vals[i] = v
	}
	if len(missing) > 0 {
		err = fmt.Errorf("%s: %s", format, strings.Join(missing, "; "))
	}
	return vals, err
}

func jsonGetter(body []byte) (func(string) (float64, error), error) {
	var doc any
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("the pool_metrics response is not JSON: %w", err)
	}
	return func(path string) (float64, error) {
		v, err := lookupJSON(doc, path)
		if err != nil {
			return 0, err
		}
		return jsonFloat(v)
	}, nil
}

// promGetter reads the exposition; a malformed line is reported only if a
// gauge is then missing, since other lines may hold all we need.
func promGetter(body []byte) (func(string) (float64, error), error) {
	samples, perr := parsePrometheus(string(body))
	return func(selector string) (float64, error) {
		sel, err := parsePromSelector(selector)
		if err != nil {
			return 0, err
		}
		if v, ok := sel.sum(samples); ok {
			return v, nil
		}
		if perr != nil {
			return 0, fmt.Errorf("no such metric (and %w)", perr)
		}
		return 0, fmt.Errorf("no such metric")
	}, nil
}
