package mysqlserver

import (
	"errors"
	"testing"
)

const secret = "hunter2-s3cr3t"

func TestRedactDSN(t *testing.T) {
	tests := []struct{ in, want string }{
		{"root@tcp(127.0.0.1:3306)/test", "root@tcp(127.0.0.1:3306)/test"},
		{"root:" + secret + "@tcp(127.0.0.1:3306)/test", "root:*****@tcp(127.0.0.1:3306)/test"},
		{"u:p@ss:w/rd@tcp(h:1)/db?parseTime=true", "u:*****@tcp(h:1)/db?parseTime=true"},
		{"u:" + secret + "@/db", "u:*****@/db"},
		{"u:" + secret + "@tcp(h:1", "u:*****@tcp(h:1"}, // invalid, still hidden
		{"", ""},
	}
	for _, tc := range tests {
		if got := RedactDSN(tc.in); got != tc.want {
			t.Errorf("RedactDSN(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestScrubAndCheckDSN(t *testing.T) {
	err := Scrub(errors.New("bad dsn root:"+secret+"@x"), secret)
	if err.Error() != "bad dsn root:*****@x" || errors.Unwrap(err) == nil {
		t.Errorf("Scrub = %q, want the password hidden and the cause kept", err)
	}
	if Password("root:"+secret+"@tcp(h:1)/db") != secret || Password("root@tcp(h:1)/db") != "" {
		t.Error("Password does not find the DSN's password")
	}
	if err := CheckDSN("root:" + secret + "@tcp(h:1/db"); err == nil || contains(err.Error(), secret) {
		t.Errorf("CheckDSN of a broken DSN = %v, want an error without the password", err)
	}
}
