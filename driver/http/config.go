// Package http is poolload's HTTP target: one net/http client with its own
// Transport, a weighted list of requests, and timings taken with
// net/http/httptrace using k6's definitions (blocked = GetConn→GotConn,
// which includes DNS, dial and TLS for a new connection; wait = time to
// first byte; receiving = first byte → body fully read), so that numbers
// from poolload and k6 can be compared directly.
package http

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/poolload/poolload/driver/gen"
	"github.com/poolload/poolload/units"
)

// DefaultTimeout bounds one request (connect, send, wait, read) when the
// scenario gives none.
const DefaultTimeout = 10 * time.Second

// Limits that catch typos rather than restrict real use. The range tags
// quote them, and a test keeps the two in step.
const (
	maxConns = 100_000
	// maxWeight bounds a request's weight: a million to one is finer than
	// any mix needs, and the weights' sum stays far from overflowing.
	maxWeight = 1_000_000
)

// Config is the `target.http` block of a scenario.
type Config struct {
	// BaseURL is scheme://host[:port][/prefix]; request paths are appended.
	BaseURL string `yaml:"base_url" json:"base_url"`
	// Requests is the weighted mix one iteration picks from.
	Requests []Request `yaml:"requests" json:"requests"`
	// ExpectStatus lists the statuses that count as success; empty means
	// 200–399 (redirects are not followed, so a 3xx is a response too).
	ExpectStatus []int `yaml:"expect_status" json:"expect_status,omitempty" range:"100..599"`
	// Timeout bounds one request end to end (default 10s).
	Timeout units.Duration `yaml:"timeout" json:"timeout,omitempty"`
	// NoReuse opens a new connection for every request (keep-alive off),
	// like k6's noConnectionReuse.
	NoReuse bool `yaml:"no_reuse" json:"no_reuse,omitempty"`
	// MaxConns caps connections per host (0: no cap). Requests beyond it
	// wait in the Transport and that wait shows up as blocked.
	MaxConns int `yaml:"max_conns" json:"max_conns,omitempty" range:"0..100000"`

	// Auth logs in once at Open; load requests carry the token.
	Auth *Auth `yaml:"auth" json:"auth,omitempty"`
	// PoolMetrics reads the service's own pool gauges every interval.
	PoolMetrics *PoolMetrics `yaml:"pool_metrics" json:"pool_metrics,omitempty"`
	// Database watches the service's database from the server side.
	Database *Database `yaml:"database" json:"database,omitempty"`

	// DialAddr, if set, is the host:port the load Transport dials instead
	// of the URL's (the network emulator listens there); the URL and Host
	// header stay as written. Auth and the samplers connect directly. Not
	// part of the scenario file.
	DialAddr string `yaml:"-" json:"-"`
}

// Request is one entry of the mix.
type Request struct {
	Name string `yaml:"name" json:"name"`
	// Weight is the relative frequency (default 1). A pointer, so that a
	// written 0, which would never be picked, is refused rather than read
	// as unset.
	Weight *int `yaml:"weight" json:"weight,omitempty" range:"1..1000000"`
	// Method defaults to GET.
	Method string `yaml:"method" json:"method,omitempty"`
	// Path is appended to BaseURL; it may contain generators in braces,
	// such as /items/{rand_int(1,1000)} or /x/{uuid()} (see driver/gen).
	Path string `yaml:"path" json:"path"`
	// Headers and Body may name environment variables as ${NAME}, so that
	// tokens stay out of the scenario file; they are expanded at Open.
	Headers map[string]string `yaml:"headers" json:"headers,omitempty"`
	Body    string            `yaml:"body" json:"body,omitempty"`
}

// weight is the request's weight, 1 when it is not written.
func (r *Request) weight() int {
	if r.Weight == nil {
		return 1
	}
	return *r.Weight
}

var methods = map[string]bool{
	"GET": true, "HEAD": true, "POST": true, "PUT": true, "PATCH": true,
	"DELETE": true, "OPTIONS": true,
}

