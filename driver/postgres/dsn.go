package postgres

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/poolload/poolload/driver/pgserver"
)

var errNoDSN = errors.New("no dsn: give target.postgres.dsn or server: managed")

// withParams adds params to dsn, in a stable order: as query parameters
// of a URL, as key='value' pairs otherwise.
func withParams(dsn string, params map[string]string) string {
	if len(params) == 0 {
		return dsn
	}
	keys := slices.Sorted(maps.Keys(params))
	var b strings.Builder
	b.WriteString(dsn)
	if pgserver.IsURL(dsn) {
		sep := "?"
		if strings.Contains(dsn, "?") {
			sep = "&"
		}
		for _, k := range keys {
			b.WriteString(sep + url.QueryEscape(k) + "=" + url.QueryEscape(params[k]))
			sep = "&"
		}
		return b.String()
	}
	for _, k := range keys {
		v := strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(params[k])
		b.WriteString(" " + k + "='" + v + "'")
	}
	return b.String()
}

// connConfig is the pgx configuration of dsn plus the block's params, its
// connect_timeout and the load's application_name (the DSN's own, if it
// names one). It has no tracer: the pool adds its own.
func (c *Config) connConfig(dsn string) (*pgx.ConnConfig, error) {
	cc, err := pgx.ParseConfig(withParams(dsn, c.Params))
	if err != nil {
		return nil, fmt.Errorf("parsing the dsn: %w", pgserver.Scrub(err, pgserver.Password(dsn)))
	}
	if d := c.ConnectTimeout.D(); cc.ConnectTimeout == 0 || cc.ConnectTimeout > d {
		cc.ConnectTimeout = d
	}
	if cc.RuntimeParams == nil {
		cc.RuntimeParams = map[string]string{}
	}
	if cc.RuntimeParams["application_name"] == "" {
		cc.RuntimeParams["application_name"] = c.ApplicationName
	}
	return cc, nil
}

// poolConfig is connConfig with the pool's hooks: every setup timed and
// charged by tr, every connect dialled through dialAddr when set.
func (c *Config) poolConfig(dsn, dialAddr string, tr *tracer) (*pgx.ConnConfig, error) {
	cc, err := c.connConfig(dsn)
	if err != nil {
		return nil, err
	}
	cc.Tracer = tr
	cc.LookupFunc = lookup
	cc.DialFunc = dialer(dialAddr)
	cc.AfterNetConnect = afterNetConnect
	return cc, nil
}
