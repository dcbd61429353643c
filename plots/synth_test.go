package plots

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/poolload/poolload/collector"
	"github.com/poolload/poolload/record"
)

// mysqlGauges are the gauge columns of the MySQL driver, in its order.
var mysqlGauges = []string{
	"pool_open", "pool_in_use", "pool_idle", "pool_wait_count", "pool_wait_ms",
	"pool_max_idle_closed", "pool_max_idle_time_closed", "pool_max_lifetime_closed",
	"conns_opened", "conns_closed", "bad_conn_checks",
	"threads_connected", "threads_running", "threads_created", "connections",
	"aborted_connects", "aborted_clients", "max_used_connections", "questions",
}

// synthOpts shapes a synthetic record.
type synthOpts struct {
	gauges  bool // MySQL pool and server gauges (false: like the noop driver)
	seconds int
	reps    int
	rate    int // iterations per second offered
}

// second is what one interval of a synthetic window looks like.
type second struct {
	blockedMs, connectingMs, waitMs, lagMs float64 // typical values
	dropPool, dropVUs, dropTarget          int64
	open, inUse, waits, opened             float64
}

// coldSecond is a pool filling from empty: the first two seconds block on
// new connections and drop iterations, then it settles like a warm one.
func coldSecond(s int) second {
	switch s {
	case 0:
		return second{blockedMs: 400, connectingMs: 90, waitMs: 4, lagMs: 250, dropPool: 70, dropVUs: 10,
			open: 14, inUse: 14, waits: 160, opened: 14}
	case 1:
		return second{blockedMs: 120, connectingMs: 60, waitMs: 4, lagMs: 60, dropPool: 25,
			open: 20, inUse: 9, waits: 55, opened: 6}
	case 2:
		return second{blockedMs: 2, waitMs: 4, lagMs: 0.2, dropTarget: 2, open: 20, inUse: 4, waits: 4}
	}
	return warmSecond(s)
}

func warmSecond(int) second {
	return second{blockedMs: 0.02, waitMs: 4, lagMs: 0.1, open: 20, inUse: 3}
}

// The MySQL-like record is shared by the tests that only read it.
var (
	mysqlOnce sync.Once
	mysqlRec  *record.Record
	mysqlErr  error
	mysqlDir  string
)

// mysqlRecord is a cold-vs-warm record of two repetitions of 10 s at
// 200/s with the MySQL driver's gauges.
func mysqlRecord(t *testing.T) *record.Record {
	mysqlOnce.Do(func() {
		mysqlDir, mysqlErr = os.MkdirTemp("", "plots-test-")
		if mysqlErr == nil {
			mysqlRec, mysqlErr = writeSynth(mysqlDir, synthOpts{gauges: true, seconds: 10, reps: 2, rate: 200})
		}
	})
	if mysqlErr != nil {
		t.Fatal(mysqlErr)
	}
	return mysqlRec
}

func TestMain(m *testing.M) {
	code := m.Run()
	if mysqlDir != "" {
		os.RemoveAll(mysqlDir)
	}
	os.Exit(code)
}

// synthRecord writes a cold-vs-warm record into a temporary directory and
// reads it back, so that the plots see exactly what Open returns.
func synthRecord(t testing.TB, o synthOpts) *record.Record {
	t.Helper()
	rec, err := writeSynth(t.TempDir(), o)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

func writeSynth(dir string, o synthOpts) (*record.Record, error) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	info := record.RunInfo{ID: "synthetic", Version: "test", Started: start, Status: record.StatusRunning,
		Scenario: json.RawMessage(`{"name":"mysql-cold-warm"}`)}
	if o.gauges {
		info.Gauges = mysqlGauges
	}
	w, err := record.Create(dir, info)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for rep := 1; rep <= o.reps; rep++ {
		for _, v := range []string{"cold", "warm"} {
			w.Info.Windows = append(w.Info.Windows, record.WindowInfo{Variant: v, Rep: rep,
				Status: record.StatusComplete, Start: start, Offered: float64(o.rate)})
			shape := warmSecond
			if v == "cold" {
				shape = coldSecond
			}
			for s := range o.seconds {
				if err := w.WriteInterval(v, rep, start, synthInterval(rng, s, shape(s), o, rep)); err != nil {
					return nil, err
				}
			}
		}
	}
	if err := w.Close(record.StatusComplete, nil); err != nil {
		return nil, err
	}
	return record.Open(dir)
}

