package driver

// Unreachable reports whether an error of class c means that the iteration
// never met a working target: no connection could be made or kept, or the
// server would not let it in. A target failing every iteration with these
// is down, not slow; a slow or erroring target (timeouts, which a hung
// service and a leaked pool give as well as a dead host, HTTP errors,
// deadlocks) and a starved pool are not.
func (c ErrorClass) Unreachable() bool {
	switch c {
	case ClassConnectRefused, ClassDNS, ClassTooManyConnections, ClassAccessDenied,
		ClassBadConnection, ClassServerGone:
		return true
	}
	return false
}
