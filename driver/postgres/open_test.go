package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	pdriver "github.com/poolload/poolload/driver"
)

const secret = "s3cr3t-hunter2"

// A target that cannot be reached fails at Open, with a class, and no
// output of the driver holds the DSN's password.
func TestOpenErrorsAndRedaction(t *testing.T) {
	u, err := url.Parse(testDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	refused := "postgres://u:" + secret + "@" + closedPort(t) + "/db?sslmode=disable"
	u.User = url.UserPassword(uniqueName("pl_nobody"), secret)
	noRole := u.String()
	for _, tc := range []struct {
		dsn  string
		want pdriver.ErrorClass
	}{{refused, pdriver.ClassConnectRefused}, {noRole, pdriver.ClassAccessDenied}} {
		tg := start(t, Config{DSN: tc.dsn})
		_, err := tg.Open(context.Background())
		var oe *OpenError
		if !errors.As(err, &oe) || oe.Class != tc.want {
			t.Errorf("Open(%s): %v, want class %s", pgRedact(tc.dsn), err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), secret) {
			t.Errorf("the error shows the password: %v", err)
		}
	}
	cfg := Config{DSN: refused, Params: map[string]string{"password": secret}}
	b, _ := json.Marshal(cfg)
	for _, s := range []string{string(b), cfg.String(), fmt.Sprintf("%v %+v %#v", cfg, cfg, cfg)} {
		if strings.Contains(s, secret) || !strings.Contains(s, "*****") {
			t.Errorf("the config prints its password: %s", s)
		}
	}
}

// An acquire that cannot connect is classed at the iteration too.
func TestIterationRefused(t *testing.T) {
	tg := start(t, Config{DSN: testDSN(t), MaxOpen: 2})
	d := openTarget(t, tg)
	tg.DialAddr = closedPort(t) // the pool's connections go nowhere
	d2, err := tg.open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	_ = d
	trs := runVUs(context.Background(), d2, 1, 2)
	for _, tr := range trs {
		if tr.Class != pdriver.ClassConnectRefused || tr.Connecting == 0 || tr.Dial == 0 {
			t.Errorf("refused dial: %s (connecting %v, dial %v) %v", tr.Class, tr.Connecting, tr.Dial, tr.Err)
		}
	}
}

func pgRedact(dsn string) string { return strings.ReplaceAll(dsn, secret, "*****") }
