package driver

// ErrorClass says what kind of failure ended an iteration. The classes are
// those of DESIGN.md; a driver maps its own errors onto them.
type ErrorClass uint8

// Error classes. ClassNone means success. The order is part of the run
// record's meaning only through the names, never through the numbers.
const (
	ClassNone ErrorClass = iota
	ClassAcquireTimeout
	ClassConnectRefused
	ClassDNS
	ClassTooManyConnections
	ClassAccessDenied
	ClassBadConnection
	ClassServerGone
	ClassQueryTimeout
	ClassDeadlock
	ClassHTTP5xx
	ClassHTTP4xx
	ClassTimeout
	ClassInterrupted
	ClassOther
	NumClasses
)

var classNames = [NumClasses]string{
	"none", "acquire_timeout", "connect_refused", "dns", "too_many_connections",
	"access_denied", "bad_connection", "server_gone", "query_timeout", "deadlock",
	"http_5xx", "http_4xx", "timeout", "interrupted", "other",
}

func (c ErrorClass) String() string {
	if c < NumClasses {
		return classNames[c]
	}
	return "other"
}

// ClassByName returns the class with that name, and whether it exists.
func ClassByName(name string) (ErrorClass, bool) {
	for i, n := range classNames {
		if n == name {
			return ErrorClass(i), true
		}
	}
	return ClassOther, false
}
