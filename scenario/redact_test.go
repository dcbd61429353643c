package scenario

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	phttp "github.com/poolload/poolload/driver/http"
	"github.com/poolload/poolload/network"
)

func TestRedactCommand(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"bin/pooldemo --dsn 'app:s3cret@tcp(127.0.0.1:3306)/test' --pool 10", "bin/pooldemo --dsn 'app:*****@tcp(127.0.0.1:3306)/test' --pool 10"},
		{"psql postgres://u:pw@localhost/db", "psql postgres://u:*****@localhost/db"},
		{"mysql -uroot -ps3cret -e 'FLUSH HOSTS'", "mysql -uroot -p***** -e 'FLUSH HOSTS'"},
		{"svc --password=hunter2 --x", "svc --password=***** --x"},
		{"bin/pooldemo --dsn root@tcp(127.0.0.1:3306)/test", "bin/pooldemo --dsn root@tcp(127.0.0.1:3306)/test"},
		{"curl http://127.0.0.1:8089/healthz", "curl http://127.0.0.1:8089/healthz"},
		{"curl 'http://127.0.0.1:8089/warm?token=t0k&n=5'", "curl 'http://127.0.0.1:8089/warm?token=*****&n=5'"},
		{"curl https://u:pw@h/x", "curl https://u:*****@h/x"},
	} {
		if got := redactCommand(tc.in); got != tc.want {
			t.Errorf("redactCommand(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

// before: COMMAND is short for before: {run: COMMAND}.
func TestBeforeShortForm(t *testing.T) {
	doc := `target: {driver: noop, noop: {}}
load: {executor: constant-arrival-rate, rate: 10, duration: 1s, pre_allocated_vus: 1}
variants:
  - name: a
    before: "redis-cli FLUSHALL"
  - name: b
    before: {run: "true", timeout: 5s}
  - name: c
    before: 42
`
	_, err := Parse("x.yaml", []byte(doc), envOf(nil))
	if err == nil || !strings.Contains(err.Error(), "x.yaml:9:13: variants[2].before: expected a command or a mapping of restart, run, ready, timeout; got number 42") {
		t.Fatalf("want one error on variants[2].before, got %v", err)
	}
	s, err := Parse("x.yaml", []byte(strings.Replace(doc, "  - name: c\n    before: 42\n", "", 1)), envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	if s.Variants[0].Before.Run != "redis-cli FLUSHALL" || s.Variants[1].Before.Run != "true" || s.Variants[1].Before.Timeout.D() != 5*time.Second {
		t.Errorf("decoded %+v, %+v", s.Variants[0].Before, s.Variants[1].Before)
	}
}

// Nothing secret survives Redacted, whatever block holds it.
func TestRedactedScenarioHoldsNoSecret(t *testing.T) {
	const pw = "s3cret-9931"
	s := validScenario()
	h := &phttp.Config{BaseURL: "http://u:" + pw + "@127.0.0.1:1",
		Requests: []phttp.Request{{Path: "/", Headers: map[string]string{"X-Api-Key": pw}},
			{Path: "/x?api_key=" + pw, Method: "POST", Body: `{"card":"` + pw + `"}`}},
		Auth:     &phttp.Auth{Path: "/login?sig=" + pw, Body: `{"password":"` + pw + `"}`, TokenJSON: "token"},
		Database: &phttp.Database{DSN: "app:" + pw + "@tcp(127.0.0.1:3306)/test"}}
	s.Target = NewTarget(phttp.Name, h)
	s.Service = &ServiceConfig{Run: "svc --dsn 'app:" + pw + "@tcp(127.0.0.1:3306)/test'", Ready: "/healthz?token=" + pw}
	s.Variants[0].Before = &Before{Run: "mysql -uroot -p" + pw + " -e 'FLUSH HOSTS'", Ready: "http://u:" + pw + "@127.0.0.1:1/"}
	b, err := json.Marshal(s.Redacted())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), pw) {
		t.Errorf("the secret survives: %s", b)
	}
	if h.Auth.Body == "" || s.Target.Block() != h || !strings.Contains(s.Service.Run, pw) {
		t.Error("Redacted changed the original")
	}
}

// A probe names its URL in messages without the URL's secrets.
func TestProbeStringHoldsNoSecret(t *testing.T) {
	for _, tc := range []struct{ ready, base, want string }{
		{"", "http://u:pw@127.0.0.1:1", "GET http://u:*****@127.0.0.1:1"},
		{"/healthz?access_token=t0k", "http://127.0.0.1:1/", "GET http://127.0.0.1:1/healthz?access_token=*****"},
		{"tcp://127.0.0.1:2", "", "connect 127.0.0.1:2"},
	} {
		p, err := ParseProbe(tc.ready, tc.base)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.String(); got != tc.want {
			t.Errorf("ParseProbe(%q, %q).String() = %q, want %q", tc.ready, tc.base, got, tc.want)
		}
	}
}

func TestLinkValidation(t *testing.T) {
	s := validScenario()
	s.Target.Network = &network.Conditions{Preset: "moon"}
	got := fmt.Sprint(s.Validate())
	for _, want := range []string{"target.network: the noop driver makes no connection", "target.network.preset: must be one of"} {
		if !strings.Contains(got, want) {
			t.Errorf("Validate() = %s; want %q", got, want)
		}
	}
}
