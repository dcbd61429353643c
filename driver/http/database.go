package http

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/poolload/poolload/driver/mysqlserver"
	"github.com/poolload/poolload/driver/pgserver"
	"github.com/poolload/poolload/record"
)

// Database is the optional `database` block: the service's own database,
// watched from the server side with the same Monitor the MySQL or the
// PostgreSQL target uses, so that a run against a service shows the
// server's connections and their churn next to the service's latency.
type Database struct {
	// DSN is a go-sql-driver DSN, or a postgres:// (postgresql://) URL for
	// PostgreSQL; its password is redacted in the record.
	DSN string `yaml:"dsn" json:"dsn"`
	// User, if set, adds db_user_threads, that user's connections on the
	// server (the service's pool as the server sees it), and
	// db_user_conns_opened, the connections it opened in each interval.
	// On PostgreSQL the db_pg_load_* gauges count that user's backends by
	// state (the DSN's user when User is empty).
	User string `yaml:"user" json:"user,omitempty"`
}

// dbPrefix marks the database gauges and facts, which share their names
// with the MySQL and PostgreSQL targets' server gauges.
const dbPrefix = record.DBPrefix

const (
	dbUserThreads = record.DBUserThreads
	dbUserOpened  = record.DBUserConnsOpened
)

// postgres says whether the block watches PostgreSQL: its DSN is a URL of
// that scheme (a go-sql-driver DSN never is).
func (d *Database) postgres() bool {
	return strings.HasPrefix(d.DSN, "postgres://") || strings.HasPrefix(d.DSN, "postgresql://")
}

// validate adds the block's problems to errs under "database.".
func (d *Database) validate(errs map[string]string) {
	switch {
	case d.DSN == "":
		errs["database.dsn"] = "is required (for example root@tcp(127.0.0.1:3306)/test or postgres://app@127.0.0.1:5432/app)"
	case d.postgres():
		if _, err := pgx.ParseConfig(d.DSN); err != nil {
			errs["database.dsn"] = pgserver.Scrub(err, pgserver.Password(d.DSN)).Error()
		}
	default:
		if err := mysqlserver.CheckDSN(d.DSN); err != nil {
			errs["database.dsn"] = err.Error()
		}
	}
}

// gaugeNames lists the block's gauges.
func (d *Database) gaugeNames() []string {
	server := mysqlserver.ServerGaugeNames()
	if d.postgres() {
		server = pgserver.GaugeNames()
	}
	var names []string
	for _, n := range server {
		names = append(names, dbPrefix+n)
	}
	if d.User != "" {
		names = append(names, dbUserThreads, dbUserOpened)
	}
	return names
}

// dbWatch is an open Database block: one of the two monitors.
type dbWatch struct {
	cfg *Database
	my  *mysqlserver.Monitor
	pg  *pgserver.Monitor
	n   int // server gauges
	// lastID (MySQL: the highest connection id) or lastStart
	// (PostgreSQL: the latest backend start) of the user at the last
	// sample; ok says there was one to count new connections from.
	lastID    int64
	lastStart time.Time
	ok        bool
	// others is how many connections other clients than the service's
	// user held when the block opened (see readBaseline); haveOthers says
	// it was read.
	others     float64
	haveOthers bool
}

func openDBWatch(ctx context.Context, cfg *Database) (*dbWatch, error) {
	if cfg.postgres() {
		return openPgWatch(ctx, cfg)
	}
	mon, err := mysqlserver.OpenMonitor(ctx, cfg.DSN)
	if err != nil {
		return nil, fmt.Errorf("opening the database block's monitor: %w", err)
	}
	w := &dbWatch{cfg: cfg, my: mon, n: len(mon.GaugeNames())}
	w.readBaseline(ctx)
	return w, nil
}

