// Package record is the run record on disk (results/<run-id>/): run.json,
// metrics.hlog and timeseries.csv. It declares every column of the time
// series once (columns.go), writes a record while a run streams its
// intervals (Writer) and reads one back for the commands that never touch
// the target again (Open, with the resolved scenario decoded once as a
// Plan). The format is versioned (FormatVersion); collector is the hot
// path that fills the intervals.
package record
