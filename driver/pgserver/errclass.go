package pgserver

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"

	pdriver "github.com/poolload/poolload/driver"
)

// Stage says where in an iteration an error happened: the same
// context.DeadlineExceeded means "the pool was too slow" during acquire
// and "the server was too slow" during a statement.
type Stage uint8

const (
	StageAcquire Stage = iota // pool acquire: queueing and any new-connection setup
	StageQuery                // a statement on a held connection
	StageConnect              // the monitoring connection, setup
)

// Case is what ClassifyAt needs to know besides the error itself, so that
// a table-driven test can build every situation without a server.
type Case struct {
	Stage   Stage
	RunDone bool // the run's context was done: the error is our own doing
	Expired bool // the stage's own deadline (acquire/query timeout) passed
}

// sqlstateClass maps the SQLSTATEs poolload tells apart. A class of
// codes (two characters) is looked up when the code itself is not.
var sqlstateClass = map[string]pdriver.ErrorClass{
	"53300": pdriver.ClassTooManyConnections, // too_many_connections, also "slots are reserved"
	"28P01": pdriver.ClassAccessDenied,       // invalid_password
	"28000": pdriver.ClassAccessDenied,       // invalid_authorization_specification (no such role, pg_hba)
	// The database does not exist: no connection can be made, as with
	// MySQL's 1044 access denied to a database.
	"3D000": pdriver.ClassAccessDenied,
	"40P01": pdriver.ClassDeadlock,     // deadlock_detected
	"57014": pdriver.ClassQueryTimeout, // query_canceled: statement_timeout or a cancel request
	// The server ended the session: an administrator, a shutdown, a crash.
	"57P01": pdriver.ClassServerGone, // admin_shutdown (pg_terminate_backend, fast shutdown)
	"57P02": pdriver.ClassServerGone, // crash_shutdown
	"57P03": pdriver.ClassServerGone, // cannot_connect_now (starting up, shutting down)
	// The server closed a connection that sat idle: the pool kept it past
	// the server's limit, which is what bad_connection stands for.
	"57P05": pdriver.ClassBadConnection, // idle_session_timeout
	"25P03": pdriver.ClassBadConnection, // idle_in_transaction_session_timeout
	"08":    pdriver.ClassServerGone,    // connection_exception
}

// ClassifyAt maps an error met at c.Stage onto poolload's classes. Order
// matters: the run ending explains context errors and broken connections
// before anything else does, and a SQLSTATE is more precise than the
// transport error that usually follows it.
func ClassifyAt(err error, c Case) pdriver.ErrorClass {
	if err == nil {
		return pdriver.ClassNone
	}
	ctxErr := errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
	if c.RunDone && (ctxErr || isBroken(err)) {
		return pdriver.ClassInterrupted
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return classifyCode(pe.Code)
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

// classifyCode maps a SQLSTATE.
func classifyCode(code string) pdriver.ErrorClass {
	if c, ok := sqlstateClass[code]; ok {
		return c
	}
	if len(code) == 5 {
		if c, ok := sqlstateClass[code[:2]]; ok {
			return c
		}
	}
	return pdriver.ClassOther
}

// classifyTransport maps errors that carry no SQLSTATE.
func classifyTransport(err error, ctxErr bool) pdriver.ErrorClass {
	var dnsErr *net.DNSError
	var netErr net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return pdriver.ClassConnectRefused
	case errors.As(err, &dnsErr):
		return pdriver.ClassDNS
	case errors.Is(err, pgconn.ErrConnClosed):
		// pgx closed the connection after an earlier failure and the pool
		// handed it out anyway.
		return pdriver.ClassBadConnection
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		isClosedByServer(err):
		return pdriver.ClassServerGone
	case ctxErr:
		// A deadline that is not the stage's own: connect_timeout, which
		// applies inside the acquire.
		return pdriver.ClassTimeout
	case errors.As(err, &netErr) && netErr.Timeout():
		return pdriver.ClassTimeout
	}
	return pdriver.ClassOther
}

// isClosedByServer recognises pgconn's report of a connection that the
// server closed while the client waited for an answer ("unexpected EOF"
// wrapped in a message without the io error when pgconn formats it).
func isClosedByServer(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "unexpected EOF") || strings.Contains(msg, "connection reset by peer")
}

// isBroken reports errors that a connection killed under us produces.
func isBroken(err error) bool {
	return errors.Is(err, pgconn.ErrConnClosed) || errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF) || pgconn.Timeout(err)
}

// Classify maps err onto poolload's error classes, for callers outside an
// iteration (opening a connection, setup).
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
