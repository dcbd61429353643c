package plots

import (
	"slices"
	"strings"
	"testing"

	"github.com/poolload/poolload/analysis/testrecord"
	"github.com/poolload/poolload/record"
)

// The pool and conns figures are tested on what they are built from (the
// panels' titles, the columns behind them, the reference lines) rather
// than on pixels: building a figure draws nothing, so these tests cost
// nothing under the race detector.

// httpLeakRecord is an HTTP target whose service leaks connections: in-use
// pinned at the pool's max of 10 from the first second while requests
// pile up waiting. It has the service's and its database's gauges and no
// pool_* or threads_* column, like a real HTTP record.
func httpLeakRecord(target map[string]string) *record.Record {
	var rows []record.Row
	for s := range 6 {
		opened := 0.0
		if s == 0 { // the pool fills in the first second and never again
			opened = 10
		}
		rows = append(rows, testrecord.Rows("default", s, 1, map[string]float64{
			"svc_pool_open": 10, "svc_pool_in_use": 10, "svc_pool_idle": 0, "svc_pool_max": 10,
			"svc_pool_waiting": float64(20 * s), "svc_pool_opened": opened, "svc_pool_wait_count": 10,
			"db_threads_connected": 11, "db_threads_running": 1, "db_connections": opened,
		})...)
	}
	return testrecord.InMemory{Target: target, Rows: rows}.Record()
}

// mysqlRows are a few seconds of a MySQL target's pool and server gauges.
func mysqlRows() []record.Row {
	return testrecord.Rows("cold", 0, 3, map[string]float64{
		"pool_open": 12, "pool_in_use": 7, "pool_idle": 5, "pool_wait_count": 0,
		"conns_opened": 0, "conns_closed": 0, "threads_connected": 13, "threads_running": 1,
	})
}

// panelTitles are f's panel titles, row by row.
func panelTitles(f *figure) []string {
	var out []string
	for _, row := range f.panels {
		for _, p := range row {
			if p != nil {
				out = append(out, p.Title.Text)
			}
		}
	}
	return out
}

// specCols are the columns behind the specs' panels.
func specCols(specs []panelSpec) []string {
	out := make([]string, len(specs))
	for i, s := range specs {
		out[i] = s.col
	}
	return out
}

func TestPoolFigureService(t *testing.T) {
	t.Parallel()
	r := newRun(httpLeakRecord(nil))
	if !r.servicePool() {
		t.Fatal("a record with svc_pool_* columns is not seen as a service's pool")
	}
	f, err := poolFigure(r)
	if err != nil || f == nil {
		t.Fatalf("pool figure: %v, %v", f, err)
	}
	if !strings.HasPrefix(f.title, "Connection pool (service) and server threads — ") {
		t.Errorf("title %q", f.title)
	}
	want := []string{
		"service pool: open connections", "service pool: connections in use",
		"service pool: idle connections: all zero", "service pool: waits for a connection per interval",
		"server: Threads_connected", "server: Threads_running",
	}
	if got := panelTitles(f); !slices.Equal(got, want) || len(f.panels) != 3 {
		t.Errorf("%d rows of panels %q, want 3 rows of %q", len(f.panels), got, want)
	}
	specs := r.poolSpecs()
	wantCols := []string{"svc_pool_open", "svc_pool_in_use", "svc_pool_idle", "svc_pool_wait_count",
		"db_threads_connected", "db_threads_running"}
	if got := specCols(specs); !slices.Equal(got, wantCols) {
		t.Errorf("columns %q, want %q", got, wantCols)
	}
	// The waits panel draws the service's waits per interval (its counter's
	// delta), not the cumulative counter.
	if xys := specs[3].series(r.windows[0].rows); len(xys) != 6 || xys[5].Y != 10 {
		t.Errorf("waits series %v, want 6 points of 10", xys)
	}
}

// The in-use panel carries the pool's max, where a leak pins it.
func TestPoolMaxLine(t *testing.T) {
	t.Parallel()
	mysql := func(maxOpen string) *record.Record {
		return testrecord.InMemory{Target: map[string]string{"max_open": maxOpen}, Rows: mysqlRows()}.Record()
	}
	tests := []struct {
		name   string
		rec    *record.Record
		label  string // "" for no line
		values []float64
	}{
		{"HTTP: svc_pool_max", httpLeakRecord(nil), "service pool max (svc_pool_max) = 10", []float64{10}},
		{"MySQL: max_open", mysql("12"), "pool max (max_open) = 12", []float64{12}},
		{"MySQL: max_open 0 is unlimited", mysql("0"), "", nil},
		{"MySQL: no max_open fact", testrecord.InMemory{Rows: mysqlRows()}.Record(), "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRun(tt.rec)
			ref := r.poolSpecs()[1].ref
			if tt.label == "" {
				if ref != nil {
					t.Fatalf("a line %+v for an unknown max", ref)
				}
				return
			}
			if ref == nil || ref.label != tt.label || !slices.Equal(ref.values, tt.values) {
				t.Fatalf("line %+v, want %q at %v", ref, tt.label, tt.values)
			}
			f, err := poolFigure(r)
			if err != nil {
				t.Fatal(err)
			}
			// The line sits inside the panel, not on its top edge.
			if inUse := f.panels[0][1]; inUse.Y.Max < tt.values[0]*1.05 {
				t.Errorf("in-use axis tops at %v, under the line at %v", inUse.Y.Max, tt.values[0])
			}
		})
	}
}