// readBaseline reads, as the block opens, the connections that clients
// other than the service's user hold on the server, so that the headroom
// finding judges the service's pool against what is left of
// max_connections, as it does for the MySQL and PostgreSQL targets. On
// MySQL it is Threads_connected less the user's connections (the monitor's
// own among them, as the MySQL target's baseline has it); on PostgreSQL,
// the client backends less the user's (the monitor's left out, as the
// PostgreSQL target's baseline has it). Without a user nothing tells the
// service's connections from the others', and no baseline is given.
func (w *dbWatch) readBaseline(ctx context.Context) {
	if w.cfg.User == "" {
		return
	}
	if w.pg != nil {
		if st, err := w.pg.Read(ctx); err == nil {
			w.others, w.haveOthers = st[pgserver.Backends]-st[pgserver.LoadBackends], true
		}
		return
	}
	st, err := w.my.Read(ctx)
	if err != nil {
		return
	}
	if n, _, _, err := w.my.UserConns(ctx, w.cfg.User, 0); err == nil {
		w.others, w.haveOthers = st[mysqlserver.ThreadsConnected]-float64(n), true
	}
}

// sample fills dst (the block's gauges, in order).
func (w *dbWatch) sample(ctx context.Context, dst []float64) {
	server := dst[:min(w.n, len(dst))]
	if w.pg != nil {
		w.pg.Sample(ctx, server)
	} else {
		w.my.Sample(ctx, server)
	}
	if w.cfg.User == "" || len(dst) <= w.n {
		return
	}
	dst[w.n] = math.NaN()
	opened := math.NaN()
	n, o, err := w.userConns(ctx)
	if err == nil {
		dst[w.n] = float64(n)
		if w.ok {
			opened = float64(o)
		}
		w.ok = true
	}
	if len(dst) > w.n+1 {
		dst[w.n+1] = opened
	}
}

// userConns reads the user's connections and those new since the last
// reading, and moves the mark on.
func (w *dbWatch) userConns(ctx context.Context) (n, opened int64, err error) {
	if w.pg != nil {
		n, opened, w.lastStart, err = w.pg.UserConns(ctx, w.cfg.User, w.lastStart)
		return n, opened, err
	}
	var last int64
	n, opened, last, err = w.my.UserConns(ctx, w.cfg.User, w.lastID)
	if err == nil {
		w.lastID = last
	}
	return n, opened, err
}

// describe returns the server facts, prefixed db.
func (w *dbWatch) describe(ctx context.Context, out map[string]string) {
	var facts map[string]string
	if w.pg != nil {
		facts = w.pg.Facts()
		facts["dsn"] = pgserver.RedactDSN(w.cfg.DSN)
	} else {
		facts = w.my.Describe(ctx)
	}
	for k, v := range facts {
		out["db."+k] = v
	}
	if w.cfg.User != "" {
		out["db.user"] = w.cfg.User
	}
	if w.haveOthers {
		name := record.FactBaselineThreadsConnected
		if w.pg != nil {
			name = record.FactBaselineBackends
		}
		out["db."+name] = strconv.FormatFloat(w.others, 'f', -1, 64)
	}
}

func (w *dbWatch) close() error {
	if w.pg != nil {
		return w.pg.Close()
	}
	return w.my.Close()
}

// pgConnectTimeout bounds the monitor's connection when the DSN sets no
// connect_timeout.
const pgConnectTimeout = 5 * time.Second

// openPgWatch connects the monitor to PostgreSQL. The service names its
// sessions as it likes, so the load is its user's backends, whatever
// their application_name.
func openPgWatch(ctx context.Context, cfg *Database) (*dbWatch, error) {
	cc, err := pgx.ParseConfig(cfg.DSN)
	if err != nil {
		return nil, fmt.Errorf("opening the database block's monitor: %w", pgserver.Scrub(err, pgserver.Password(cfg.DSN)))
	}
	if cc.ConnectTimeout == 0 {
		cc.ConnectTimeout = pgConnectTimeout
	}
	mon, err := pgserver.OpenMonitor(ctx, cc, cfg.User, "")
	if err != nil {
		return nil, fmt.Errorf("opening the database block's monitor: %w", err)
	}
	w := &dbWatch{cfg: cfg, pg: mon, n: len(pgserver.GaugeNames())}
	w.readBaseline(ctx)
	return w, nil
}
