package runner

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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

// prewarmPool is an instance with a pool to prewarm. Each one's Prewarm
// waits until every instance's has begun, so a fleet that warmed them one
// after another would time out: a deploy restarts them together.
type prewarmPool struct {
	fakePool
	all  *sync.WaitGroup
	got  int
	fail bool
}

func (p *prewarmPool) Prewarm(ctx context.Context, n int) (int, error) {
	p.all.Done()
	done := make(chan struct{})
	go func() { p.all.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		return 0, errors.New("the other instances' prewarms did not begin meanwhile")
	}
	if p.fail {
		p.got = n / 2
		return p.got, errors.New("too many connections")
	}
	p.got = n
	return n, nil
}

type prewarmOpener struct {
	opened []*prewarmPool
	all    sync.WaitGroup
	failK  int // the instance (from 1) whose prewarm fails; 0: none
}

func (o *prewarmOpener) Open(context.Context) (driver.Driver, error) {
	k := len(o.opened) + 1
	p := &prewarmPool{fakePool: fakePool{k: k}, all: &o.all, fail: k == o.failK}
	o.all.Add(1)
	o.opened = append(o.opened, p)
	return p, nil
}

// A fleet's prewarm warms every instance's pool with n, all at once, and
// counts them all; one instance failing fails it, with the others' count.
func TestFleetPrewarmsEveryInstance(t *testing.T) {
	for _, tc := range []struct {
		name  string
		failK int
		want  int
		err   string
	}{
		{"all warm", 0, 3 * 4, ""},
		{"one fails", 2, 4 + 2 + 4, "too many connections"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := &prewarmOpener{failK: tc.failK}
			d, err := openFleet(context.Background(), o, 3)
			if err != nil {
				t.Fatal(err)
			}
			n, err := d.(driver.Prewarmer).Prewarm(context.Background(), 4)
			if n != tc.want || (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
				t.Errorf("prewarmed %d, %v; want %d, %q", n, err, tc.want, tc.err)
			}
			for _, p := range o.opened {
				if want := map[bool]int{false: 4, true: 2}[p.k == tc.failK]; p.got != want {
					t.Errorf("instance %d prewarmed %d, want %d", p.k, p.got, want)
				}
			}
		})
	}
	// A fleet of drivers without a pool says so rather than warming none.
	d, err := openFleet(context.Background(), &fakeOpener{}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.(driver.Prewarmer).Prewarm(context.Background(), 1); err == nil || !strings.Contains(err.Error(), "no pool to prewarm") {
		t.Errorf("prewarming pools that have none: %v", err)
	}
}
