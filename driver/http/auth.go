package http

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	nethttp "net/http"
	"strings"
	"time"

	"github.com/poolload/poolload/driver"
)

// Auth is the optional `auth` block: one login request at Open, before any
// load, whose JSON response holds a token that every load request then
// carries in a header. The token lives only in the driver's memory: it is
// never in the config, the run record or an error message.
type Auth struct {
	// Method defaults to POST.
	Method string `yaml:"method" json:"method,omitempty"`
	// Path is appended to base_url.
	Path string `yaml:"path" json:"path"`
	// Headers and Body may use ${NAME} like a request's; the body usually
	// holds credentials and is redacted in the run record.
	Headers map[string]string `yaml:"headers" json:"headers,omitempty"`
	Body    string            `yaml:"body" json:"body,omitempty"`
	// ExpectStatus lists the statuses of a successful login (default 2xx).
	ExpectStatus []int `yaml:"expect_status" json:"expect_status,omitempty" range:"100..599"`
	// TokenJSON is the dotted path of the token in the JSON response
	// (token, data.access_token).
	TokenJSON string `yaml:"token_json" json:"token_json"`
	// Header is set on every load request (default Authorization) to
	// Format with {token} replaced (default "Bearer {token}").
	Header string `yaml:"header" json:"header,omitempty"`
	Format string `yaml:"format" json:"format,omitempty"`
}

// Defaults of the auth block.
const (
	DefaultAuthHeader = "Authorization"
	DefaultAuthFormat = "Bearer {token}"
)

// maxAuthBody bounds how much of a login response is read.
const maxAuthBody = 1 << 20

// validate adds the block's problems to errs under "auth.".
func (a *Auth) validate(errs map[string]string) {
	if a.Method != "" && !methods[strings.ToUpper(a.Method)] {
		errs["auth.method"] = "must be one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
	}
	if !strings.HasPrefix(a.Path, "/") {
		errs["auth.path"] = "must start with / (it is appended to base_url)"
	}
	checkEnv("auth", a.Headers, a.Body, errs)
	for i, s := range a.ExpectStatus {
		if s < 100 || s > 599 {
			errs[fmt.Sprintf("auth.expect_status[%d]", i)] = "must be an HTTP status between 100 and 599"
		}
	}
	if err := checkJSONPath(a.TokenJSON); err != nil {
		errs["auth.token_json"] = err.Error() + " (the dotted path of the token in the login response, e.g. data.access_token)"
	}
	if a.Header != "" && !validHeaderName(a.Header) {
		errs["auth.header"] = fmt.Sprintf("%q is not a valid header name", a.Header)
	}
	if a.Format != "" && !strings.Contains(a.Format, "{token}") {
		errs["auth.format"] = `must contain {token}, as in "Bearer {token}"`
	}
}

// validHeaderName reports whether s is an RFC 9110 token.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// login runs the auth request and returns the header to set on load
// requests. It uses a client of its own, not the load Transport: the login
// is not load, and its connection must not warm the measured pool.
func (a *Auth) login(ctx context.Context, base string, timeout time.Duration) (name, value string, err error) {
	method := strings.ToUpper(a.Method)
	if method == "" {
		method = nethttp.MethodPost
	}
	what := method + " " + a.Path
	tr := &nethttp.Transport{}
	defer tr.CloseIdleConnections()
	client := &nethttp.Client{Transport: tr, Timeout: timeout,
		CheckRedirect: func(*nethttp.Request, []*nethttp.Request) error { return nethttp.ErrUseLastResponse }}
	token, oe := a.fetchToken(ctx, client, method, base+a.Path)
	if oe != nil {
		oe.Err = fmt.Errorf("logging in (auth %s): %w", what, oe.Err)
		return "", "", oe
	}
	return orDefault(a.Header, DefaultAuthHeader), strings.ReplaceAll(orDefault(a.Format, DefaultAuthFormat), "{token}", token), nil
}

// fetchToken sends the login request and extracts the token.
func (a *Auth) fetchToken(ctx context.Context, client *nethttp.Client, method, url string) (string, *OpenError) {
	var body io.Reader
	if a.Body != "" {
		body = strings.NewReader(expandEnv(a.Body))
	}
	req, err := nethttp.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return "", &OpenError{Class: driver.ClassOther, Err: fmt.Errorf("building the request: %w", err)}
	}
	for k, v := range a.Headers {
		req.Header.Set(k, expandEnv(v))
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", &OpenError{Class: classify(ctx, err), Err: err}
	}
	defer resp.Body.Close()
	if !a.expected(resp.StatusCode) {
		// The body is not shown: a login error page may echo credentials.
		return "", &OpenError{Class: statusClass(resp.StatusCode), Err: fmt.Errorf(
			"the service answered %d %s, expected %s (response body not shown)",
			resp.StatusCode, nethttp.StatusText(resp.StatusCode), a.expectedText())}
	}
	return a.tokenFrom(resp)
}

// tokenFrom reads the token at TokenJSON in the response.
func (a *Auth) tokenFrom(resp *nethttp.Response) (string, *OpenError) {
	var doc any
	dec := json.NewDecoder(io.LimitReader(resp.Body, maxAuthBody))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			err = errors.New("it does not parse") // the parser's message quotes the body
		}
		return "", &OpenError{Class: driver.ClassOther, Err: fmt.Errorf(
			"the response is not JSON (Content-Type %q): %w", resp.Header.Get("Content-Type"), err)}
	}
	v, err := lookupJSON(doc, a.TokenJSON)
	if err != nil {
		return "", &OpenError{Class: driver.ClassOther, Err: fmt.Errorf("token_json %q: %w", a.TokenJSON, err)}
	}
	tok, ok := v.(string)
	if !ok || tok == "" {
		kind := jsonKind(v)
		if ok {
			kind = "an empty string"
		}
		return "", &OpenError{Class: driver.ClassOther, Err: fmt.Errorf("token_json %q is %s, not a token", a.TokenJSON, kind)}
	}
	return tok, nil
}

func (a *Auth) expected(status int) bool {
	if len(a.ExpectStatus) == 0 {
		return status >= 200 && status <= 299
	}
	for _, s := range a.ExpectStatus {
		if s == status {
			return true
		}
	}
	return false
}

func (a *Auth) expectedText() string {
	if len(a.ExpectStatus) == 0 {
		return "2xx"
	}
	return fmt.Sprint(a.ExpectStatus)
}

// orDefault returns s, or def if s is empty.
func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// OpenError is a failure to open the target (today: the login), with its
// class. Its message never holds the login body, the response or a token.
type OpenError struct {
	Class driver.ErrorClass
	Err   error
}

func (e *OpenError) Error() string { return e.Class.String() + ": " + e.Err.Error() }
func (e *OpenError) Unwrap() error { return e.Err }
