package live

import (
	"context"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/klauspost/compress/snappy"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/poolload/poolload/collector"
	"github.com/poolload/poolload/driver"
	"github.com/poolload/poolload/record"
)

// interval is one second with n iterations of latency d, a drop charged
// to the pool and an error of class bad_connection.
func interval(sec int, n int, d time.Duration, gauges ...float64) *collector.Interval {
	iv := &collector.Interval{Start: time.Duration(sec) * time.Second, End: time.Duration(sec+1) * time.Second,
		VUsBusy: 3, VUsAlloc: 5, Gauges: gauges}
	h := hdr.New(1, int64(time.Minute), 3)
	for range n {
		_ = h.RecordValue(int64(d))
	}
	iv.Hists[collector.Latency] = h
	iv.Counts.Iterations = int64(n)
	iv.Counts.Dropped[collector.DropPool] = 1
	iv.Counts.Errors[driver.ClassBadConnection] = 2
	return iv
}

// scrape reads the server's families with Prometheus's own parser.
func scrape(t *testing.T, addr string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get("http://" + addr + MetricsPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("content type %q", ct)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return mfs
}

// value is the value of the family's metric with the given labels.
func value(t *testing.T, mfs map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	t.Helper()
	mf, ok := mfs[name]
	if !ok {
		t.Fatalf("no %s", name)
	}
next:
	for _, m := range mf.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range labels {
			if k != "quantile" && have[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue()
		case m.Gauge != nil:
			return m.GetGauge().GetValue()
		case m.Summary != nil:
			if q, ok := labels["quantile"]; ok {
				for _, qv := range m.GetSummary().GetQuantile() {
					if q == fmtFloat(qv.GetQuantile()) {
						return qv.GetValue()
					}
				}
				t.Fatalf("%s has no quantile %s", name, q)
			}
			return float64(m.GetSummary().GetSampleCount())
		}
	}
	t.Fatalf("%s has no series %v", name, labels)
	return 0
}

func fmtFloat(f float64) string { return model.SampleValue(f).String() }

func TestServeNamesAndValues(t *testing.T) {
	gauges := []string{record.PoolOpen, record.ConnsOpened, record.PoolWaitMs, record.HostBusyPct}
	e := New("run-1", "demo", gauges)
	srv, err := e.Serve("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.Observe("cold", 1, interval(0, 100, 3*time.Millisecond, 4, 4, 250, 50))
	e.Observe("cold", 1, interval(1, 100, 2*time.Millisecond, 4, math.NaN(), 0, 40))
	mfs := scrape(t, srv.Addr())
	cold := map[string]string{"variant": "cold", "rep": "1"}
	for name, want := range map[string]float64{
		"poolload_iterations_total":                       200,
		"poolload_window_running":                         1,
		"poolload_window_elapsed_seconds":                 2,
		"poolload_vus_busy":                               3,
		"poolload_pool_open":                              4,
		"poolload_conns_opened_total":                     4, // the NaN sample adds nothing
		"poolload_pool_wait_seconds_total":                0.25,
		"poolload_host_busy_ratio":                        0.4,
		"poolload_interrupted_iterations_total":           0,
		"poolload_latency_seconds":                        200, // the summary's count
		"poolload_dropped_iterations_while_growing_total": 0,
	} {
		if got := value(t, mfs, name, cold); math.Abs(got-want) > 1e-9 {
			t.Errorf("%s = %g, want %g", name, got, want)
		}
	}
	if got := value(t, mfs, "poolload_dropped_iterations_total", map[string]string{"variant": "cold", "cause": "vus"}); got != 0 {
		t.Errorf("vus drops = %g, want 0", got)
	}
	if got := value(t, mfs, "poolload_dropped_iterations_total", map[string]string{"variant": "cold", "cause": "pool"}); got != 2 {
		t.Errorf("pool drops = %g, want 2", got)
	}
	if got := value(t, mfs, "poolload_errors_total", map[string]string{"variant": "cold", "class": "bad_connection"}); got != 4 {
		t.Errorf("bad_connection errors = %g, want 4", got)
	}
	if got := value(t, mfs, "poolload_latency_seconds", map[string]string{"variant": "cold", "quantile": "0.99"}); math.Abs(got-0.002) > 0.00001 {
		t.Errorf("latency p99 = %g, want the last interval's 2ms", got)
	}
	if len(mfs["poolload_errors_total"].GetMetric()) != int(driver.NumClasses)-1 {
		t.Errorf("errors_total: %d classes, want every class from 0", len(mfs["poolload_errors_total"].GetMetric()))
	}

	// A new window ends the one before: its levels and quantiles go, its
	// counters stay.
	e.Observe("warm", 1, interval(0, 10, time.Millisecond, 2, 0, 0, 10))
	mfs = scrape(t, srv.Addr())
	if got := value(t, mfs, "poolload_window_running", cold); got != 0 {
		t.Errorf("cold still running")
	}
	if got := value(t, mfs, "poolload_iterations_total", cold); got != 200 {
		t.Errorf("cold iterations after its end = %g", got)
	}
	for _, m := range mfs["poolload_pool_open"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetValue() == "cold" {
				t.Errorf("the ended window still has a pool_open level")
			}
		}
	}
	e.End()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := time.Now()
	go func() { time.Sleep(300 * time.Millisecond); scrape(t, srv.Addr()) }()
	if err := srv.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 250*time.Millisecond || d > 10*time.Second {
		t.Errorf("Close took %s: it should wait for the scrape after the end, and no longer", d)
	}
}

func TestPushRemoteWrite(t *testing.T) {
	got := make(chan map[string]float64, 16)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Content-Encoding") != "snappy" || r.Header.Get("X-Prometheus-Remote-Write-Version") != "0.1.0" ||
			r.Header.Get("Content-Type") != "application/x-protobuf" {
			t.Errorf("headers %v", r.Header)
		}
		body, _ := io.ReadAll(r.Body)
		raw, err := snappy.Decode(nil, body)
		if err != nil {
			t.Errorf("snappy: %v", err)
		}
		got <- decodeWriteRequest(t, raw)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer ts.Close()
	e := New("run-2", "demo", nil)
	p, err := NewPusher(e, ts.URL+"/api/v1/write")
	if err != nil {
		t.Fatal(err)
	}
	e.Observe("cold", 1, interval(0, 7, time.Millisecond))
	first := <-got
	if v := first[`poolload_iterations_total{job="poolload",rep="1",variant="cold"}`]; v != 7 {
		t.Errorf("pushed iterations = %g; series: %v", v, first)
	}
	if _, ok := first[`poolload_latency_seconds{job="poolload",quantile="0.99",rep="1",variant="cold"}`]; !ok {
		t.Errorf("no p99 pushed")
	}
	e.Observe("cold", 1, interval(1, 3, time.Millisecond))
	e.End()
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	var last map[string]float64
	for len(got) > 0 {
		last = <-got
	}
	if v := last[`poolload_iterations_total{job="poolload",rep="1",variant="cold"}`]; v != 10 {
		t.Errorf("final push: iterations = %g, want 10", v)
	}
	if _, err := NewPusher(e, "127.0.0.1:9090"); err == nil {
		t.Error("a URL without a scheme was taken")
	}
}

// decodeWriteRequest reads a remote-write 1.0 body into series text → value.
func decodeWriteRequest(t *testing.T, b []byte) map[string]float64 {
	out := map[string]float64{}
	fields := func(b []byte, f func(num protowire.Number, typ protowire.Type, v []byte, u uint64)) {
		for len(b) > 0 {
			num, typ, n := protowire.ConsumeTag(b)
			if n < 0 {
				t.Fatalf("bad tag")
			}
			b = b[n:]
			switch typ {
			case protowire.BytesType:
				v, m := protowire.ConsumeBytes(b)
				f(num, typ, v, 0)
				b = b[m:]
			case protowire.Fixed64Type:
				v, m := protowire.ConsumeFixed64(b)
				f(num, typ, nil, v)
				b = b[m:]
			case protowire.VarintType:
				v, m := protowire.ConsumeVarint(b)
				f(num, typ, nil, v)
				b = b[m:]
			default:
				t.Fatalf("wire type %d", typ)
			}
		}
	}
	fields(b, func(_ protowire.Number, _ protowire.Type, ts []byte, _ uint64) {
		var name string
		var labels []string
		var value float64
		fields(ts, func(num protowire.Number, _ protowire.Type, msg []byte, _ uint64) {
			if num == 1 {
				var k, v string
				fields(msg, func(n protowire.Number, _ protowire.Type, s []byte, _ uint64) {
					if n == 1 {
						k = string(s)
					} else {
						v = string(s)
					}
				})
				if k == "__name__" {
					name = v
				} else {
					labels = append(labels, k+`="`+v+`"`)
				}
				return
			}
			fields(msg, func(n protowire.Number, _ protowire.Type, _ []byte, u uint64) {
				if n == 1 {
					value = math.Float64frombits(u)
				}
			})
		})
		out[name+"{"+strings.Join(labels, ",")+"}"] = value
	})
	return out
}
