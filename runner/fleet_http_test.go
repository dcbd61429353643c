package runner

import (
	"context"
	nethttp "net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/poolload/poolload/driver/http"
	"github.com/poolload/poolload/record"
	"github.com/poolload/poolload/scenario"
	"github.com/poolload/poolload/units"
)

// clientConns notes when a test server first saw each client connection
// (by its remote address) serve a request.
type clientConns struct {
	mu    sync.Mutex
	first map[string]time.Time
}

func (c *clientConns) ServeHTTP(w nethttp.ResponseWriter, r *nethttp.Request) {
	c.mu.Lock()
	if _, ok := c.first[r.RemoteAddr]; !ok {
		c.first[r.RemoteAddr] = time.Now()
	}
	c.mu.Unlock()
	w.WriteHeader(nethttp.StatusNoContent)
}

// between counts the connections first seen in [from, to).
func (c *clientConns) between(from, to time.Time) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, at := range c.first {
		if !at.Before(from) && at.Before(to) {
			n++
		}
	}
	return n
}

// target.instances: 3 on the HTTP target is three Transports, each with
// connections of its own: requests striped over them, each Transport held
// to one connection (max_conns: 1, so that a stalled machine queues a
// request rather than opening a second), open exactly one each, three in
// all, where one Transport would reuse one. A warm variant's warm-up
// warms every instance: its window opens none.
func TestFleetOfHTTPTransports(t *testing.T) {
	t.Parallel()
	conns := &clientConns{first: map[string]time.Time{}}
	srv := httptest.NewServer(conns)
	defer srv.Close()
	const n = 3
	s := &scenario.Scenario{
		Name: "fleet",
		Target: scenario.NewTarget(http.Name, &http.Config{BaseURL: srv.URL, MaxConns: 1,
			Requests: []http.Request{{Name: "x", Path: "/"}}}),
		// 30/s: each instance gets a request every 100 ms; VUs to spare,
		// so that a stall drops none.
		Load: scenario.LoadConfig{Executor: scenario.ConstantArrivalRate, Rate: 30, Duration: units.Duration(600 * time.Millisecond),
			TimeUnit: units.Duration(time.Second), PreAllocatedVUs: 4 * n, MaxVUs: 4 * n,
			GracefulStop: units.Duration(time.Second)},
		Variants: []scenario.Variant{{Name: "cold"},
			{Name: "warm", Warmup: &scenario.Warmup{Rate: 30, Duration: units.Duration(300 * time.Millisecond)}}},
		Repeat: 1,
		Output: scenario.Output{Interval: units.Duration(200 * time.Millisecond)},
	}
	s.Target.Instances = n
	start := time.Now()
	rec, err := runScenario(t, context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	cold, warm := rec.Info.Windows[0], rec.Info.Windows[1]
	for _, w := range rec.Info.Windows {
		if w.Status != record.StatusComplete || w.Totals.Iterations != 18 || w.Totals.Errors != 0 {
			t.Fatalf("%s: %s, %d iterations, %d errors; want 18 requests answered", w.Variant, w.Status, w.Totals.Iterations, w.Totals.Errors)
		}
	}
	if cold.Prelude.Warmup != 0 || warm.Prelude.Warmup != 9 {
		t.Errorf("warm-ups of %d and %d iterations, want none and 9", cold.Prelude.Warmup, warm.Prelude.Warmup)
	}
	// What the service saw: three connections in the cold window, three
	// in the warm-up, none in the warm window.
	coldEnd := cold.Start.Add(time.Duration(cold.Length))
	for _, c := range []struct {
		what     string
		from, to time.Time
		want     int
	}{
		{"in the cold window", start, coldEnd, n},
		{"in the warm-up", coldEnd, warm.Start, n},
		{"in the warm window", warm.Start, time.Now(), 0},
	} {
		if got := conns.between(c.from, c.to); got != c.want {
			t.Errorf("the service saw %d new connections %s, want %d", got, c.what, c.want)
		}
	}
	// What the record says: the fleet's sum and each instance's own.
	want := map[string]map[string]float64{"cold": {record.HTTPConnsOpened: n}, "warm": {record.HTTPConnsOpened: 0}}
	for k := 1; k <= n; k++ {
		want["cold"][record.InstanceColumn(record.HTTPConnsOpened, k)] = 1
		want["warm"][record.InstanceColumn(record.HTTPConnsOpened, k)] = 0
	}
	for _, w := range rec.Info.Windows {
		sum := map[string]float64{}
		for _, row := range rec.Series(w.Variant, w.Rep) {
			for g := range want[w.Variant] {
				sum[g] += row.Values[g]
			}
		}
		for g, v := range want[w.Variant] {
			if sum[g] != v {
				t.Errorf("%s: %s adds up to %v over the window, want %v", w.Variant, g, sum[g], v)
			}
		}
	}
	if rec.Info.Target["instances"] != "3" {
		t.Errorf("target facts %v: want instances 3", rec.Info.Target)
	}
}
