package scenario

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	phttp "github.com/poolload/poolload/driver/http"
)

// The test binary doubles as the service: with POOLLOAD_TEST_SERVICE set
// it serves its pid on that address until killed.
func init() {
	addr := os.Getenv("POOLLOAD_TEST_SERVICE")
	if addr == "" {
		return
	}
	if d, err := time.ParseDuration(os.Getenv("POOLLOAD_TEST_SERVICE_DELAY")); err == nil {
		time.Sleep(d)
	}
	http.HandleFunc("/pid", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, os.Getpid()) })
	fmt.Println("serving on", addr)
	_ = http.ListenAndServe(addr, nil)
	os.Exit(1)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func serviceCmd(addr, delay string) string {
	return fmt.Sprintf("POOLLOAD_TEST_SERVICE=%s POOLLOAD_TEST_SERVICE_DELAY=%s exec %s -test.run=NONE", addr, delay, os.Args[0])
}

func getPid(t *testing.T, addr string) string {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/pid")
	if err != nil {
		t.Fatalf("the service does not answer: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func TestServiceStartRestartStop(t *testing.T) {
	addr := freeAddr(t)
	ready, err := parseProbe("/pid", "http://"+addr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	svc, err := StartService(ctx, ServiceConfig{Run: serviceCmd(addr, "200ms")}, ready)
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Stop()
	first := getPid(t, addr) // ready means it answers at once, though it started late
	if err := svc.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if second := getPid(t, addr); second == first {
		t.Errorf("restart kept the same process %s", first)
	}
	if err := svc.Stop(); err != nil {
		t.Fatal(err)
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Fatal("the service still listens after Stop")
	}
	if err := svc.Stop(); err != nil {
		t.Errorf("a second Stop: %v", err)
	}
}

func TestServiceThatDoesNotStart(t *testing.T) {
	ctx := context.Background()
	addr := freeAddr(t)
	ready, _ := parseProbe("tcp://"+addr, "")
	cases := []struct {
		name, run string
		timeout   time.Duration
		want      []string
	}{
		{"exits", "echo missing config file; exit 3", 10 * time.Second,
			[]string{"exited before it was ready (exit status 3)", "missing config file"}},
		{"never ready", "echo starting; sleep 30", 300 * time.Millisecond,
			[]string{"not ready within 300ms", "connect " + addr, "starting"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			_, err := StartService(ctx, ServiceConfig{Run: tc.run, Timeout: dur(tc.timeout)}, ready)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if took := time.Since(start); took > tc.timeout+stopGrace+2*time.Second {
				t.Errorf("took %v", took)
			}
		})
	}
}

func TestRunCommand(t *testing.T) {
	ctx := context.Background()
	if err := runCommand(ctx, "true"); err != nil {
		t.Fatal(err)
	}
	err := runCommand(ctx, "echo no such container >&2; exit 1")
	if err == nil || !strings.Contains(err.Error(), "no such container") {
		t.Fatalf("want the command's output in the error, got %v", err)
	}
	tctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = runCommand(tctx, "sleep 30 & sleep 30")
	if err == nil || time.Since(start) > 5*time.Second {
		t.Fatalf("a command past its timeout: err %v after %v", err, time.Since(start))
	}
}

// Stop reaches what the shell started, not only the shell.
func TestServiceStopKillsTheGroup(t *testing.T) {
	addr := freeAddr(t)
	ready, _ := parseProbe("tcp://"+addr, "")
	ctx := context.Background()
	svc, err := StartService(ctx, ServiceConfig{Run: serviceCmd(addr, "0s") + " & wait"}, ready)
	if err != nil {
		t.Fatal(err)
	}
	pid := getPid(t, addr)
	_ = svc.Stop()
	var p int
	fmt.Sscan(pid, &p)
	// An orphan may stay a zombie if nothing reaps it; dead is enough.
	if err := syscall.Kill(p, 0); err == nil && !zombie(p) {
		t.Errorf("the service's child %d survived Stop", p)
	}
}

func zombie(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true // gone
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && i+2 < len(s) && s[i+2] == 'Z'
}

func TestRedactCommand(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"bin/pooldemo --dsn 'app:s3cret@tcp(127.0.0.1:3306)/test' --pool 10", "bin/pooldemo --dsn 'app:*****@tcp(127.0.0.1:3306)/test' --pool 10"},
		{"psql postgres://u:pw@localhost/db", "psql postgres://u:*****@localhost/db"},
		{"mysql -uroot -ps3cret -e 'FLUSH HOSTS'", "mysql -uroot -p***** -e 'FLUSH HOSTS'"},
		{"svc --password=hunter2 --x", "svc --password=***** --x"},
		{"bin/pooldemo --dsn root@tcp(127.0.0.1:3306)/test", "bin/pooldemo --dsn root@tcp(127.0.0.1:3306)/test"},
		{"curl http://127.0.0.1:8089/healthz", "curl http://127.0.0.1:8089/healthz"},
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
	s.Target = Target{Driver: "http", HTTP: &phttp.Config{BaseURL: "http://127.0.0.1:1",
		Requests: []phttp.Request{{Path: "/", Headers: map[string]string{"X-Api-Key": pw}}},
		Auth:     &phttp.Auth{Path: "/login", Body: `{"password":"` + pw + `"}`, TokenJSON: "token"},
		Database: &phttp.Database{DSN: "app:" + pw + "@tcp(127.0.0.1:3306)/test"}}}
	s.Service = &ServiceConfig{Run: "svc --dsn 'app:" + pw + "@tcp(127.0.0.1:3306)/test'"}
	s.Variants[0].Before = &Before{Run: "mysql -uroot -p" + pw + " -e 'FLUSH HOSTS'"}
	b, err := json.Marshal(s.Redacted())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), pw) {
		t.Errorf("the secret survives: %s", b)
	}
	if s.Target.HTTP.Auth.Body == "" || !strings.Contains(s.Service.Run, pw) {
		t.Error("Redacted changed the original")
	}
}