// Validate reports every problem in c as field → message.
func (c *Config) Validate() map[string]string {
	errs := map[string]string{}
	if c.BaseURL == "" {
		errs["base_url"] = "is required (for example http://127.0.0.1:8089)"
	} else if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs["base_url"] = "must be an absolute http:// or https:// URL with a host"
	}
	if len(c.Requests) == 0 {
		errs["requests"] = "needs at least one request"
	}
	for i, r := range c.Requests {
		p := fmt.Sprintf("requests[%d]", i)
		if w := r.weight(); w < 1 || w > maxWeight {
			errs[p+".weight"] = fmt.Sprintf("must be between 1 and %d (leave it out for 1), got %d", maxWeight, w)
		}
		if r.Method != "" && !methods[strings.ToUpper(r.Method)] {
			errs[p+".method"] = "must be one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
		}
		if !strings.HasPrefix(r.Path, "/") {
			errs[p+".path"] = "must start with /"
		} else if _, err := gen.ParseTemplate(r.Path); err != nil {
			errs[p+".path"] = err.Error()
		}
		checkEnv(p, r.Headers, r.Body, errs)
	}
	for i, s := range c.ExpectStatus {
		if s < 100 || s > 599 {
			errs[fmt.Sprintf("expect_status[%d]", i)] = "must be an HTTP status between 100 and 599"
		}
	}
	if c.MaxConns < 0 || c.MaxConns > maxConns {
		errs["max_conns"] = fmt.Sprintf("must be between 0 (no cap) and %d, got %d", maxConns, c.MaxConns)
	}
	if msg := c.Timeout.Check(units.MaxDuration, false); msg != "" {
		errs["timeout"] = msg
	}
	c.validateBlocks(errs)
	return errs
}

// validateBlocks checks the optional blocks and the dial hook.
func (c *Config) validateBlocks(errs map[string]string) {
	if c.Auth != nil {
		c.Auth.validate(errs)
	}
	if c.PoolMetrics != nil {
		c.PoolMetrics.validate(c.BaseURL, errs)
	}
	if c.Database != nil {
		c.Database.validate(errs)
	}
	if c.DialAddr != "" {
		if _, _, err := net.SplitHostPort(c.DialAddr); err != nil {
			errs["dial_addr"] = fmt.Sprintf("%q is not host:port", c.DialAddr)
		}
	}
}

// checkEnv reports, under prefix, headers and a body that name unset
// variables.
func checkEnv(prefix string, headers map[string]string, body string, errs map[string]string) {
	for k, v := range headers {
		if name := unsetEnv(v); name != "" {
			errs[prefix+".headers."+k] = "uses ${" + name + "}, which is not set"
		}
	}
	if name := unsetEnv(body); name != "" {
		errs[prefix+".body"] = "uses ${" + name + "}, which is not set"
	}
}

// envRef is a ${NAME} reference. Only the braced form is expanded: a bare
// $ is common in passwords and JSON bodies, and must stay as written.
var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// expandEnv replaces each ${NAME} with the variable's value.
func expandEnv(s string) string {
	if !strings.Contains(s, "${") {
		return s
	}
	return envRef.ReplaceAllStringFunc(s, func(ref string) string {
		return os.Getenv(ref[2 : len(ref)-1])
	})
}

// unsetEnv returns the first variable s names that is not set, or "".
func unsetEnv(s string) string {
	for _, m := range envRef.FindAllStringSubmatch(s, -1) {
		if _, ok := os.LookupEnv(m[1]); !ok {
			return m[1]
		}
	}
	return ""
}

// timeout returns the per-request timeout with its default applied.
func (c *Config) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout.D()
	}
	return DefaultTimeout
}

// expected reports whether status counts as success.
func (c *Config) expected(status int) bool {
	if len(c.ExpectStatus) == 0 {
		return status >= 200 && status <= 399
	}
	for _, s := range c.ExpectStatus {
		if s == status {
			return true
		}
	}
	return false
}
