package main

import (
	"fmt"
	"io"
	nethttp "net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// The secrets a scenario carries in each place a user puts one: the
// password of base_url, secret-looking query parameters of a request's
// path and of a ready probe, and a request body.
const (
	urlPassword = "S3cretPw"
	apiKey      = "K3yS3cret"
	queryToken  = "T0kS3cret"
	bodySecret  = "B0dyS3cret"
)

var allSecrets = []string{urlPassword, apiKey, queryToken, bodySecret}

// secretTarget is an http target block over base (host:port) whose
// secrets are all of the above.
func secretTarget(addr string) string {
	return fmt.Sprintf(`target:
  driver: http
  http:
    base_url: "http://app:%s@%s"
    timeout: 2s
    requests:
      - name: items
        method: POST
        path: "/items/{rand_int(1,9)}?api_key=%s&token=%s&page=2"
        body: '{"user": "alice", "password": "%s"}'
`, urlPassword, addr, apiKey, queryToken, bodySecret)
}

// TestSecretsNeverWritten runs poolload where each secret could leak (a
// target that does not answer, a service that never gets ready and echoes
// a URL, requests that fail with the URL in their error) and looks for
// every secret in stdout, stderr and every file of the record, report and
// plots included.
func TestSecretsNeverWritten(t *testing.T) {
	t.Run("target down", func(t *testing.T) {
		file := writeFile(t, "down.yaml", "name: down\n"+secretTarget(freeAddr(t))+
			"load: {executor: constant-arrival-rate, rate: 10, duration: 1s, pre_allocated_vus: 2}\n")
		out := t.TempDir()
		code, stdout, stderr := runCLI(t, "run", "-q", "--out", out, file)
		if code != exitFailed || !strings.Contains(stderr, "does not answer") {
			t.Fatalf("exit %d, stderr %q; want exit 1 and the target not answering", code, stderr)
		}
		assertNoSecret(t, out, stdout, stderr)
	})

	t.Run("service never ready", func(t *testing.T) {
		file := writeFile(t, "notready.yaml", "name: notready\n"+secretTarget(freeAddr(t))+`service:
  run: "echo connecting to http://app:`+urlPassword+`@127.0.0.1:1/?token=`+queryToken+`; sleep 30"
  ready: "/healthz?access_token=`+queryToken+`"
  timeout: 1s
load: {executor: constant-arrival-rate, rate: 10, duration: 1s, pre_allocated_vus: 2}
`)
		out := t.TempDir()
		code, stdout, stderr := runCLI(t, "run", "-q", "--out", out, file)
		if code != exitFailed || !strings.Contains(stderr, "/healthz") || !strings.Contains(stderr, "connecting to") {
			t.Fatalf("exit %d, stderr %q; want exit 1 naming the probe, with the service's output", code, stderr)
		}
		assertNoSecret(t, out, stdout, stderr)
	})

	t.Run("requests fail", func(t *testing.T) {
		// Every third request gets a 500, every third has its connection
		// closed without an answer (net/http's error then quotes the URL),
		// the rest succeed.
		var n atomic.Int64
		srv := httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			switch n.Add(1) % 3 {
			case 0:
				w.WriteHeader(nethttp.StatusInternalServerError)
			case 1:
				if c, _, err := nethttp.NewResponseController(w).Hijack(); err == nil {
					c.Close()
				}
			default:
				_, _ = w.Write([]byte("ok"))
			}
		}))
		defer srv.Close()
		file := writeFile(t, "fails.yaml", "name: fails\n"+secretTarget(strings.TrimPrefix(srv.URL, "http://"))+
			"load: {executor: constant-arrival-rate, rate: 60, duration: 1s, pre_allocated_vus: 5}\n")
		out := t.TempDir()
		code, stdout, stderr := runCLI(t, "run", "--out", out, file)
		if code != exitOK || !strings.Contains(stdout, "first: ") {
			t.Fatalf("exit %d; want a complete run with error examples\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
		}
		dirs, _ := filepath.Glob(filepath.Join(out, "*"))
		if len(dirs) != 1 {
			t.Fatalf("run records: %v", dirs)
		}
		for _, args := range [][]string{{"report", dirs[0]}, {"diagnose", dirs[0]}, {"plot", dirs[0]}} {
			code, o, e := runCLI(t, args...)
			if code != exitOK {
				t.Fatalf("%s: exit %d\n%s\n%s", args[0], code, o, e)
			}
			stdout, stderr = stdout+o, stderr+e
		}
		if _, err := os.Stat(filepath.Join(dirs[0], "report.md")); err != nil {
			t.Error(err)
		}
		if svgs, _ := filepath.Glob(filepath.Join(dirs[0], "plots", "*.svg")); len(svgs) == 0 {
			t.Error("no SVG plots to look into")
		}
		assertNoSecret(t, out, stdout, stderr)
	})
}

// assertNoSecret fails the test for each secret in stdout, stderr or any
// file under dir.
func assertNoSecret(t *testing.T, dir, stdout, stderr string) {
	t.Helper()
	outputs := map[string]string{"stdout": stdout, "stderr": stderr}
	files := 0
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		outputs[p] = string(b)
		files++
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if files == 0 {
		t.Errorf("no record files under %s to look into", dir)
	}
	for where, text := range outputs {
		for _, s := range allSecrets {
			if i := strings.Index(text, s); i >= 0 {
				t.Errorf("%s holds the secret %s: …%s…", where, s, text[max(0, i-60):min(len(text), i+len(s)+20)])
			}
		}
	}
}
