// Package redact hides the secrets that a URL, a request body or an error
// message may carry, so that none reaches the terminal or the run record.
// It is a leaf that the scenario format, the drivers, the collector and
// the runner share: a secret is recognised the same way wherever text
// leaves them, and fixing a miss here fixes it everywhere.
package redact

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// Mask replaces a secret.
const Mask = "*****"

// secretNames are query parameter names, lower case with - read as _,
// whose values are credentials.
var secretNames = map[string]bool{
	"api_key": true, "apikey": true, "key": true, "token": true, "access_token": true,
	"password": true, "passwd": true, "pwd": true, "pass": true, "secret": true,
	"signature": true, "sig": true, "auth": true, "authorization": true,
	"credential": true, "credentials": true, "session": true, "sessionid": true,
}

// secretSuffixes catch the families of the names above (client_secret,
// refresh_token, x_amz_signature, db_password). A name like sort_key is
// masked too: hiding a harmless value costs nothing, showing a secret does.
var secretSuffixes = []string{"_token", "_key", "_secret", "_password", "_passwd", "_signature", "_credential"}

// camelSuffixes catch the camelCase spellings (apiKey, accessToken).
var camelSuffixes = []string{"Token", "Key", "Secret", "Password", "Signature"}

// SecretName reports whether a query parameter (or form field) called
// name carries a credential. Case does not matter and - counts as _.
func SecretName(name string) bool {
	if un, err := url.QueryUnescape(name); err == nil {
		name = un
	}
	for _, s := range camelSuffixes {
		if len(name) > len(s) && strings.HasSuffix(name, s) {
			return true
		}
	}
	n := strings.ReplaceAll(strings.ToLower(name), "-", "_")
	if secretNames[n] {
		return true
	}
	for _, s := range secretSuffixes {
		if strings.HasSuffix(n, s) {
			return true
		}
	}
	return false
}

// URL returns raw with the password of its userinfo and the values of its
// secret query (and fragment) parameters masked. It works on the text, not
// on a parsed URL, so that a path template ({rand_int(1,9)}), a relative
// path or a URL that does not parse is redacted too, and the rest is left
// exactly as written.
func URL(raw string) string {
	return params(userinfo(raw))
}

// userinfo masks the password in scheme://user:password@host. The
// authority ends at the first / ? or #, and the userinfo at its last @,
// as net/url reads it, so that a password with an unescaped @ is masked
// whole.
func userinfo(raw string) string {
	i := strings.Index(raw, "://")
	if i < 0 {
		return raw
	}
	start := i + len("://")
	end := len(raw)
	if j := strings.IndexAny(raw[start:], "/?#"); j >= 0 {
		end = start + j
	}
	at := strings.LastIndexByte(raw[start:end], '@')
	if at < 0 {
		return raw
	}
	colon := strings.IndexByte(raw[start:start+at], ':')
	if colon < 0 {
		return raw // a user name alone is no secret
	}
	return raw[:start+colon+1] + Mask + raw[start+at:]
}

// param is one name=value of a query string or fragment, after ? & or #.
// The value runs to the next & or #, or to what ends a URL in free text
// (space, quote, angle bracket): a ; stays inside it, so that an old-style
// separator makes more text masked, never less.
var param = regexp.MustCompile(`([?&#])([^=&#?\s"'<>` + "`" + `]+)=([^&#\s"'<>` + "`" + `]*)`)

// params masks the values of secret-looking parameters.
func params(s string) string {
	if !strings.ContainsAny(s, "?&#") {
		return s
	}
	return param.ReplaceAllStringFunc(s, func(m string) string {
		sub := param.FindStringSubmatch(m)
		// Punctuation that ends a sentence (`GET /x?token=t: timeout`)
		// is the message's, not the value's.
		value := strings.TrimRight(sub[3], ".,:;)")
		if !SecretName(sub[2]) || value == "" {
			return m
		}
		return sub[1] + sub[2] + "=" + Mask + sub[3][len(value):]
	})
}

// absURL is an absolute URL inside free text: it ends at a space, a quote
// or an angle bracket, as in Go's `Get "http://…": EOF`.
var absURL = regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.-]*://[^\s"'<>` + "`" + `]+`)

// Text masks the secrets of every URL in a free-text message (an error
// from net/http quotes the request's URL, query string included), and of
// query parameters written without a scheme (GET /items?token=…).
func Text(s string) string {
	if strings.Contains(s, "://") {
		s = absURL.ReplaceAllStringFunc(s, userinfo)
	}
	return params(s)
}

// Body stands in for a request body: bodies carry credentials and personal
// data under names no list foresees, so none is kept, only its size. A
// body already redacted stays as it is, so that redacting twice (a copy,
// then its JSON) still tells the size. The brackets are not <>, which JSON
// escapes.
func Body(body string) string {
	if body == "" || redactedBody.MatchString(body) {
		return body
	}
	return fmt.Sprintf("[%d bytes redacted]", len(body))
}

var redactedBody = regexp.MustCompile(`^\[[0-9]+ bytes redacted\]$`)

// Error returns err with its message redacted by Text. The original stays
// reachable through errors.Is and errors.As, so that classifying it still
// works; nil stays nil.
func Error(err error) error {
	if err == nil {
		return nil
	}
	return &redactedError{err: err}
}

type redactedError struct{ err error }

func (e *redactedError) Error() string { return Text(e.err.Error()) }
func (e *redactedError) Unwrap() error { return e.err }
