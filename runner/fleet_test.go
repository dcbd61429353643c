package runner

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/poolload/poolload/driver"
	"github.com/poolload/poolload/record"
)

// fakePool is one instance: it counts its iterations and reports a pool
// gauge of its own and a server gauge every instance reads the same.
type fakePool struct {
	k     int
	iters atomic.Int64
}

func (f *fakePool) Iterate(context.Context, *driver.Trace) { f.iters.Add(1) }
func (f *fakePool) Close() error                           { return nil }
func (f *fakePool) GaugeNames() []string                   { return []string{record.PoolOpen, record.ThreadsConnected} }
func (f *fakePool) Sample(_ context.Context, dst []float64) {
	dst[0], dst[1] = float64(10*f.k), 42
}

type fakeOpener struct {
	opened []*fakePool
}

func (o *fakeOpener) Open(context.Context) (driver.Driver, error) {
	p := &fakePool{k: len(o.opened) + 1}
	o.opened = append(o.opened, p)
	return p, nil
}

// Iterations are striped over the instances; a pool's own gauge is the
// fleet's sum with each instance's beside it, the server's is read once.
func TestFleet(t *testing.T) {
	o := &fakeOpener{}
	d, err := openFleet(context.Background(), o, 3)
	if err != nil {
		t.Fatal(err)
	}
	for i := range uint64(300) {
		d.Iterate(context.Background(), &driver.Trace{Iter: i})
	}
	for _, p := range o.opened {
		if p.iters.Load() != 100 {
			t.Errorf("instance %d ran %d iterations, want 100", p.k, p.iters.Load())
		}
	}
	s := d.(driver.Sampler)
	names := s.GaugeNames()
	want := []string{"pool_open", "threads_connected", "pool_open@1", "pool_open@2", "pool_open@3"}
	if !slices.Equal(names, want) {
		t.Fatalf("gauges %v, want %v", names, want)
	}
	got := make([]float64, len(names))
	s.Sample(context.Background(), got)
	if got[0] != 60 || got[1] != 42 || got[2] != 10 || got[3] != 20 || got[4] != 30 {
		t.Errorf("sampled %v: want the sum 60, the server's 42 once, and each instance's own", got)
	}
	if fd := d.(*fleet).Describe(context.Background()); fd["instances"] != "3" {
		t.Errorf("facts %v", fd)
	}
}
