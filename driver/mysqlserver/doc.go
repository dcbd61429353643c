// Package mysqlserver is the server side of MySQL and MariaDB that more
// than one driver needs: a Monitor that samples SHOW GLOBAL STATUS through
// a connection of its own, the mapping of MySQL errors onto poolload's
// error classes, and DSN redaction. The mysql driver samples the server
// beside its pool with it, and the http driver watches the database behind
// a service with it, so that neither driver imports the other.
package mysqlserver
