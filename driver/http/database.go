package http

import (
	"context"
	"fmt"
	"math"

	"github.com/poolload/poolload/driver/mysqlserver"
	"github.com/poolload/poolload/record"
)

// Database is the optional `database` block: the service's own database,
// watched from the server side with the same Monitor the MySQL target
// uses, so that a run against a service shows the server's threads and
// connection churn next to the service's latency.
type Database struct {
	// DSN is a go-sql-driver DSN; its password is redacted in the record.
	DSN string `yaml:"dsn" json:"dsn"`
	// User, if set, adds db_user_threads, that user's connections on the
	// server (the service's pool as the server sees it), and
	// db_user_conns_opened, the connections it opened in each interval.
	User string `yaml:"user" json:"user,omitempty"`
}

// dbPrefix marks the database gauges and facts, which share their names
// with the MySQL target's server gauges.
const dbPrefix = record.DBPrefix

const (
	dbUserThreads = record.DBUserThreads
	dbUserOpened  = record.DBUserConnsOpened
)

// validate adds the block's problems to errs under "database.".
func (d *Database) validate(errs map[string]string) {
	if d.DSN == "" {
		errs["database.dsn"] = "is required (for example root@tcp(127.0.0.1:3306)/test)"
	} else if err := mysqlserver.CheckDSN(d.DSN); err != nil {
		errs["database.dsn"] = err.Error()
	}
}

// gaugeNames lists the block's gauges.
func (d *Database) gaugeNames() []string {
	var names []string
	for _, n := range mysqlserver.ServerGaugeNames() {
		names = append(names, dbPrefix+n)
	}
	if d.User != "" {
		names = append(names, dbUserThreads, dbUserOpened)
	}
	return names
}

// dbWatch is an open Database block.
type dbWatch struct {
	cfg *Database
	mon *mysqlserver.Monitor
	n   int // server gauges
	// lastID is the highest connection id of the user at the last
	// sample; ok says there was one to count new connections from.
	lastID int64
	ok     bool
}

func openDBWatch(ctx context.Context, cfg *Database) (*dbWatch, error) {
	mon, err := mysqlserver.OpenMonitor(ctx, cfg.DSN)
	if err != nil {
		return nil, fmt.Errorf("opening the database block's monitor: %w", err)
	}
	return &dbWatch{cfg: cfg, mon: mon, n: len(mon.GaugeNames())}, nil
}

// sample fills dst (the block's gauges, in order).
func (w *dbWatch) sample(ctx context.Context, dst []float64) {
	w.mon.Sample(ctx, dst[:min(w.n, len(dst))])
	if w.cfg.User == "" || len(dst) <= w.n {
		return
	}
	dst[w.n] = math.NaN()
	opened := math.NaN()
	n, o, last, err := w.mon.UserConns(ctx, w.cfg.User, w.lastID)
	if err == nil {
		dst[w.n] = float64(n)
		if w.ok {
			opened = float64(o)
		}
		w.lastID, w.ok = last, true
	}
	if len(dst) > w.n+1 {
		dst[w.n+1] = opened
	}
}

// describe returns the server facts, prefixed db.
func (w *dbWatch) describe(ctx context.Context, out map[string]string) {
	for k, v := range w.mon.Describe(ctx) {
		out["db."+k] = v
	}
	if w.cfg.User != "" {
		out["db.user"] = w.cfg.User
	}
}

func (w *dbWatch) close() error { return w.mon.Close() }
