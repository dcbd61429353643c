package record

// Target facts (run.json's target map) that more than one package reads:
// the driver that writes one and the analysis that reads it use these
// names. PostgreSQL's settings keep the server's own names and are stored
// as current_setting() prints them ("2s", "10min", "0").
const (
	FactMaxConnections = "max_connections"
	// FactSuperuserReserved is superuser_reserved_connections: slots of
	// max_connections that a role without superuser cannot take.
	FactSuperuserReserved  = "superuser_reserved_connections"
	FactIdleSessionTimeout = "idle_session_timeout"
	FactIdleInTxTimeout    = "idle_in_transaction_session_timeout"
	FactTCPKeepalivesIdle  = "tcp_keepalives_idle"
	// FactBaselineBackends is the lowest count of PostgreSQL client
	// backends (all users, the monitor left out) seen before a pool
	// connected: the connections other clients hold.
	FactBaselineBackends = "baseline_backends"
	// FactBaselineThreadsConnected is MySQL's Threads_connected (the
	// monitor's connection among them) before a pool connected: the
	// connections other clients hold.
	FactBaselineThreadsConnected = "baseline_threads_connected"
)
