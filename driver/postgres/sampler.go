package postgres

import (
	"context"
	"maps"
	"math"
	"strconv"
	"time"

	"github.com/poolload/poolload/driver/pgserver"
	"github.com/poolload/poolload/record"
)

// poolGaugeNames are the client pool's gauges, first in the Sampler's
// order; the server's (pgserver.GaugeNames) follow. The same columns as
// the mysql target's pool where the meaning is the same: pgxpool's total,
// acquired and idle connections are pool_open, pool_in_use and pool_idle,
// its empty acquires (those that had to wait for a connection) and their
// wait are pool_wait_count and pool_wait_ms.
var poolGaugeNames = [numPoolGauges]string{
	record.PoolOpen, record.PoolInUse, record.PoolIdle,
	record.PoolWaitCount, record.PoolWaitMs, // deltas
	record.PoolMaxIdleClosed, record.PoolMaxIdleTimeClosed, record.PoolMaxLifetimeClosed, // deltas
	record.ConnsOpened, record.ConnsOpenedByPool, record.ConnsOpenedByPoolMs, // deltas
	record.ConnsClosed, record.BadConnChecks, // deltas
	record.PoolConstructing, record.PoolCanceledAcquires, // pgxpool only
	record.ConnsFailed, // delta
}

// numPoolGauges is the index of the first server gauge.
const numPoolGauges = 16

// gaugeNames are the Sampler's gauges: the pool's, then the server's.
var gaugeNames = append(poolGaugeNames[:len(poolGaugeNames):len(poolGaugeNames)], pgserver.GaugeNames()...)

// sampleState is what the previous Sample saw, for the deltas.
type sampleState struct {
	waitCount, waitNS, maxIdle, maxIdleTime, maxLife int64
	opened, byPool, byPoolNS, closed, badChecks      int64
	canceled, failed                                 int64
}

// GaugeNames implements driver.Sampler.
func (d *Driver) GaugeNames() []string { return append([]string(nil), gaugeNames...) }

// GaugeNames lets the runner name the record's gauge columns before the
// first pool is opened.
func (c Config) GaugeNames() []string { return append([]string(nil), gaugeNames...) }

// poolReading is one reading of the pool's own statistics.
type poolReading struct {
	open, inUse, idle, constructing float64
	cur                             sampleState
}

// readPool reads the pool under test's statistics and the driver's
// counters. Gauges a pool does not have are NaN: database/sql has no
// constructing count, pgxpool no max_idle.
func (d *Driver) readPool() poolReading {
	cur := sampleState{opened: d.st.opened.Load(), closed: d.st.closed.Load(), badChecks: d.st.badChecks.Load(),
		byPool: d.st.poolConnects.Load(), byPoolNS: d.st.poolConnectNS.Load(),
		failed: d.st.failed.Load()}
	if d.px != nil {
		s := d.px.Stat()
		cur.waitCount, cur.waitNS = s.EmptyAcquireCount(), int64(s.EmptyAcquireWaitTime())
		cur.maxIdleTime, cur.maxLife = s.MaxIdleDestroyCount(), s.MaxLifetimeDestroyCount()
		cur.canceled = s.CanceledAcquireCount()
		return poolReading{float64(s.TotalConns()), float64(s.AcquiredConns()), float64(s.IdleConns()),
			float64(s.ConstructingConns()), cur}
	}
	s := d.db.Stats()
	cur.waitCount, cur.waitNS = s.WaitCount, int64(s.WaitDuration)
	cur.maxIdle, cur.maxIdleTime, cur.maxLife = s.MaxIdleClosed, s.MaxIdleTimeClosed, s.MaxLifetimeClosed
	return poolReading{float64(s.OpenConnections), float64(s.InUse), float64(s.Idle), math.NaN(), cur}
}

// Sample implements driver.Sampler: pool gauges from the pool's own
// statistics and the driver's counters, server gauges from one query on
// the monitoring connection (NaN if it fails, e.g. while the server is
// down).
func (d *Driver) Sample(ctx context.Context, dst []float64) {
	d.sampleMu.Lock()
	defer d.sampleMu.Unlock()
	r := d.readPool()
	cur, p := r.cur, &d.prev
	ms := func(ns int64) float64 { return float64(ns) / float64(time.Millisecond) }
	pool := [numPoolGauges]float64{
		r.open, r.inUse, r.idle,
		float64(cur.waitCount - p.waitCount), ms(cur.waitNS - p.waitNS),
		float64(cur.maxIdle - p.maxIdle), float64(cur.maxIdleTime - p.maxIdleTime), float64(cur.maxLife - p.maxLife),
		float64(cur.opened - p.opened), float64(cur.byPool - p.byPool), ms(cur.byPoolNS - p.byPoolNS),
		float64(cur.closed - p.closed), float64(cur.badChecks - p.badChecks),
		r.constructing, float64(cur.canceled - p.canceled),
		float64(cur.failed - p.failed),
	}
	if d.px != nil {
		pool[5] = math.NaN() // pgxpool has no max_idle
	} else {
		pool[14] = math.NaN()
	}
	copy(dst, pool[:])
	if len(dst) > numPoolGauges {
		d.mon.Sample(ctx, dst[numPoolGauges:])
	}
	*p = cur
}

// Describe implements driver.Describer: server facts read at Open, the
// redacted DSN and the pool settings in effect.
func (d *Driver) Describe(context.Context) map[string]string {
	c := &d.cfg
	out := maps.Clone(d.facts)
	out["dsn"] = pgserver.RedactDSN(c.DSN)
	if c.Server == ServerManaged {
		out["server"] = ServerManaged
		if s := d.target.Managed(); s != nil {
			out["dsn"] = s.DSN()
		}
	}
	out["max_open"] = strconv.Itoa(c.MaxOpen)
	if c.Pool == PoolSQL {
		out["max_idle"] = strconv.Itoa(c.maxIdle())
	} else {
		out["min_conns"] = strconv.Itoa(c.MinConns)
	}
	out["conn_max_lifetime"] = c.ConnMaxLifetime.String()
	out["conn_max_idle_time"] = c.ConnMaxIdleTime.String()
	out["acquire_timeout"] = c.AcquireTimeout.String()
	out["query_timeout"] = c.QueryTimeout.String()
	out["connect_timeout"] = c.ConnectTimeout.String()
	out[record.FactBaselineBackends] = strconv.FormatFloat(d.target.baselineBackends(), 'f', -1, 64)
	for k, v := range c.Redacted().Params {
		out["param."+k] = v
	}
	return out
}
