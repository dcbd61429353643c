package runner

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"sync"

	"github.com/poolload/poolload/driver"
	"github.com/poolload/poolload/record"
	"github.com/poolload/poolload/scenario"
)

// MaxInstanceColumns bounds the instances whose own gauges get columns of
// their own (pool_open@1, …): beyond it the record keeps the fleet's sums
// only, so a fleet of hundreds does not make thousands of columns.
const MaxInstanceColumns = 16

// instances is how many pools the scenario's target runs at once.
func instances(s *scenario.Scenario) int { return max(1, s.Target.Instances) }

// fleetGaugeNames adds, for a fleet of n pools, each instance's own
// reading of every gauge that is a pool's own (not the server's, which
// all share).
func fleetGaugeNames(names []string, n int) []string {
	if n == 1 || n > MaxInstanceColumns {
		return names
	}
	out := slices.Clone(names)
	for k := 1; k <= n; k++ {
		for _, g := range names {
			if !record.Shared(g) {
				out = append(out, record.InstanceColumn(g, k))
			}
		}
	}
	return out
}

// fleet is target.instances pools in one process, as the replicas of a
// service each hold their own: iteration k goes to instance k mod N, a
// prewarm warms every pool at once (a deploy restarts them together), and
// the gauges are the fleet's sums, with each instance's own beside them.
type fleet struct {
	ds []driver.Driver
}

// openFleet opens n drivers from o. One at a time: an Opener need not be
// safe for concurrent use, and opening costs no pool connection (the pools
// start empty and fill together in the window, or in a prewarm that warms
// them all at once).
func openFleet(ctx context.Context, o driver.Opener, n int) (driver.Driver, error) {
	if n <= 1 {
		return o.Open(ctx)
	}
	f := &fleet{}
	for k := range n {
		d, err := o.Open(ctx)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("opening instance %d of %d: %w", k+1, n, err)
		}
		f.ds = append(f.ds, d)
	}
	return f, nil
}

// each runs fn on every instance at once and joins the errors.
func (f *fleet) each(fn func(k int, d driver.Driver) error) error {
	errs := make([]error, len(f.ds))
	var wg sync.WaitGroup
	for k := range f.ds {
		wg.Go(func() { errs[k] = fn(k, f.ds[k]) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (f *fleet) Iterate(ctx context.Context, t *driver.Trace) {
	f.ds[t.Iter%uint64(len(f.ds))].Iterate(ctx, t)
}

func (f *fleet) Close() error {
	var errs []error
	for _, d := range f.ds {
		if d != nil {
			errs = append(errs, d.Close())
		}
	}
	return errors.Join(errs...)
}

// Prewarm warms every instance's pool with n connections, all at once.
func (f *fleet) Prewarm(ctx context.Context, n int) (int, error) {
	got := make([]int, len(f.ds))
	err := f.each(func(k int, d driver.Driver) error {
		p, ok := d.(driver.Prewarmer)
		if !ok {
			return errors.New("this driver has no pool to prewarm")
		}
		var err error
		got[k], err = p.Prewarm(ctx, n)
		return err
	})
	sum := 0
	for _, g := range got {
		sum += g
	}
	return sum, err
}

// Settle waits until every instance's target has settled.
func (f *fleet) Settle(ctx context.Context) error {
	return f.each(func(_ int, d driver.Driver) error {
		if s, ok := d.(driver.Settler); ok {
			return s.Settle(ctx)
		}
		return nil
	})
}

// Describe is the first instance's facts, and how many there are.
func (f *fleet) Describe(ctx context.Context) map[string]string {
	out := map[string]string{}
	if d, ok := f.ds[0].(driver.Describer); ok {
		out = maps.Clone(d.Describe(ctx))
	}
	out["instances"] = strconv.Itoa(len(f.ds))
	return out
}

// GaugeNames are the instances' gauges, then each one's own.
func (f *fleet) GaugeNames() []string {
	s, ok := f.ds[0].(driver.Sampler)
	if !ok {
		return nil
	}
	return fleetGaugeNames(s.GaugeNames(), len(f.ds))
}

// Sample reads every instance at once and combines the readings: a pool's
// own gauges add up, the server's are read once.
func (f *fleet) Sample(ctx context.Context, dst []float64) {
	s0, ok := f.ds[0].(driver.Sampler)
	if !ok {
		return
	}
	names := s0.GaugeNames()
	got := make([][]float64, len(f.ds))
	f.each(func(k int, d driver.Driver) error {
		got[k] = make([]float64, len(names))
		for i := range got[k] {
			got[k][i] = math.NaN()
		}
		if s, ok := d.(driver.Sampler); ok {
			s.Sample(ctx, got[k])
		}
		return nil
	})
	for i, name := range names {
		acc := math.NaN()
		for k := range f.ds {
			acc = record.Combine(name, acc, got[k][i], k == 0)
		}
		dst[i] = acc
	}
	if len(f.ds) > MaxInstanceColumns {
		return
	}
	j := len(names)
	for k := range f.ds {
		for i, name := range names {
			if !record.Shared(name) && j < len(dst) {
				dst[j] = got[k][i]
				j++
			}
		}
	}
}
