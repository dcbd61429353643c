package mysql

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

// stage says where in an iteration an error happened: the same
// context.DeadlineExceeded means "the pool was too slow" during acquire and
// "the server was too slow" during a statement.
type stage uint8

const (
	stageAcquire stage = iota // db.Conn: queueing and any new-connection setup
	stageQuery                // a statement on a held connection
	stageConnect              // opening the monitoring connection, Setup
)

// errCase is what classify needs to know besides the error itself, so that
// the table-driven test can build every situation without a server.
type errCase struct {
	stage   stage
	runDone bool // the run's context was done: the error is our own doing
	expired bool // the stage's own deadline (acquire/query timeout) passed
}

// MySQL server error numbers we classify. 2006/2013 are client-side numbers
// that some proxies send as server errors; 4031 is MySQL ≥ 8.0.24's
// "disconnected by the server because of inactivity".
const (
	erAccessDeniedDB       = 1044
	erTooManyConnections   = 1040
	erAccessDenied         = 1045
	erUserLimitReached     = 1203
	erDeadlock             = 1213
	erAccessDeniedNoPasswd = 1698
	crServerGone           = 2006
	crServerLost           = 2013
	erClientInteraction    = 4031
	// MySQL's refusal of a plain connection under require_secure_transport;
	// MariaDB answers 1045 instead (see refusalHint).
	erSecureTransportRequired = 3159
)

// classify maps an error onto poolload's classes. Order matters: the run
// ending explains context errors and broken connections before anything
// else does, and a server error number is more precise than the transport
// error that usually follows it.
func classify(err error, c errCase) pdriver.ErrorClass {
	if err == nil {
		return pdriver.ClassNone
	}
	ctxErr := errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
	if c.runDone && (ctxErr || isBroken(err)) {
		return pdriver.ClassInterrupted
	}
	var me *gomysql.MySQLError
	if errors.As(err, &me) {
		return classifyNumber(me.Number)
	}
	if c.expired && (ctxErr || isBroken(err)) {
		switch c.stage {
		case stageAcquire:
			return pdriver.ClassAcquireTimeout
		case stageQuery:
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
	case erAccessDenied, erAccessDeniedDB, erAccessDeniedNoPasswd, erSecureTransportRequired:
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
// iteration (the runner reporting an Open failure, for instance).
func Classify(err error) pdriver.ErrorClass {
	return classify(err, errCase{stage: stageConnect})
}
