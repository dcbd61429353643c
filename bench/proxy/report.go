package main

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// report prints the pooled table of both paths and the per-block p99
// added (path B's p99 minus path A's in the same block), and returns the
// median over blocks.
func report(names [2]string, ps [2]*path) time.Duration {
	a, b := slices.Concat(ps[0].blocks...), slices.Concat(ps[1].blocks...)
	qa, qb := quantiles(a), quantiles(b)
	fmt.Printf("%-10s %9s %7s %10s %10s %10s %10s\n", "path", "requests", "lost", "p50", "p99", "p99.9", "max")
	row := func(k, n int, q [4]time.Duration) {
		fmt.Printf("%-10s %9v %7v %10v %10v %10v %10v\n", names[k], n, ps[k].lost(), q[0], q[1], q[2], q[3])
	}
	row(0, len(a), qa)
	row(1, len(b), qb)
	fmt.Printf("%-10s %9s %7s %10v %10v %10v %10v\n", "added", "", "", qb[0]-qa[0], qb[1]-qa[1], qb[2]-qa[2], qb[3]-qa[3])

	var diffs []time.Duration
	for blk := range ps[0].blocks {
		if len(ps[0].blocks[blk]) > 0 && len(ps[1].blocks[blk]) > 0 {
			diffs = append(diffs, quantiles(ps[1].blocks[blk])[1]-quantiles(ps[0].blocks[blk])[1])
		}
	}
	if len(diffs) == 0 {
		fmt.Println("p99 added per block: no block has round trips on both paths")
		return math.MaxInt64 // nothing measured is not within the budget
	}
	slices.Sort(diffs)
	med := diffs[len(diffs)/2]
	fmt.Printf("p99 added per %v block (%d blocks): min %v, median %v, max %v\n",
		block, len(diffs), diffs[0], med, diffs[len(diffs)-1])
	return med
}

// quantiles returns p50, p99, p99.9 and max of d, sorting it.
func quantiles(d []time.Duration) [4]time.Duration {
	if len(d) == 0 {
		return [4]time.Duration{}
	}
	slices.Sort(d)
	q := func(f float64) time.Duration { return d[min(int(f*float64(len(d))), len(d)-1)] }
	return [4]time.Duration{q(0.50), q(0.99), q(0.999), d[len(d)-1]}
}