// Several limits in one record (the service restarted with another max)
// each get a line; the legend then names the column only.
func TestPoolMaxLineSeveralValues(t *testing.T) {
	t.Parallel()
	rec := httpLeakRecord(nil)
	rec.Rows[4].Values["svc_pool_max"] = 20
	ref := newRun(rec).poolMax()
	if ref == nil || ref.label != "service pool max (svc_pool_max)" || !slices.Equal(ref.values, []float64{10, 20}) {
		t.Errorf("line %+v", ref)
	}
}

// A MySQL record's pool figure is what it always was.
func TestPoolFigureMySQLUnchanged(t *testing.T) {
	t.Parallel()
	r := newRun(mysqlRecord(t))
	if r.servicePool() {
		t.Fatal("a MySQL record is seen as a service's pool")
	}
	f, err := poolFigure(r)
	if err != nil || f == nil {
		t.Fatalf("pool figure: %v, %v", f, err)
	}
	want := []string{
		"client pool: open connections", "client pool: connections in use", "client pool: idle connections",
		"client pool: waits for a connection per interval", "server: Threads_connected", "server: Threads_running",
	}
	if got := panelTitles(f); !slices.Equal(got, want) || len(f.panels) != 3 {
		t.Errorf("%d rows of panels %q, want 3 rows of %q", len(f.panels), got, want)
	}
	if f.title != "Connection pool (client) and server threads — mysql-cold-warm · run synthetic" {
		t.Errorf("title %q", f.title)
	}
	c, err := connsFigure(r)
	if err != nil || c == nil {
		t.Fatalf("conns figure: %v, %v", c, err)
	}
	if got := panelTitles(c); !slices.Equal(got, []string{"connections opened per interval", "connections closed per interval"}) {
		t.Errorf("conns panels %q", got)
	}
}

func TestConnsFigureService(t *testing.T) {
	t.Parallel()
	f, err := connsFigure(newRun(httpLeakRecord(nil)))
	if err != nil || f == nil {
		t.Fatalf("conns figure: %v, %v", f, err)
	}
	want := []string{"connections the service's pool opened per interval", "connections the server accepted per interval"}
	if got := panelTitles(f); !slices.Equal(got, want) {
		t.Errorf("panels %q, want %q", got, want)
	}
}

// Panels whose column is absent are left out; with none, no figure.
func TestPoolFigureSkipsAbsentColumns(t *testing.T) {
	t.Parallel()
	rows := testrecord.Rows("default", 0, 3, map[string]float64{"svc_pool_in_use": 3, "svc_pool_max": 10})
	f, err := poolFigure(newRun(testrecord.InMemory{Rows: rows}.Record()))
	if err != nil || f == nil {
		t.Fatalf("pool figure: %v, %v", f, err)
	}
	if got := panelTitles(f); !slices.Equal(got, []string{"service pool: connections in use"}) || len(f.panels) != 1 {
		t.Errorf("panels %q in %d rows, want in-use alone", got, len(f.panels))
	}
	bare := newRun(testrecord.InMemory{Rows: testrecord.Rows("default", 0, 3, map[string]float64{"rate": 100})}.Record())
	for name, build := range map[string]func(*run) (*figure, error){"pool": poolFigure, "conns": connsFigure} {
		if f, err := build(bare); f != nil || err != nil {
			t.Errorf("%s figure of a record without gauges: %v, %v", name, f, err)
		}
	}
}

// A service whose "waiting" is a level (a queue length, as HikariCP's
// pending) has no per-interval counter: its panel draws the queue itself.
func TestServiceWaitingLevel(t *testing.T) {
	rec := httpLeakRecord(nil)
	for i := range rec.Rows {
		delete(rec.Rows[i].Values, "svc_pool_wait_count")
	}
	spec := newRun(rec).serviceWaitSpec()
	if spec.col != "svc_pool_waiting" || spec.title != "service pool: requests waiting for a connection" {
		t.Errorf("spec %+v", spec)
	}
}
