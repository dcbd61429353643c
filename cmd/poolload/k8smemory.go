package main

import (
	"strconv"

	"github.com/poolload/poolload/collector"
	"github.com/poolload/poolload/runner"
	"github.com/poolload/poolload/scenario"
)

// A pod reads a record back whole for its summary and plots (a segment
// its own, the merge pod the merged one). record.Open decodes every
// interval's histogram of every metric, and a decoded histogram is
// allocated at full size whatever it holds (about 270 KB at poolload's
// range and precision), though only the pages of the buckets its values
// reached become resident: about 90 KB a histogram, as bench/merge
// measured reading 16 segments of 300 one-second intervals whole. The pods
// request that, and are limited to the allocation, which they cannot
// exceed. Merging itself keeps the segments' histograms encoded (about
// 1 KB each, histEncoded) and decodes one interval's at a time.
const (
	histResident = 100 << 10
	histEncoded  = 1 << 10
	podBase      = 256 << 20 // the process, its VUs, plots
)

// k8sMemory is a pod's memory request and limit, as quantities.
type k8sMemory struct {
	request, limit int64
	given          string // --memory or --merge-memory: both
}

func (m k8sMemory) quantities() (request, limit string) {
	if m.given != "" {
		return m.given, m.given
	}
	return mebibytes(m.request), mebibytes(m.limit)
}

// podMemory is the memory of a pod that reads back a record holding hists
// histograms, or given if set.
func podMemory(given string, hists int64) k8sMemory {
	return k8sMemory{given: given, request: hists*histResident + podBase,
		limit: hists*int64(collector.NewHistogram().ByteSize()) + podBase}
}

// mergeMemory is the merge pod's: n segments' histograms kept encoded and
// one interval's decoded while merging, then the merged record read back.
func mergeMemory(given string, n int, hists int64) k8sMemory {
	m := podMemory(given, hists+2*int64(collector.NumMetrics))
	m.request += int64(n) * hists * histEncoded
	m.limit += int64(n) * hists * histEncoded
	return m
}

// recordHists bounds the histograms of one segment's record: every
// interval of every window, every metric.
func recordHists(s *scenario.Scenario) int64 {
	l, every := &s.Load, s.Output.Interval.D()
	perWindow := int64((runner.ScheduleOf(l).Duration()+l.GracefulStop.D())/every) + 2
	return int64(len(runner.Plan(s))) * perWindow * int64(collector.NumMetrics)
}

// mebibytes is bytes as a quantity in whole MiB, rounded up.
func mebibytes(bytes int64) string { return strconv.FormatInt((bytes+1<<20-1)>>20, 10) + "Mi" }
