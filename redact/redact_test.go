package redact

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

func TestSecretName(t *testing.T) {
	for name, want := range map[string]bool{
		"api_key": true, "apikey": true, "API_KEY": true, "api-key": true, "apiKey": true,
		"key": true, "token": true, "Token": true, "access_token": true, "accessToken": true,
		"refresh_token": true, "password": true, "passwd": true, "secret": true,
		"client_secret": true, "signature": true, "X-Amz-Signature": true, "sig": true,
		"auth": true, "api%5Fkey": true, "db_password": true,
		"page": false, "id": false, "q": false, "sort": false, "keyword": false,
		"signal": false, "author": false, "tokens_left": false, "": false,
	} {
		if got := SecretName(name); got != want {
			t.Errorf("SecretName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080"},
		{"http://app:pw@127.0.0.1:8080/x", "http://app:*****@127.0.0.1:8080/x"},
		{"https://app@host/x", "https://app@host/x"},                             // a user alone is no secret
		{"http://app:p@ss@host/x?y=1", "http://app:*****@host/x?y=1"},            // the last @ ends the userinfo
		{"http://host/x?next=http://u:pw@y", "http://host/x?next=http://u:pw@y"}, // not this URL's userinfo
		{"/items/{rand_int(1,9)}?api_key=K&token=T&page=2", "/items/{rand_int(1,9)}?api_key=*****&token=*****&page=2"},
		{"/x?page=2&Password=p&sig=s", "/x?page=2&Password=*****&sig=*****"},
		{"/x?token=", "/x?token="},
		{"/x?token", "/x?token"},
		{"/x?key=a;b&q=1", "/x?key=*****&q=1"},
		{"/cb#access_token=T&state=s", "/cb#access_token=*****&state=s"},
		{"http://u:pw@h/x?apiKey=K", "http://u:*****@h/x?apiKey=*****"},
		{"/plain/path", "/plain/path"},
		{"", ""},
	}
	for _, tc := range tests {
		if got := URL(tc.in); got != tc.want {
			t.Errorf("URL(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

func TestText(t *testing.T) {
	tests := []struct{ in, want string }{
		{`Post "http://app:***@127.0.0.1:1/items/2?api_key=K&token=T&page=2": EOF`,
			`Post "http://app:*****@127.0.0.1:1/items/2?api_key=*****&token=*****&page=2": EOF`},
		{"the HTTP target http://app:pw@127.0.0.1:9 does not answer: dial tcp 127.0.0.1:9: connection refused",
			"the HTTP target http://app:*****@127.0.0.1:9 does not answer: dial tcp 127.0.0.1:9: connection refused"},
		{"GET /healthz?access_token=T: context deadline exceeded", "GET /healthz?access_token=*****: context deadline exceeded"},
		{"two: http://a:b@h/?key=1 and https://c:d@i/j?secret=2.", "two: http://a:*****@h/?key=***** and https://c:*****@i/j?secret=*****."},
		{"Error 1045 (28000): Access denied for user 'x'@'localhost' (using password: YES)",
			"Error 1045 (28000): Access denied for user 'x'@'localhost' (using password: YES)"},
		{"did you mean max_vus?", "did you mean max_vus?"},
	}
	for _, tc := range tests {
		if got := Text(tc.in); got != tc.want {
			t.Errorf("Text(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

// Redaction of a URL's text agrees with net/url's reading of it: whatever
// net/url takes for the password or a secret parameter is gone.
func TestURLHidesWhatNetURLReads(t *testing.T) {
	for _, raw := range []string{
		"http://u:pw@h:1/a?token=t1&x=1",
		"http://u:p%40w@h/a?API_KEY=t2",
		"https://u:p@w@h/a#frag",
		"http://h/a?x=1&client_secret=t3&y=2",
	} {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		got := URL(raw)
		var secrets []string
		if pw, ok := u.User.Password(); ok {
			secrets = append(secrets, pw, url.PathEscape(pw))
		}
		for k, vs := range u.Query() {
			if SecretName(k) {
				secrets = append(secrets, vs...)
			}
		}
		for _, s := range secrets {
			if strings.Contains(got, s) {
				t.Errorf("URL(%q) = %q keeps %q", raw, got, s)
			}
		}
	}
}

func TestBody(t *testing.T) {
	for in, want := range map[string]string{
		"":                        "",
		`{"password": "hunter2"}`: "[23 bytes redacted]",
		"[23 bytes redacted]":     "[23 bytes redacted]", // redacting twice keeps the size
	} {
		if got := Body(in); got != want {
			t.Errorf("Body(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestErrorKeepsTheChain(t *testing.T) {
	if Error(nil) != nil {
		t.Error("Error(nil) is not nil")
	}
	inner := &url.Error{Op: "Get", URL: "http://h/x?token=T", Err: context.DeadlineExceeded}
	err := Error(fmt.Errorf("probe: %w", inner))
	if strings.Contains(err.Error(), "=T") || !strings.Contains(err.Error(), "token=*****") {
		t.Errorf("message %q", err)
	}
	var ue *url.Error
	if !errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &ue) {
		t.Error("the wrapped error is no longer reachable")
	}
}
