package main

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// poolStats is the pool's state as poolload's pool_metrics sampler reads it.
type poolStats struct {
	InUse          int     `json:"in_use"`
	Idle           int     `json:"idle"`
	Open           int     `json:"open"`
	WaitCount      int64   `json:"wait_count"`
	WaitDurationMS float64 `json:"wait_duration_ms"`
	MaxOpen        int     `json:"max_open"`
}

func (a *app) stats() poolStats {
	s := a.db.Stats()
	return poolStats{
		InUse: s.InUse, Idle: s.Idle, Open: s.OpenConnections,
		WaitCount: s.WaitCount, WaitDurationMS: float64(s.WaitDuration.Microseconds()) / 1000,
		MaxOpen: s.MaxOpenConnections,
	}
}

func (a *app) poolJSON(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(a.stats())
}

// metrics writes the same gauges in the Prometheus text format.
func (a *app) metrics(w http.ResponseWriter, _ *http.Request) {
	s := a.stats()
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	for _, m := range []struct {
		name, help, typ string
		v               float64
	}{
		{"pooldemo_pool_in_use", "Connections in use.", "gauge", float64(s.InUse)},
		{"pooldemo_pool_idle", "Idle connections.", "gauge", float64(s.Idle)},
		{"pooldemo_pool_open", "Open connections.", "gauge", float64(s.Open)},
		{"pooldemo_pool_max_open", "Pool size.", "gauge", float64(s.MaxOpen)},
		{"pooldemo_pool_wait_count_total", "Acquires that had to wait.", "counter", float64(s.WaitCount)},
		{"pooldemo_pool_wait_seconds_total", "Time spent waiting for a connection.", "counter", s.WaitDurationMS / 1000},
	} {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n%s %g\n", m.name, m.help, m.name, m.typ, m.name, m.v)
	}
}
