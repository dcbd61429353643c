package pgserver

import (
	"errors"
	"strings"
	"testing"
)

const secret = "hunter2-s3cr3t"

func TestRedactDSN(t *testing.T) {
	tests := []struct{ in, want string }{
		{"postgres://u@127.0.0.1:5432/db", "postgres://u@127.0.0.1:5432/db"},
		{"postgres://u:" + secret + "@127.0.0.1:5432/db?sslmode=disable", "postgres://u:*****@127.0.0.1:5432/db?sslmode=disable"},
		{"postgresql://u@h/db?password=" + secret, "postgresql://u@h/db?password=*****"},
		{"host=h user=u password=" + secret + " dbname=d", "host=h user=u password=***** dbname=d"},
		{"host=h password='a b\\' " + secret + "' dbname=d", "host=h password=***** dbname=d"},
		{"postgres://u:" + secret + "@h:bad/db", "postgres://u:*****@h:bad/db"},
		{"", ""},
	}
	for _, tc := range tests {
		if got := RedactDSN(tc.in); got != tc.want {
			t.Errorf("RedactDSN(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestPasswordAndScrub(t *testing.T) {
	for _, dsn := range []string{
		"postgres://u:" + secret + "@h:5432/db",
		"host=h user=u password=" + secret,
	} {
		if got := Password(dsn); got != secret {
			t.Errorf("Password(%q) = %q", dsn, got)
		}
	}
	err := Scrub(errors.New("bad dsn u:"+secret+"@x"), secret)
	if strings.Contains(err.Error(), secret) || errors.Unwrap(err) == nil {
		t.Errorf("Scrub = %q, want the password hidden and the cause kept", err)
	}
}
