package mysqlserver

import (
	"strings"

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
func RedactDSN(dsn string) string {
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

// Password returns the password in dsn, or "" if none.
func Password(dsn string) string {
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

// Scrub wraps err so that its message never shows pw.
func Scrub(err error, pw string) error {
	if err == nil || pw == "" {
		return err
	}
	return &scrubbedError{err: err, pw: pw}
}

// CheckDSN reports whether dsn parses as a go-sql-driver DSN, without
// connecting; its error never holds the password.
func CheckDSN(dsn string) error {
	if _, err := gomysql.ParseDSN(dsn); err != nil {
		return Scrub(err, Password(dsn))
	}
	return nil
}
