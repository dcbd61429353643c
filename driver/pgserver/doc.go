// Package pgserver is the server side of PostgreSQL that more than one
// driver needs: a Monitor that samples pg_stat_activity and
// pg_stat_database through a connection of its own, the mapping of
// SQLSTATEs and transport errors onto poolload's error classes, and DSN
// redaction. The postgres driver samples the server beside its pool with
// it; a driver that watches the database behind a service can do the
// same without importing the postgres driver.
package pgserver
