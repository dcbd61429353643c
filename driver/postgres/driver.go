package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	pdriver "github.com/poolload/poolload/driver"
	"github.com/poolload/poolload/driver/pgserver"
	"github.com/poolload/poolload/driver/vuctx"
)

// Driver is one variant run's view of the target: a fresh pool (pgxpool
// or database/sql, the pool under test) whose connections are timed by a
// tracer, plus a monitoring connection that the pool never sees.
type Driver struct {
	cfg    Config  // defaults applied
	target *Target // the run it belongs to: managed server, baseline, DialAddr
	px     *pgxpool.Pool
	db     *sql.DB
	mon    *pgserver.Monitor
	st     *stats
	work   *workload

	acquireTimeout time.Duration
	queryTimeout   time.Duration
	slots          vuctx.Slots[gate] // the tracer finds the acquiring VU's gate through them

	baseline float64           // the load's backends before this pool connected
	facts    map[string]string // read once at Open, for Describe

	sampleMu sync.Mutex
	prev     sampleState

	leakMu sync.Mutex
	leaked []session // connections leak_every kept from the pool
}

// OpenError is a failure to open the target, with its class. Its message
// never holds the DSN's password.
type OpenError = pgserver.OpenError

// open opens a Driver for t's config: the monitoring connection first (so
// an unreachable server or a wrong password fails here, within
// connect_timeout, with a class), then a cold pool.
func (t *Target) open(ctx context.Context) (*Driver, error) {
	c := t.cfg
	if errs := c.Validate(); len(errs) > 0 {
		return nil, fmt.Errorf("invalid target.postgres: %s", joinErrs(errs))
	}
	dsn, err := t.dsn()
	if err != nil {
		return nil, err
	}
	if _, _, err := net.SplitHostPort(t.DialAddr); t.DialAddr != "" && err != nil {
		return nil, fmt.Errorf("DialAddr %q is not host:port: %w", t.DialAddr, err)
	}
	d := &Driver{cfg: c, target: t, st: &stats{}, work: c.compile(map[string]string{}),
		acquireTimeout: c.AcquireTimeout.D(), queryTimeout: c.QueryTimeout.D()}
	cc, err := c.poolConfig(dsn, t.DialAddr, &tracer{st: d.st})
	if err != nil {
		return nil, err
	}
	app := cc.RuntimeParams["application_name"]
	// The monitor goes to the server itself, never through DialAddr.
	mc, err := c.connConfig(dsn)
	if err != nil {
		return nil, err
	}
	d.mon, err = pgserver.OpenMonitor(ctx, mc, cc.User, app)
	if err != nil {
		return nil, err
	}
	d.facts = d.mon.Facts()
	d.facts["application_name"] = app
	d.facts["pool"] = c.Pool
	if st, err := d.mon.Read(ctx); err == nil {
		d.baseline = t.noteBaseline(st[pgserver.Backends], st[pgserver.LoadBackends])
	}
	if c.Pool == PoolSQL {
		d.openSQL(cc)
	} else if err := d.openPgx(cc); err != nil {
		d.mon.Close()
		return nil, fmt.Errorf("configuring the pool: %w", pgserver.Scrub(err, cc.Password))
	}
	if t.DialAddr != "" {
		d.facts["dial_addr"] = t.DialAddr
	}
	return d, nil
}

// Close gives back the connections leak_every kept (closing them: they
// hold a transaction), closes the pool and the monitoring connection.
func (d *Driver) Close() error {
	d.leakMu.Lock()
	leaked := d.leaked
	d.leaked = nil
	d.leakMu.Unlock()
	for _, s := range leaked {
		s.discard()
	}
	var err error
	if d.px != nil {
		d.px.Close() // waits for every acquired connection: none is left
	} else {
		err = d.db.Close()
	}
	if merr := d.mon.Close(); err == nil {
		err = merr
	}
	return err
}

// Opened returns how many connections the pool has opened and closed.
func (d *Driver) Opened() (opened, closed int64) { return d.st.opened.Load(), d.st.closed.Load() }

// PoolCharged returns the connections set up with no iteration waiting
// and their total setup time: the part of `connecting` no iteration
// carries.
func (d *Driver) PoolCharged() (n int64, total time.Duration) {
	return d.st.poolConnects.Load(), time.Duration(d.st.poolConnectNS.Load())
}

// joinErrs renders a Validate map as one sorted line.
func joinErrs(errs map[string]string) string {
	parts := make([]string, 0, len(errs))
	for _, k := range slices.Sorted(maps.Keys(errs)) {
		parts = append(parts, k+": "+errs[k])
	}
	return strings.Join(parts, "; ")
}

// The optional interfaces the engine looks for.
var (
	_ pdriver.Driver    = (*Driver)(nil)
	_ pdriver.Prewarmer = (*Driver)(nil)
	_ pdriver.Settler   = (*Driver)(nil)
	_ pdriver.Sampler   = (*Driver)(nil)
	_ pdriver.Describer = (*Driver)(nil)
	_ pdriver.Opener    = (*Target)(nil)
)
