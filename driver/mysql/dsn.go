package mysql

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
)

const redactedPassword = "*****"

// passwordSpan finds the password in a DSN the way gomysql.ParseDSN does:
// the last '/' ends the address part, the last '@' before it ends the
// credentials, and the first ':' before that starts the password. Mirroring
// the parser means we hide exactly what the driver would send.
func passwordSpan(dsn string) (start, end int, ok bool) {
	slash := strings.LastIndexByte(dsn, '/')
	if slash <= 0 {
		// Not a valid DSN; still hide anything that looks like user:pass@.
		slash = len(dsn)
	}
	at := strings.LastIndexByte(dsn[:slash], '@')
	if at < 0 {
		return 0, 0, false
	}
	colon := strings.IndexByte(dsn[:at], ':')
	if colon < 0 {
		return 0, 0, false
	}
	return colon + 1, at, true
}

// redactDSN replaces the DSN's password by *****, keeping the rest of the
// text as the user wrote it.
func redactDSN(dsn string) string {
	start, end, ok := passwordSpan(dsn)
	if !ok || start == end {
		return dsn
	}
	out := dsn[:start] + redactedPassword + dsn[end:]
	if gc, err := gomysql.ParseDSN(dsn); err == nil && gc.Passwd != dsn[start:end] {
		// Our reading disagrees with the driver's: trust the driver.
		gc.Passwd = redactedPassword
		return gc.FormatDSN()
	}
	return out
}

// dsnPassword returns the password in dsn, or "" if none.
func dsnPassword(dsn string) string {
	if gc, err := gomysql.ParseDSN(dsn); err == nil {
		return gc.Passwd
	}
	if start, end, ok := passwordSpan(dsn); ok {
		return dsn[start:end]
	}
	return ""
}

// scrubbedError hides a password that an error message might contain. The
// driver never puts one there, but a DSN parse error or a future driver
// version might: this is the last line of defence.
type scrubbedError struct {
	err error
	pw  string
}

func (e *scrubbedError) Error() string {
	return strings.ReplaceAll(e.err.Error(), e.pw, redactedPassword)
}

func (e *scrubbedError) Unwrap() error { return e.err }

// scrub wraps err so that its message never shows pw.
func scrub(err error, pw string) error {
	if err == nil || pw == "" {
		return err
	}
	return &scrubbedError{err: err, pw: pw}
}

// dsnQueryKeys returns the parameter names written in dsn's query part.
func dsnQueryKeys(dsn string) map[string]bool {
	keys := map[string]bool{}
	slash := strings.LastIndexByte(dsn, '/')
	if slash < 0 {
		return keys
	}
	_, query, ok := strings.Cut(dsn[slash:], "?")
	if !ok {
		return keys
	}
	for kv := range strings.SplitSeq(query, "&") {
		k, _, _ := strings.Cut(kv, "=")
		keys[k] = true
	}
	return keys
}

// withParams appends params to dsn's query string, in a stable order.
func withParams(dsn string, params map[string]string) string {
	if len(params) == 0 {
		return dsn
	}
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	b.WriteString(dsn)
	sep := "?"
	if slash := strings.LastIndexByte(dsn, '/'); slash >= 0 && strings.Contains(dsn[slash:], "?") {
		sep = "&"
	}
	for _, k := range keys {
		b.WriteString(sep)
		b.WriteString(url.QueryEscape(k))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(params[k]))
		sep = "&"
	}
	return b.String()
}

// goConfig builds the driver config for dsn plus c.Params. Unless the user
// says otherwise it turns on interpolateParams: without it every statement
// with arguments costs prepare + execute + close, three round trips, and
// `wait` would measure the driver's protocol choice rather than the server.
func (c *Config) goConfig(dsn string, connectTimeout time.Duration) (*gomysql.Config, error) {
	pw := dsnPassword(dsn)
	gc, err := gomysql.ParseDSN(withParams(dsn, c.Params))
	if err != nil {
		return nil, fmt.Errorf("parsing the dsn: %w", scrub(err, pw))
	}
	if !dsnQueryKeys(dsn)["interpolateParams"] {
		if _, set := c.Params["interpolateParams"]; !set {
			gc.InterpolateParams = true
		}
	}
	if gc.Timeout == 0 || gc.Timeout > connectTimeout {
		gc.Timeout = connectTimeout
	}
	if err := c.applyTLS(gc); err != nil {
		return nil, err
	}
	return gc, nil
}

var errNoDSN = errors.New("no dsn: give target.mysql.dsn or server: managed")
