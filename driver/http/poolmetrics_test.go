package http

import (
	"context"
	"fmt"
	"math"
	nethttp "net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// sample reads d's gauges by name, but for those of the load's own
// connections, which every driver has (charged_test.go tests them).
func sample(t *testing.T, ctx context.Context, d *Driver) map[string]float64 {
	t.Helper()
	names := d.GaugeNames()
	dst := make([]float64, len(names))
	d.Sample(ctx, dst)
	out := make(map[string]float64, len(names))
	for i, n := range names {
		if !slices.Contains(connGauges[:], n) {
			out[n] = dst[i]
		}
	}
	return out
}

// metricsServer serves body (with %d for the wait count) as contentType.
func metricsServer(t *testing.T, contentType, body string, waits *atomic.Int64) string {
	s := server(t, func(w nethttp.ResponseWriter, r *nethttp.Request) {
		w.Header().Set("Content-Type", contentType)
		fmt.Fprintf(w, body, waits.Load())
	})
	return s.URL
}

const (
	pooldemoJSON = `{"in_use":2,"idle":3,"open":5,"wait_count":%d,"wait_duration_ms":1.5,"max_open":10}`
	pooldemoProm = "# TYPE pooldemo_pool_in_use gauge\npooldemo_pool_in_use 2\npooldemo_pool_idle 3\n" +
		"pooldemo_pool_max_open 10\npooldemo_pool_open 5\n# TYPE pooldemo_pool_wait_count_total counter\npooldemo_pool_wait_count_total %d\n"
)

func TestPoolMetricsDefaults(t *testing.T) {
	cases := []struct{ name, ctype, body, url, format string }{
		{"json guessed", "application/json", pooldemoJSON, "", ""},
		{"prometheus guessed", "text/plain; version=0.0.4", pooldemoProm, "/metrics", ""},
		{"prometheus named", "application/octet-stream", pooldemoProm, "", FormatPrometheus},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var waits atomic.Int64
			waits.Store(7)
			base := metricsServer(t, c.ctype, c.body, &waits)
			d := open(t, Config{BaseURL: base, Requests: one("/"), PoolMetrics: &PoolMetrics{URL: c.url, Format: c.format}})
			waits.Store(12)
			g := sample(t, context.Background(), d)
			want := map[string]float64{"svc_pool_in_use": 2, "svc_pool_idle": 3, "svc_pool_waiting": 12,
				"svc_pool_max": 10, "svc_pool_open": 5, "svc_pool_opened": 0, "svc_pool_wait_count": 5}
			if fmt.Sprint(g) != fmt.Sprint(want) {
				t.Errorf("gauges %v, want %v", g, want)
			}
			waits.Store(4) // the service restarted: its counter starts over
			if g := sample(t, context.Background(), d); g["svc_pool_wait_count"] != 4 {
				t.Errorf("after a reset: wait_count delta %v, want 4", g["svc_pool_wait_count"])
			}
			if st := d.Describe(context.Background())["pool_metrics.status"]; st != "ok" {
				t.Errorf("status %q", st)
			}
		})
	}
}

func TestPoolMetricsMapping(t *testing.T) {
	var waits atomic.Int64
	cases := []struct {
		name  string
		ctype string
		body  string
		pm    PoolMetrics
		want  map[string]float64
	}{
		{"json paths", "application/json", `{"pools":[{"stats":{"active":"4","idle":1,"pending":%d,"total":8}}]}`,
			PoolMetrics{InUse: "pools.0.stats.active", Idle: "pools.0.stats.idle", Waiting: "pools.0.stats.pending",
				Max: "pools.0.stats.total", WaitingCounter: new(bool)},
			map[string]float64{"svc_pool_in_use": 4, "svc_pool_idle": 1, "svc_pool_waiting": 0, "svc_pool_max": 8, "svc_pool_open": math.NaN(), "svc_pool_opened": math.NaN()}},
		{"prometheus selectors", "text/plain", "hikaricp_connections_active{pool=\"a\"} 3\nhikaricp_connections_active{pool=\"b\"} 1\n" +
			"hikaricp_connections_idle{pool=\"a\"} 2\nhikaricp_connections_pending{pool=\"a\"} %d\n",
			PoolMetrics{InUse: "hikaricp_connections_active", Idle: `hikaricp_connections_idle{pool="a"}`,
				Waiting: "hikaricp_connections_pending", Max: "hikaricp_connections_max", WaitingCounter: new(bool)},
			map[string]float64{"svc_pool_in_use": 4, "svc_pool_idle": 2, "svc_pool_waiting": 0, "svc_pool_max": math.NaN(), "svc_pool_open": math.NaN(), "svc_pool_opened": math.NaN()}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			base := metricsServer(t, c.ctype, c.body, &waits)
			d := open(t, Config{BaseURL: base, Requests: one("/"), PoolMetrics: &c.pm})
			if g := sample(t, context.Background(), d); fmt.Sprint(g) != fmt.Sprint(c.want) {
				t.Errorf("gauges %v, want %v", g, c.want)
			}
		})
	}
}

// A metrics endpoint that is down or hangs costs NaN gauges, never an
// error or a late interval.
func TestPoolMetricsUnavailable(t *testing.T) {
	var hang atomic.Bool
	release := make(chan struct{})
	s := server(t, func(w nethttp.ResponseWriter, r *nethttp.Request) {
		if hang.Load() {
			<-release
		}
		w.Write([]byte(`{"in_use":1}`))
	})
	defer close(release)
	cases := []struct {
		name string
		url  string
	}{
		{"refused", "http://" + closedPort(t) + "/debug/pool"},
		{"hangs", s.URL + "/debug/pool"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := open(t, Config{BaseURL: s.URL, Requests: one("/"), PoolMetrics: &PoolMetrics{URL: c.url}})
			hang.Store(true)
			defer hang.Store(false)
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			start := time.Now()
			g := sample(t, ctx, d)
			if took := time.Since(start); took > time.Second {
				t.Errorf("Sample took %v", took)
			}
			for n, v := range g {
				if !math.IsNaN(v) {
					t.Errorf("%s = %v, want NaN", n, v)
				}
			}
		})
	}
	d := open(t, Config{BaseURL: s.URL, Requests: one("/"), PoolMetrics: &PoolMetrics{URL: "http://" + closedPort(t) + "/x"}})
	if st := d.Describe(context.Background())["pool_metrics.status"]; !strings.Contains(st, "refused") {
		t.Errorf("status %q, want the refusal", st)
	}
}

// svc_pool_opened counts the rise of the service's open connections since
// the last sample: a cold pool opening, not a warm one holding.
func TestPoolMetricsOpened(t *testing.T) {
	var opened atomic.Int64
	base := metricsServer(t, "application/json", `{"in_use":0,"idle":0,"open":%d,"max_open":10}`, &opened)
	d := open(t, Config{BaseURL: base, Requests: one("/"), PoolMetrics: &PoolMetrics{WaitingCounter: new(bool)}})
	for _, step := range []struct {
		open int64
		want float64
	}{{0, 0}, {6, 6}, {8, 2}, {8, 0}, {3, 0}, {5, 2}} {
		opened.Store(step.open)
		g := sample(t, context.Background(), d)
		if got := g["svc_pool_opened"]; fmt.Sprint(got) != fmt.Sprint(step.want) {
			t.Errorf("open %d: svc_pool_opened %v, want %v", step.open, got, step.want)
		}
	}
}
