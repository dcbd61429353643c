package mysqlserver

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"syscall"

	gomysql "github.com/go-sql-driver/mysql"

	pdriver "github.com/poolload/poolload/driver"
)

// Stage says where in an iteration an error happened: the same
// context.DeadlineExceeded means "the pool was too slow" during acquire and
// "the server was too slow" during a statement.
type Stage uint8

const (
	StageAcquire Stage = iota // db.Conn: queueing and any new-connection setup
	StageQuery                // a statement on a held connection
	StageConnect              // opening the monitoring connection, Setup
)

// Case is what ClassifyAt needs to know besides the error itself, so that
// the table-driven test can build every situation without a server.
type Case struct {
	Stage   Stage
	RunDone bool // the run's context was done: the error is our own doing
	Expired bool // the stage's own deadline (acquire/query timeout) passed
}

// MySQL server error numbers we classify. 2006/2013 are client-side numbers
// that some proxies send as server errors; 4031 is MySQL ≥ 8.0.24's
// "disconnected by the server because of inactivity".
const (
	erAccessDeniedDB     = 1044
	erTooManyConnections = 1040
	// ErAccessDenied is also what MariaDB answers a plain client under
	// require_secure_transport, which the mysql driver explains with a hint.
	ErAccessDenied         = 1045
	erUserLimitReached     = 1203
	erDeadlock             = 1213
	erAccessDeniedNoPasswd = 1698
	crServerGone           = 2006
	crServerLost           = 2013
	erClientInteraction    = 4031
	// MySQL's refusal of a plain connection under require_secure_transport.
	erSecureTransportRequired = 3159
)

// ClassifyAt maps an error met at c.Stage onto poolload's classes. Order matters: the run
// ending explains context errors and broken connections before anything
// else does, and a server error number is more precise than the transport
// error that usually follows it.
func ClassifyAt(err error, c Case) pdriver.ErrorClass {
	if err == nil {
		return pdriver.ClassNone
	}
	ctxErr := errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
	if c.RunDone && (ctxErr || isBroken(err)) {
		return pdriver.ClassInterrupted
	}
	var me *gomysql.MySQLError
	if errors.As(err, &me) {
		return classifyNumber(me.Number)
	}
	if c.Expired && (ctxErr || isBroken(err)) {
		switch c.Stage {
		case StageAcquire:
			return pdriver.ClassAcquireTimeout
		case StageQuery:
			return pdriver.ClassQueryTimeout
		}
		return pdriver.ClassTimeout
	}
	return classifyTransport(err, ctxErr)
}

// classifyNumber maps a MySQL error number.
func classifyNumber(n uint16) pdriver.ErrorClass {
	switch n {
	case erTooManyConnections, erUserLimitReached:
		return pdriver.ClassTooManyConnections
	case ErAccessDenied, erAccessDeniedDB, erAccessDeniedNoPasswd, erSecureTransportRequired:
		return pdriver.ClassAccessDenied
	case erDeadlock:
		return pdriver.ClassDeadlock
	case crServerGone, crServerLost, erClientInteraction:
		return pdriver.ClassServerGone
	}
	return pdriver.ClassOther
}

// classifyTransport maps errors that carry no MySQL error number.
func classifyTransport(err error, ctxErr bool) pdriver.ErrorClass {
	var dnsErr *net.DNSError
	var netErr net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return pdriver.ClassConnectRefused
	case errors.As(err, &dnsErr):
		return pdriver.ClassDNS
	case errors.Is(err, gomysql.ErrInvalidConn), errors.Is(err, driver.ErrBadConn):
		return pdriver.ClassBadConnection
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return pdriver.ClassServerGone
	case ctxErr:
		// A deadline that is not the stage's own: connect_timeout, which
		// the connector applies inside the acquire.
		return pdriver.ClassTimeout
	case errors.As(err, &netErr) && netErr.Timeout():
		return pdriver.ClassTimeout
	}
	return pdriver.ClassOther
}

// isBroken reports errors that a connection killed under us produces.
func isBroken(err error) bool {
	return errors.Is(err, gomysql.ErrInvalidConn) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// Classify maps err onto poolload's error classes, for callers outside an
// iteration (opening a connection, setup, the runner reporting an Open
// failure).
func Classify(err error) pdriver.ErrorClass {
	return ClassifyAt(err, Case{Stage: StageConnect})
}

// OpenError is a failure to open a connection to the server, with its
// class. Its message never holds the DSN's password.
type OpenError struct {
	Class pdriver.ErrorClass
	Err   error
}

func (e *OpenError) Error() string { return e.Class.String() + ": " + e.Err.Error() }
func (e *OpenError) Unwrap() error { return e.Err }
