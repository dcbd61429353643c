package http

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	nethttp "net/http"
	"strings"
	"sync"
	"testing"

	"github.com/poolload/poolload/driver"
)

const (
	authPassword = "pa$$-hunter2"
	authToken    = "tok-abc-123"
)

// loginServer answers /login as the case says and records the
// Authorization header of every other request.
func loginServer(t *testing.T, status int, resp string) (string, func() []string) {
	var mu sync.Mutex
	var seen []string
	s := server(t, func(w nethttp.ResponseWriter, r *nethttp.Request) {
		if r.URL.Path == "/login" {
			var creds struct{ User, Password string }
			b, _ := io.ReadAll(r.Body)
			if json.Unmarshal(b, &creds) != nil || creds.Password != authPassword || r.Method != "POST" {
				w.WriteHeader(400)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			fmt.Fprint(w, resp)
			return
		}
		mu.Lock()
		seen = append(seen, r.Header.Get("Authorization")+"|"+r.Header.Get("X-Api"))
		mu.Unlock()
	})
	return s.URL, func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), seen...) }
}

func authBlock(tokenJSON string) *Auth {
	return &Auth{Method: "POST", Path: "/login", Headers: map[string]string{"Content-Type": "application/json"},
		Body: `{"user":"app","password":"${POOLLOAD_TEST_APP_PASSWORD}"}`, TokenJSON: tokenJSON}
}

func TestAuthTokenOnEveryRequest(t *testing.T) {
	t.Setenv("POOLLOAD_TEST_APP_PASSWORD", authPassword)
	cases := []struct {
		name string
		auth func(*Auth)
		want string
	}{
		{"defaults", func(*Auth) {}, "Bearer " + authToken + "|"},
		{"header and format", func(a *Auth) { a.Header, a.Format = "X-Api", "key={token}" }, "|key=" + authToken},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			base, seen := loginServer(t, 200, `{"data":{"token":"`+authToken+`","ttl":60}}`)
			a := authBlock("data.token")
			c.auth(a)
			d := open(t, Config{BaseURL: base, Requests: one("/x"), Auth: a})
			for i := range 3 {
				if tr := run(d, uint64(i)); tr.Err != nil {
					t.Fatal(tr.Err)
				}
			}
			if got := seen(); len(got) != 3 || got[0] != c.want || got[2] != c.want {
				t.Errorf("load requests carried %q, want %q", got, c.want)
			}
			noSecret(t, fmt.Sprint(d, d.cfg, d.Describe(context.Background())), authToken, authPassword)
		})
	}
}

func TestAuthFailures(t *testing.T) {
	t.Setenv("POOLLOAD_TEST_APP_PASSWORD", authPassword)
	secretBody := `{"error":"bad password ` + authPassword + `","token":"` + authToken + `"}`
	cases := []struct {
		name      string
		status    int
		resp      string
		tokenJSON string
		refused   bool
		class     driver.ErrorClass
		want      string
	}{
		{"wrong status", 401, secretBody, "token", false, driver.ClassHTTP4xx, "answered 401 Unauthorized, expected 2xx (response body not shown)"},
		{"server error", 503, secretBody, "token", false, driver.ClassHTTP5xx, "answered 503"},
		{"missing field", 200, `{"data":{"user":"app","tok":"` + authToken + `"}}`, "data.token", false, driver.ClassOther,
			`token_json "data.token": no "token" under "data": the object has keys [tok, user]`},
		{"not an object", 200, `{"data":"` + authToken + `"}`, "data.token", false, driver.ClassOther, `it is a string, not an object`},
		{"not a string", 200, `{"token":42}`, "token", false, driver.ClassOther, `is a number, not a token`},
		{"not JSON", 200, "<html>" + authToken, "token", false, driver.ClassOther, "the response is not JSON"},
		{"refused", 0, "", "token", true, driver.ClassConnectRefused, "connection refused"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			base := "http://" + closedPort(t)
			if !c.refused {
				base, _ = loginServer(t, c.status, c.resp)
			}
			_, err := New(Config{BaseURL: base, Requests: one("/x"), Auth: authBlock(c.tokenJSON)})
			var oe *OpenError
			if !errors.As(err, &oe) || oe.Class != c.class || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Open = %v, want class %v and %q", err, c.class, c.want)
			}
			if !strings.Contains(err.Error(), "logging in (auth POST /login)") {
				t.Errorf("error does not say what failed: %v", err)
			}
			noSecret(t, err.Error(), authToken, authPassword)
		})
	}
}

// An Open that fails quotes neither base_url's password nor the secret
// query parameters of the login URL, and keeps its class.
func TestAuthFailureHoldsNoURLSecret(t *testing.T) {
	const pw, sig = "b4se-pw", "s1g-value"
	t.Setenv("POOLLOAD_TEST_APP_PASSWORD", authPassword)
	a := authBlock("token")
	a.Path = "/login?sig=" + sig
	_, err := New(Config{BaseURL: "http://app:" + pw + "@" + closedPort(t), Requests: one("/x"), Auth: a})
	var oe *OpenError
	if !errors.As(err, &oe) || oe.Class != driver.ClassConnectRefused || !strings.Contains(err.Error(), "/login?sig=*****") {
		t.Fatalf("Open = %v, want connect_refused naming /login?sig=*****", err)
	}
	noSecret(t, err.Error(), pw, sig)
}

func noSecret(t *testing.T, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Errorf("%q leaks %q", text, s)
		}
	}
}
