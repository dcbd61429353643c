// Package http is poolload's HTTP target: one net/http client with its own
// Transport, a weighted list of requests, and timings taken with
// net/http/httptrace using k6's definitions (blocked = GetConn→GotConn,
// which includes DNS, dial and TLS for a new connection; wait = time to
// first byte; receiving = first byte → body fully read), so that numbers
// from poolload and k6 can be compared directly.
package http

import (
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/poolload/poolload/driver"
)

// DefaultTimeout bounds one request (connect, send, wait, read) when the
// scenario gives none.
const DefaultTimeout = 10 * time.Second

// Config is the `target.http` block of a scenario.
type Config struct {
	// BaseURL is scheme://host[:port][/prefix]; request paths are appended.
	BaseURL string `yaml:"base_url" json:"base_url"`
	// Requests is the weighted mix one iteration picks from.
	Requests []Request `yaml:"requests" json:"requests"`
	// ExpectStatus lists the statuses that count as success; empty means
	// 200–399 (redirects are not followed, so a 3xx is a response too).
	ExpectStatus []int `yaml:"expect_status" json:"expect_status,omitempty"`
	// Timeout bounds one request end to end (default 10s).
	Timeout driver.Duration `yaml:"timeout" json:"timeout,omitempty"`
	// NoReuse opens a new connection for every request (keep-alive off),
	// like k6's noConnectionReuse.
	NoReuse bool `yaml:"no_reuse" json:"no_reuse,omitempty"`
	// MaxConns caps connections per host (0: no cap). Requests beyond it
	// wait in the Transport and that wait shows up as blocked.
	MaxConns int `yaml:"max_conns" json:"max_conns,omitempty"`
}

// Request is one entry of the mix.
type Request struct {
	Name string `yaml:"name" json:"name"`
	// Weight is the relative frequency (default 1).
	Weight int `yaml:"weight" json:"weight,omitempty"`
	// Method defaults to GET.
	Method string `yaml:"method" json:"method,omitempty"`
	// Path is appended to BaseURL; it may contain generators in braces,
	// such as /items/{rand_int(1,1000)} (see parsePath).
	Path string `yaml:"path" json:"path"`
	// Headers and Body may name environment variables as ${NAME}, so that
	// tokens stay out of the scenario file; they are expanded at Open.
	Headers map[string]string `yaml:"headers" json:"headers,omitempty"`
	Body    string            `yaml:"body" json:"body,omitempty"`
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
		if r.Weight < 0 {
			errs[p+".weight"] = "must be 0 or more (0 means 1)"
		}
		if r.Method != "" && !methods[strings.ToUpper(r.Method)] {
			errs[p+".method"] = "must be one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
		}
		if !strings.HasPrefix(r.Path, "/") {
			errs[p+".path"] = "must start with /"
		} else if _, err := parsePath(r.Path); err != nil {
			errs[p+".path"] = err.Error()
		}
		for k, v := range r.Headers {
			if name := unsetEnv(v); name != "" {
				errs[p+".headers."+k] = "uses ${" + name + "}, which is not set"
			}
		}
		if name := unsetEnv(r.Body); name != "" {
			errs[p+".body"] = "uses ${" + name + "}, which is not set"
		}
	}
	for i, s := range c.ExpectStatus {
		if s < 100 || s > 599 {
			errs[fmt.Sprintf("expect_status[%d]", i)] = "must be an HTTP status between 100 and 599"
		}
	}
	if c.MaxConns < 0 {
		errs["max_conns"] = "must be 0 (no cap) or more"
	}
	return errs
}

// unsetEnv returns the first variable s names that is not set, or "".
func unsetEnv(s string) string {
	missing := ""
	os.Expand(s, func(name string) string {
		if _, ok := os.LookupEnv(name); !ok && missing == "" {
			missing = name
		}
		return ""
	})
	return missing
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
