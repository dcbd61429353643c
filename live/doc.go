// Package live exposes a run while it lasts, for the Prometheus and
// Grafana people already watch: the counters, gauges and per-interval
// quantiles of every variant and repetition, in the Prometheus text format
// on an HTTP address (Exporter.Serve) and pushed by remote write
// (Pusher).
//
// The exporter is fed once per interval with what the interval tick has
// already collected (the runner's Progress callback): the VUs' hot path
// neither allocates nor takes a lock for it. Scrapes read a copy kept
// under a mutex that only the interval goroutine and the scrapes take.
//
// Names follow Prometheus's conventions: a poolload_ prefix, base units
// (seconds, ratios), _total on counters. The record's columns
// (record.Columns) give the names, units and help of the sampled gauges,
// so a gauge added to the record is exported without a change here.
package live
