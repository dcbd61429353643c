package http

import (
	"encoding/json"
	"maps"
	"regexp"

	"github.com/poolload/poolload/driver/mysqlserver"
	"github.com/poolload/poolload/redact"
)

// redacted replaces a secret.
const redacted = redact.Mask

// secretHeader matches header names whose values are credentials.
var secretHeader = regexp.MustCompile(`(?i)auth|token|key|secret|cookie|session|password`)

// Redacted returns a copy that is safe to print or store: secret headers
// of the requests and of auth, the bodies (they hold credentials and
// personal data, already expanded from the environment; only their size
// is kept), the password and secret query parameters of base_url, of
// every path and of pool_metrics.url, and the database DSN's password are
// replaced. The copy shares nothing mutable with c.
func (c Config) Redacted() Config {
	r := c
	r.BaseURL = redact.URL(c.BaseURL)
	r.Requests = make([]Request, len(c.Requests))
	for i, q := range c.Requests {
		q.Path = redact.URL(q.Path)
		q.Headers = redactHeaders(q.Headers)
		q.Body = redact.Body(q.Body)
		r.Requests[i] = q
	}
	r.ExpectStatus = append([]int(nil), c.ExpectStatus...)
	if c.Auth != nil {
		a := *c.Auth
		a.Path = redact.URL(a.Path)
		a.Headers = redactHeaders(a.Headers)
		if a.Body != "" {
			a.Body = redacted
		}
		a.ExpectStatus = append([]int(nil), a.ExpectStatus...)
		r.Auth = &a
	}
	if c.PoolMetrics != nil {
		p := *c.PoolMetrics
		p.URL = redact.URL(p.URL)
		r.PoolMetrics = &p
	}
	if c.Database != nil {
		db := *c.Database
		db.DSN = mysqlserver.RedactDSN(db.DSN)
		r.Database = &db
	}
	return r
}

func redactHeaders(in map[string]string) map[string]string {
	if in == nil {
		return nil
	}
	out := maps.Clone(in)
	for k := range out {
		if secretHeader.MatchString(k) {
			out[k] = redacted
		}
	}
	return out
}

// MarshalJSON writes the redacted config: run.json never holds a secret,
// even if a caller forgets to call Redacted.
func (c Config) MarshalJSON() ([]byte, error) {
	type plain Config // no methods: no recursion
	return json.Marshal(plain(c.Redacted()))
}

// String describes the config without its secrets, so that %v in a log
// line cannot leak them.
func (c Config) String() string {
	b, err := c.MarshalJSON()
	if err != nil {
		return "http.Config{base_url: " + redact.URL(c.BaseURL) + "}"
	}
	return "http.Config" + string(b)
}

// GoString is String: %#v must not leak secrets either.
func (c Config) GoString() string { return c.String() }

// String keeps a Driver's headers (which carry the auth token) out of %v.
func (d *Driver) String() string { return "http.Driver{" + redact.URL(d.cfg.BaseURL) + "}" }
