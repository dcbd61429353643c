package mysql

import (
	"context"
	"maps"
	"strconv"
	"time"

	"github.com/poolload/poolload/driver/mysqlserver"
	"github.com/poolload/poolload/record"
)

// poolGaugeNames are the client pool's gauges, first in the Sampler's
// order; the server's (mysqlserver.ServerGaugeNames, filled as a Monitor
// fills them)
// follow. The ones marked as deltas count per interval.
var poolGaugeNames = [numPoolGauges]string{
	record.PoolOpen, record.PoolInUse, record.PoolIdle,
	record.PoolWaitCount, record.PoolWaitMs, // deltas
	record.PoolMaxIdleClosed, record.PoolMaxIdleTimeClosed, record.PoolMaxLifetimeClosed, // deltas
	record.ConnsOpened, record.ConnsOpenedByPool, record.ConnsOpenedByPoolMs, // deltas
	record.ConnsClosed, record.BadConnChecks, // deltas
}

// gaugeNames are the Sampler's gauges: the pool's, then the server's.
var gaugeNames = append(poolGaugeNames[:len(poolGaugeNames):len(poolGaugeNames)], mysqlserver.ServerGaugeNames()...)

// numPoolGauges is the index of the first server gauge.
const numPoolGauges = 13

// sampleState is what the previous Sample saw, for the deltas.
type sampleState struct {
	waitCount, waitNS, maxIdle, maxIdleTime, maxLife int64
	opened, byPool, byPoolNS, closed, badIdle        int64
	server                                           mysqlserver.Status
	serverOK                                         bool
}

// GaugeNames implements driver.Sampler.
func (d *Driver) GaugeNames() []string { return append([]string(nil), gaugeNames...) }

// GaugeNames lets the runner name the record's gauge columns before the
// first pool is opened.
func (c Config) GaugeNames() []string { return append([]string(nil), gaugeNames...) }

// Sample implements driver.Sampler: pool gauges from DBStats and the
// driver's counters, server gauges from one SHOW GLOBAL STATUS on the
// monitoring connection, the same way a Monitor reads them (NaN if it
// fails, e.g. while the server is down).
func (d *Driver) Sample(ctx context.Context, dst []float64) {
	d.sampleMu.Lock()
	defer d.sampleMu.Unlock()
	s := d.db.Stats()
	cur := sampleState{
		waitCount: s.WaitCount, waitNS: int64(s.WaitDuration),
		maxIdle: s.MaxIdleClosed, maxIdleTime: s.MaxIdleTimeClosed, maxLife: s.MaxLifetimeClosed,
		opened: d.st.opened.Load(), closed: d.st.closed.Load(), badIdle: d.st.badIdle.Load(),
		byPool: d.st.poolConnects.Load(), byPoolNS: d.st.poolConnectNS.Load(),
	}
	p := &d.prev
	pool := [numPoolGauges]float64{
		float64(s.OpenConnections), float64(s.InUse), float64(s.Idle),
		float64(cur.waitCount - p.waitCount), float64(cur.waitNS-p.waitNS) / float64(time.Millisecond),
		float64(cur.maxIdle - p.maxIdle), float64(cur.maxIdleTime - p.maxIdleTime), float64(cur.maxLife - p.maxLife),
		float64(cur.opened - p.opened),
		float64(cur.byPool - p.byPool), float64(cur.byPoolNS-p.byPoolNS) / float64(time.Millisecond),
		float64(cur.closed - p.closed), float64(cur.badIdle - p.badIdle),
	}
	copy(dst, pool[:])
	qctx, cancel := context.WithTimeout(ctx, min(d.queryTimeout, mysqlserver.QueryTimeout))
	defer cancel()
	srv, err := d.serverStatus(qctx)
	cur.server, cur.serverOK = p.server, p.serverOK
	if len(dst) > numPoolGauges {
		mysqlserver.FillGauges(dst[numPoolGauges:], srv, err, &cur.server, &cur.serverOK)
	} else if err == nil {
		cur.server, cur.serverOK = srv, true
	}
	*p = cur
}

// serverStatus reads the server variables through the monitoring connection.
func (d *Driver) serverStatus(ctx context.Context) (mysqlserver.Status, error) {
	return mysqlserver.ReadStatus(ctx, d.mon)
}

// Describe implements driver.Describer: server facts read at Open, the
// redacted DSN and the pool settings in effect.
func (d *Driver) Describe(context.Context) map[string]string {
	c := &d.cfg
	out := maps.Clone(d.facts)
	out["dsn"] = mysqlserver.RedactDSN(c.DSN)
	if c.Server == ServerManaged {
		out["server"] = ServerManaged
		if s := d.target.Managed(); s != nil {
			out["dsn"] = s.DSN()
			for k, v := range s.Adjusted {
				out["adjusted."+k] = v
			}
		}
	}
	out["max_open"] = strconv.Itoa(c.MaxOpen)
	out["max_idle"] = strconv.Itoa(c.maxIdle())
	out["conn_max_lifetime"] = c.ConnMaxLifetime.String()
	out["conn_max_idle_time"] = c.ConnMaxIdleTime.String()
	out["acquire_timeout"] = c.AcquireTimeout.String()
	out["query_timeout"] = c.QueryTimeout.String()
	out["connect_timeout"] = c.ConnectTimeout.String()
	out[record.FactBaselineThreadsConnected] = strconv.FormatInt(d.baseline, 10)
	for k, v := range c.Params {
		out["param."+k] = v
	}
	return out
}
