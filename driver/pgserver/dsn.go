package pgserver

import (
	"net/url"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

const redactedPassword = "*****"

// kvPassword finds password=... in a keyword/value connection string
// (host=h password='p w' dbname=d): a quoted value with \' and \\
// escapes, or a bare one up to the next blank.
var kvPassword = regexp.MustCompile(`(?i)(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s]*)`)

// IsURL reports whether dsn is a URL (postgres:// or postgresql://)
// rather than keyword/value pairs.
func IsURL(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// RedactDSN replaces the DSN's password by *****, in the user info of a
// URL, in its password= query parameter and in keyword/value pairs,
// keeping the rest as the user wrote it.
func RedactDSN(dsn string) string {
	if !IsURL(dsn) {
		return kvPassword.ReplaceAllString(dsn, "${1}"+redactedPassword)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		// Unreadable: hide whatever sits between the scheme's user and @.
		return redactUserinfo(dsn)
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), redactedPassword)
	}
	q := u.Query()
	for k := range q {
		if strings.EqualFold(k, "password") {
			q.Set(k, redactedPassword)
			u.RawQuery = q.Encode()
		}
	}
	// url.String escapes the stars; the redaction reads better without.
	return strings.ReplaceAll(u.String(), url.QueryEscape(redactedPassword), redactedPassword)
}

// redactUserinfo hides user:PASSWORD@ in a URL that does not parse.
func redactUserinfo(dsn string) string {
	_, rest, _ := strings.Cut(dsn, "://")
	head := dsn[:len(dsn)-len(rest)]
	at := strings.LastIndexByte(rest, '@')
	if at < 0 {
		return dsn
	}
	colon := strings.IndexByte(rest[:at], ':')
	if colon < 0 {
		return dsn
	}
	return head + rest[:colon+1] + redactedPassword + rest[at:]
}

// Password returns the password in dsn as the driver reads it, or "".
// A password read from a .pgpass file or PGPASSWORD counts too: an error
// message must not show it either.
func Password(dsn string) string {
	if c, err := pgconn.ParseConfig(dsn); err == nil {
		return c.Password
	}
	if IsURL(dsn) {
		if u, err := url.Parse(dsn); err == nil {
			pw, _ := u.User.Password()
			return pw
		}
		return ""
	}
	if m := kvPassword.FindStringSubmatch(dsn); m != nil {
		return strings.Trim(m[2], "'")
	}
	return ""
}

// scrubbedError hides a password that an error message might contain.
// pgconn redacts the connection strings it quotes; this is the last line
// of defence for everything else.
type scrubbedError struct {
	err error
	pw  string
}

func (e *scrubbedError) Error() string {
	return strings.ReplaceAll(e.err.Error(), e.pw, redactedPassword)
}

func (e *scrubbedError) Unwrap() error { return e.err }

// Scrub wraps err so that its message never shows pw.
func Scrub(err error, pw string) error {
	if err == nil || pw == "" {
		return err
	}
	return &scrubbedError{err: err, pw: pw}
}