// synthInterval fills one interval: timings spread around the second's
// typical values (a long tail on wait), counters and gauges.
func synthInterval(rng *rand.Rand, s int, sh second, o synthOpts, rep int) *collector.Interval {
	iv := &collector.Interval{Start: time.Duration(s) * time.Second, End: time.Duration(s+1) * time.Second}
	// Only the metrics the plots read: each histogram costs a full scan
	// of its buckets when written and read, which the race detector slows
	// tenfold.
	for _, m := range []collector.Metric{collector.Latency, collector.Blocked, collector.Connecting, collector.Wait} {
		iv.Hists[m] = collector.NewHistogram()
	}
	n := int64(o.rate) - sh.dropPool - sh.dropVUs - sh.dropTarget
	spread := func(typ float64) int64 { return int64(typ * 1e6 * (0.5 + rng.ExpFloat64()*0.5)) }
	for range n {
		blocked, connecting := spread(sh.blockedMs), int64(0)
		if sh.connectingMs > 0 && rng.IntN(3) == 0 {
			connecting = min(spread(sh.connectingMs), blocked)
		}
		wait := spread(sh.waitMs)
		if rng.IntN(200) == 0 {
			wait *= 8 // the odd slow query, so that the tail has a shape
		}
		lag, service := spread(sh.lagMs), blocked+wait+spread(0.3)
		rec := func(m collector.Metric, v int64) { _ = iv.Hists[m].RecordValue(max(v, 1)) }
		rec(collector.Latency, lag+service)
		rec(collector.Blocked, blocked)
		rec(collector.Connecting, connecting)
		rec(collector.Wait, wait)
	}
	iv.Counts.Iterations = n
	iv.Counts.Dropped[collector.DropPool] = sh.dropPool
	iv.Counts.Dropped[collector.DropVUs] = sh.dropVUs
	iv.Counts.Dropped[collector.DropTarget] = sh.dropTarget
	iv.VUsBusy, iv.VUsAlloc = int(sh.inUse), 20
	if o.gauges {
		iv.Gauges = synthGauges(rng, s, sh, rep)
	}
	return iv
}

// synthGauges are the MySQL gauges of one interval. In repetition 2 the
// server status could not be read at second 5 (NaN, an empty cell), which
// a plot must leave out rather than draw as zero.
func synthGauges(rng *rand.Rand, s int, sh second, rep int) []float64 {
	g := make([]float64, len(mysqlGauges))
	set := func(name string, v float64) {
		for i, n := range mysqlGauges {
			if n == name {
				g[i] = v
			}
		}
	}
	if s >= 2 { // a settled pool still breathes
		sh.inUse = max(0, sh.inUse+float64(rng.IntN(3)-1))
	}
	set("pool_open", sh.open)
	set("pool_in_use", sh.inUse)
	set("pool_idle", sh.open-sh.inUse)
	set("pool_wait_count", sh.waits)
	set("conns_opened", sh.opened)
	if s == 6 && rep == 1 { // one connection reached its max lifetime
		set("conns_closed", 1)
		set("conns_opened", 1)
	}
	set("threads_connected", 2+sh.open)
	set("threads_running", 1+math.Ceil(sh.inUse/2))
	if rep == 2 && s == 5 {
		set("threads_connected", math.NaN())
		set("threads_running", math.NaN())
	}
	return g
}
