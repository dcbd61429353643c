package http

import (
	"io"
	nethttp "net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
)

func TestValidate(t *testing.T) {
	c := Config{
		BaseURL: "ftp://x",
		Requests: []Request{{Path: "items", Weight: new(-1), Method: "BREW"},
			{Path: "/a/{nope()}", Headers: map[string]string{"A": "${POOLLOAD_UNSET_VAR}"}, Body: "${POOLLOAD_UNSET_VAR}"}},
		ExpectStatus: []int{42},
		MaxConns:     -1,
	}
	errs := c.Validate()
	for _, k := range []string{"base_url", "requests[0].path", "requests[0].weight",
		"requests[0].method", "requests[1].path", "requests[1].headers.A", "requests[1].body", "expect_status[0]", "max_conns"} {
		if errs[k] == "" {
			t.Errorf("no error for %s (got %v)", k, errs)
		}
	}
	ok := Config{BaseURL: "http://127.0.0.1:8089", Requests: one("/items/{rand_int(1,10)}")}
	if errs := ok.Validate(); len(errs) != 0 {
		t.Errorf("valid config: %v", errs)
	}
	if _, err := (Config{}).Open(t.Context()); err == nil {
		t.Error("Open of an empty config did not fail")
	}
}

// Path templates are parsed by driver/gen (tested there); this checks the
// driver puts them in the URL it requests.
func TestPathTemplates(t *testing.T) {
	var mu sync.Mutex
	var paths []string
	s := server(t, func(w nethttp.ResponseWriter, r *nethttp.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
	})
	d := open(t, Config{BaseURL: s.URL, Requests: one(`/u/{vu()}/i/{iter()}/r/{rand_int(5,5)}/c/{choice("a","a")}/{uuid()}`)})
	if tr := run(d, 7); tr.Err != nil {
		t.Fatal(tr.Err)
	}
	if len(paths) != 1 || !regexp.MustCompile(`^/u/1/i/7/r/5/c/a/[0-9a-f-]{36}$`).MatchString(paths[0]) {
		t.Errorf("paths = %q", paths)
	}
	c := Config{BaseURL: s.URL, Requests: one("/{rand_int(3,1)}")}
	if msg := c.Validate()["requests[0].path"]; !strings.Contains(msg, "lower bound is above the upper one") {
		t.Errorf("requests[0].path: %q", msg)
	}
}

func TestRequestMixAndContent(t *testing.T) {
	t.Setenv("POOLLOAD_TEST_TOKEN", "t")
	var mu sync.Mutex
	seen := map[string]int{}
	s := server(t, func(w nethttp.ResponseWriter, r *nethttp.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen[r.Method+" "+r.URL.Path+" "+r.Header.Get("X-Token")+" "+string(b)]++
		mu.Unlock()
	})
	d := open(t, Config{BaseURL: s.URL + "/", Requests: []Request{
		{Name: "get", Path: "/a", Weight: new(3)},
		{Name: "post", Method: "post", Path: "/b", Headers: map[string]string{"X-Token": "${POOLLOAD_TEST_TOKEN}"}, Body: "hi"},
	}})
	for i := range 400 {
		if tr := run(d, uint64(i)); tr.Err != nil {
			t.Fatal(tr.Err)
		}
	}
	gets, posts := seen["GET /a  "], seen["POST /b t hi"]
	if gets+posts != 400 || gets < 240 || gets > 360 {
		t.Errorf("mix = %v, want about 300 GET /a and 100 POST /b", seen)
	}
}
