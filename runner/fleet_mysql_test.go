package runner

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/poolload/poolload/driver/mysql"
	"github.com/poolload/poolload/driver/mysqlserver/mysqltest"
	"github.com/poolload/poolload/record"
	"github.com/poolload/poolload/scenario"
	"github.com/poolload/poolload/units"
)

// A warm variant of a fleet of MySQL pools prewarms every instance's
// pool, against the local MariaDB: 3 instances × prewarm 4 hold 12
// connections at t0, 4 in each pool, and the light load opens no more.
func TestFleetPrewarmsEveryMySQLPool(t *testing.T) {
	t.Parallel()
	const n, warm = 3, 4
	s := testScenario(30, 400*time.Millisecond)
	s.Output.Interval = units.Duration(100 * time.Millisecond)
	cfg := &mysql.Config{DSN: mysqltest.DSN(t), MaxOpen: warm,
		Operations: []mysql.Operation{{Name: "select", SQL: "SELECT 1"}}}
	cfg.SetDefaults()
	s.Target = scenario.NewTarget(mysql.Name, cfg)
	s.Target.Instances = n
	s.Variants = []scenario.Variant{{Name: "warm", Prewarm: warm}}
	s.Repeat = 1
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rec, err := runScenario(t, ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	w := rec.Info.Windows[0]
	if w.Status != record.StatusComplete || w.Prelude.Prewarmed != n*warm {
		t.Fatalf("%s, prewarmed %d: want %d × %d", w.Status, w.Prelude.Prewarmed, n, warm)
	}
	rows := rec.Series(w.Variant, w.Rep)
	if len(rows) == 0 {
		t.Fatal("no interval recorded")
	}
	if v := rows[0].Values[record.PoolOpen]; v != n*warm {
		t.Errorf("the fleet's pools held %v connections in the first interval, want %d", v, n*warm)
	}
	for k := 1; k <= n; k++ {
		if v := rows[0].Values[record.InstanceColumn(record.PoolOpen, k)]; v != warm {
			t.Errorf("instance %d's pool held %v connections in the first interval, want its %d prewarmed", k, v, warm)
		}
	}
	if !slices.Contains(rec.Info.Gauges, record.ConnsOpened) {
		t.Fatalf("the record's gauges %v lack %s", rec.Info.Gauges, record.ConnsOpened)
	}
	opened := 0.0
	for _, row := range rows {
		opened += row.Values[record.ConnsOpened]
	}
	if opened != 0 {
		t.Errorf("the warm fleet opened %v connections in its window, want none", opened)
	}
}
