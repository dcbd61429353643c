package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// dialect is what differs between the databases the service can sit on:
// MySQL/MariaDB (a go-sql-driver DSN) or PostgreSQL (a postgres:// URL,
// through pgx's database/sql driver, as Go services on PostgreSQL use).
type dialect struct {
	postgres bool
}

// dialectOf picks the database by the DSN's form.
func dialectOf(dsn string) dialect {
	return dialect{postgres: strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")}
}

// q rewrites a statement written with ? placeholders for the database.
func (d dialect) q(stmt string) string {
	if !d.postgres {
		return stmt
	}
	var b strings.Builder
	n := 0
	for _, r := range stmt {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// seed fills table with rows 1..n unless they are there.
func (d dialect) seed(table string, n int) string {
	if d.postgres {
		return fmt.Sprintf("INSERT INTO %s (id, name) SELECT g, 'item-' || g FROM generate_series(1, %d) g ON CONFLICT DO NOTHING", table, n)
	}
	return fmt.Sprintf("INSERT IGNORE INTO %s (id, name) SELECT seq, CONCAT('item-', seq) FROM seq_1_to_%d", table, n)
}

// sleep50 holds its connection on the server for 50 ms and returns one
// integer row.
func (d dialect) sleep50() string {
	if d.postgres {
		return "SELECT 0 FROM pg_sleep(0.05)"
	}
	return "SELECT SLEEP(0.05)"
}

// open opens the service's pool; with a delay every new connection first
// waits, as one to a database across a network does (TCP, TLS and
// authentication round trips).
func (d dialect) open(dsn string, delay time.Duration) (*sql.DB, error) {
	var nd net.Dialer
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return nd.DialContext(ctx, network, addr)
	}
	if d.postgres {
		cc, err := pgx.ParseConfig(dsn)
		if err != nil {
			return nil, errors.New("the --dsn does not parse") // the error may quote the password
		}
		if delay > 0 {
			cc.DialFunc = dial
		}
		return stdlib.OpenDB(*cc), nil
	}
	if delay == 0 {
		return sql.Open("mysql", dsn)
	}
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, errors.New("the --dsn does not parse")
	}
	cfg.DialFunc = dial
	c, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(c), nil
}
