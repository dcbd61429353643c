package live

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/poolload/poolload/record"
)

// dashboard is the Grafana dashboard that shows a run live.
const dashboard = "../deploy/grafana/poolload.json"

// exportedNames are the names an exporter gives its series when the record
// samples every gauge the record knows: what any run can export. A
// summary's _count and _sum are names of their own in PromQL.
func exportedNames(t *testing.T) map[string]bool {
	t.Helper()
	names := gather(t, nil)
	// The record's fixed columns (iterations, errors, vus_busy…) are
	// exported by live's own metrics; the rest are a driver's gauges.
	var gauges []string
	for _, c := range record.Columns {
		if !names[columnOf(c.Name).name] {
			gauges = append(gauges, c.Name)
		}
	}
	for n := range gather(t, gauges) {
		names[n] = true
	}
	return names
}

// gather is the names an exporter sampling gauges exports after one
// interval.
func gather(t *testing.T, gauges []string) map[string]bool {
	t.Helper()
	e := New("run-1", "demo", gauges)
	vals := make([]float64, len(gauges))
	for i := range vals {
		vals[i] = 1
	}
	e.Observe("cold", 1, interval(0, 10, time.Millisecond, vals...))
	reg := prometheus.NewRegistry()
	reg.MustRegister(e)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, mf := range mfs {
		names[mf.GetName()] = true
		if mf.GetType() == dto.MetricType_SUMMARY {
			names[mf.GetName()+"_count"], names[mf.GetName()+"_sum"] = true, true
		}
	}
	return names
}

// panel is what the test reads of a dashboard panel.
type panel struct {
	Title   string `json:"title"`
	Type    string `json:"type"`
	Targets []struct {
		Expr string `json:"expr"`
	} `json:"targets"`
}

// The dashboard parses, and every metric it queries is one live exports
// under that name: a rename in live/ fails here, not in someone's Grafana.
func TestDashboardQueriesExportedMetrics(t *testing.T) {
	b, err := os.ReadFile(dashboard)
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Title      string  `json:"title"`
		UID        string  `json:"uid"`
		Panels     []panel `json:"panels"`
		Templating struct {
			List []struct {
				Name       string `json:"name"`
				Definition string `json:"definition"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s: %v", dashboard, err)
	}
	if d.Title == "" || d.UID == "" {
		t.Errorf("dashboard has no title or uid")
	}
	exported := exportedNames(t)
	name := regexp.MustCompile(`\bpoolload_[a-zA-Z0-9_:]+`)
	queried := map[string]bool{}
	check := func(where, expr string) {
		for _, n := range name.FindAllString(expr, -1) {
			queried[n] = true
			if !exported[n] {
				t.Errorf("%s: %s is not a metric live exports", where, n)
			}
		}
	}
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			check("panel "+p.Title, tg.Expr)
		}
	}
	for _, v := range d.Templating.List {
		check("variable "+v.Name, v.Definition)
	}
	// What the plots show of a cold-vs-warm run must be on the board.
	for _, want := range []string{"poolload_latency_seconds", "poolload_blocked_seconds", "poolload_conns_opened_total",
		"poolload_pool_in_use", "poolload_dropped_iterations_total", "poolload_errors_total"} {
		if !queried[want] {
			t.Errorf("the dashboard does not show %s", want)
		}
	}
	if !slices.ContainsFunc(d.Panels, func(p panel) bool { return p.Type == "timeseries" }) {
		t.Error("no time series panel")
	}
}
