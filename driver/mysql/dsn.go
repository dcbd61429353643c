package mysql

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/poolload/poolload/driver/mysqlserver"
)

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
func (c *Config) goConfig(dsn string, connectTimeout time.Duration, managedCA *x509.CertPool) (*gomysql.Config, error) {
	pw := mysqlserver.Password(dsn)
	gc, err := gomysql.ParseDSN(withParams(dsn, c.Params))
	if err != nil {
		return nil, fmt.Errorf("parsing the dsn: %w", mysqlserver.Scrub(err, pw))
	}
	if !dsnQueryKeys(dsn)["interpolateParams"] {
		if _, set := c.Params["interpolateParams"]; !set {
			gc.InterpolateParams = true
		}
	}
	if gc.Timeout == 0 || gc.Timeout > connectTimeout {
		gc.Timeout = connectTimeout
	}
	if err := c.applyTLS(gc, managedCA); err != nil {
		return nil, err
	}
	return gc, nil
}

var errNoDSN = errors.New("no dsn: give target.mysql.dsn or server: managed")
