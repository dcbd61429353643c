package mysqlserver

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"

	gomysql "github.com/go-sql-driver/mysql"

	pdriver "github.com/poolload/poolload/driver"
)

// errConnectTimeout stands for the mysql driver's connector's error, which
// wraps the context's deadline when connect_timeout cuts a setup short.
var errConnectTimeout = errors.New("connect_timeout reached")

func TestClassify(t *testing.T) {
	myErr := func(n uint16) error { return &gomysql.MySQLError{Number: n, Message: "x"} }
	refused := &net.OpError{Op: "dial", Net: "tcp",
		Err: &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}}
	acq := Case{Stage: StageAcquire}
	qry := Case{Stage: StageQuery}
	tests := []struct {
		name string
		err  error
		c    Case
		want pdriver.ErrorClass
	}{
		{"nil", nil, qry, pdriver.ClassNone},
		{"acquire deadline", context.DeadlineExceeded, Case{Stage: StageAcquire, Expired: true}, pdriver.ClassAcquireTimeout},
		{"query deadline", context.DeadlineExceeded, Case{Stage: StageQuery, Expired: true}, pdriver.ClassQueryTimeout},
		{"query deadline surfacing as invalid conn", gomysql.ErrInvalidConn, Case{Stage: StageQuery, Expired: true}, pdriver.ClassQueryTimeout},
		{"connect_timeout inside acquire", fmt.Errorf("%w: %w", errConnectTimeout, context.DeadlineExceeded), acq, pdriver.ClassTimeout},
		{"run ended", context.Canceled, Case{Stage: StageQuery, RunDone: true}, pdriver.ClassInterrupted},
		{"run ended kills conn", gomysql.ErrInvalidConn, Case{Stage: StageQuery, RunDone: true}, pdriver.ClassInterrupted},
		{"run ended, server error kept", myErr(1213), Case{Stage: StageQuery, RunDone: true}, pdriver.ClassDeadlock},
		{"1040", myErr(1040), acq, pdriver.ClassTooManyConnections},
		{"1040 wrapped", fmt.Errorf("connecting: %w", myErr(1040)), acq, pdriver.ClassTooManyConnections},
		{"1203 user limit", myErr(1203), acq, pdriver.ClassTooManyConnections},
		{"1045", myErr(1045), acq, pdriver.ClassAccessDenied},
		{"1044", myErr(1044), acq, pdriver.ClassAccessDenied},
		{"1213", myErr(1213), qry, pdriver.ClassDeadlock},
		{"2006", myErr(2006), qry, pdriver.ClassServerGone},
		{"2013", myErr(2013), qry, pdriver.ClassServerGone},
		{"4031", myErr(4031), qry, pdriver.ClassServerGone},
		{"syntax error", myErr(1064), qry, pdriver.ClassOther},
		{"EOF", io.EOF, qry, pdriver.ClassServerGone},
		{"unexpected EOF", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), qry, pdriver.ClassServerGone},
		{"reset", &net.OpError{Op: "read", Err: &os.SyscallError{Syscall: "read", Err: syscall.ECONNRESET}}, qry, pdriver.ClassServerGone},
		{"invalid connection", gomysql.ErrInvalidConn, qry, pdriver.ClassBadConnection},
		{"bad conn", driver.ErrBadConn, acq, pdriver.ClassBadConnection},
		{"refused", refused, acq, pdriver.ClassConnectRefused},
		{"dns", &net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", Name: "nope.invalid"}}, acq, pdriver.ClassDNS},
		{"dial i/o timeout", &net.OpError{Op: "dial", Err: timeoutErr{}}, acq, pdriver.ClassTimeout},
		{"anything else", fmt.Errorf("something odd"), qry, pdriver.ClassOther},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ClassifyAt(tc.err, tc.c); got != tc.want {
				t.Errorf("ClassifyAt(%v, %+v) = %s, want %s", tc.err, tc.c, got, tc.want)
			}
		})
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }
