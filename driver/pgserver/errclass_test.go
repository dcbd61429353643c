package pgserver

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	pdriver "github.com/poolload/poolload/driver"
)

func TestClassify(t *testing.T) {
	pgErr := func(code string) error { return &pgconn.PgError{Code: code, Message: "x"} }
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
		{"query deadline", fmt.Errorf("timeout: %w", context.DeadlineExceeded), Case{Stage: StageQuery, Expired: true}, pdriver.ClassQueryTimeout},
		{"run ended", context.Canceled, Case{Stage: StageQuery, RunDone: true}, pdriver.ClassInterrupted},
		{"run ended, server error kept", pgErr("40P01"), Case{Stage: StageQuery, RunDone: true}, pdriver.ClassDeadlock},
		{"53300", pgErr("53300"), acq, pdriver.ClassTooManyConnections},
		{"53300 wrapped", fmt.Errorf("connecting: %w", pgErr("53300")), acq, pdriver.ClassTooManyConnections},
		{"28P01", pgErr("28P01"), acq, pdriver.ClassAccessDenied},
		{"28000", pgErr("28000"), acq, pdriver.ClassAccessDenied},
		{"3D000", pgErr("3D000"), acq, pdriver.ClassAccessDenied},
		{"40P01", pgErr("40P01"), qry, pdriver.ClassDeadlock},
		{"57014 statement_timeout", pgErr("57014"), qry, pdriver.ClassQueryTimeout},
		{"57P01 terminated", pgErr("57P01"), qry, pdriver.ClassServerGone},
		{"57P05 idle session", pgErr("57P05"), qry, pdriver.ClassBadConnection},
		{"25P03 idle in tx", pgErr("25P03"), qry, pdriver.ClassBadConnection},
		{"08006 by its class", pgErr("08006"), qry, pdriver.ClassServerGone},
		{"syntax error", pgErr("42601"), qry, pdriver.ClassOther},
		{"EOF", io.EOF, qry, pdriver.ClassServerGone},
		{"unexpected EOF", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), qry, pdriver.ClassServerGone},
		{"conn closed", fmt.Errorf("x: %w", pgconn.ErrConnClosed), qry, pdriver.ClassBadConnection},
		{"refused", refused, acq, pdriver.ClassConnectRefused},
		{"dns", &net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", Name: "nope.invalid"}}, acq, pdriver.ClassDNS},
		{"connect_timeout inside acquire", fmt.Errorf("connect: %w", context.DeadlineExceeded), acq, pdriver.ClassTimeout},
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
