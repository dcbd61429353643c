package mysqlserver

import (
	"errors"
	"math"
	"testing"
)

// Counters become per-interval deltas; a counter that fell (the server
// restarted and counts again from zero) makes every counter of that
// interval unknown, never negative, and the next interval counts from the
// new values.
func TestFillGaugesAcrossARestart(t *testing.T) {
	var prev Status
	var prevOK bool
	dst := make([]float64, numServerVars)
	read := func(questions, connected float64, err error) (float64, float64) {
		var cur Status
		cur[srvQuestions], cur[ThreadsConnected] = questions, connected
		cur[srvConnections] = questions / 10
		FillGauges(dst, cur, err, &prev, &prevOK)
		return dst[srvQuestions], dst[ThreadsConnected]
	}
	nan := math.NaN()
	for _, step := range []struct {
		questions, connected float64
		err                  error
		wantQ, wantC         float64
	}{
		{1000, 5, nil, nan, 5},               // no previous reading
		{1600, 6, nil, 600, 6},               // a delta
		{0, 0, errors.New("down"), nan, nan}, // the server is down: unknown
		{40, 2, nil, nan, 2},                 // restarted: Questions fell from 1600 to 40
		{100, 3, nil, 60, 3},                 // counts from the new values
	} {
		q, c := read(step.questions, step.connected, step.err)
		// Connections, another counter, is unknown exactly when Questions is.
		if !same(q, step.wantQ) || !same(c, step.wantC) || math.IsNaN(dst[srvConnections]) != math.IsNaN(step.wantQ) {
			t.Errorf("questions %v, connected %v (err %v): deltas %v, level %v, connections %v; want %v, %v",
				step.questions, step.connected, step.err, q, c, dst[srvConnections], step.wantQ, step.wantC)
		}
		if q < 0 {
			t.Errorf("a negative delta %v", q)
		}
	}
}

// A restart that no counter shows (the server counted past the old values
// before the next good reading) is told by an Uptime that went down: that
// interval's counters are unknown too, never a delta across the restart.
func TestFillGaugesUptimeWentDown(t *testing.T) {
	var prev Status
	var prevOK bool
	dst := make([]float64, numServerVars)
	nan := math.NaN()
	for _, step := range []struct {
		questions, uptime float64
		err               error
		want              float64
	}{
		{1000, 100, nil, nan},           // no previous reading
		{1600, 110, nil, 600},           // a delta
		{0, 0, errors.New("down"), nan}, // the server is down
		{2000, 5, nil, nan},             // restarted and counted past 1600: Uptime fell
		{2100, 15, nil, 100},            // counts from the new values
		{2100, 15, nil, 0},              // an Uptime that did not move is no restart
		{2500, 3600, nil, 400},          // nor one that went up
		{2600, 2, nil, nan},             // restarted again, Questions still up
		{2700, 12, nil, 100},            // counts from there
	} {
		var cur Status
		cur[srvQuestions], cur[srvConnections], cur[srvUptime] = step.questions, step.questions/10, step.uptime
		FillGauges(dst, cur, step.err, &prev, &prevOK)
		q := dst[srvQuestions]
		if !same(q, step.want) || math.IsNaN(dst[srvConnections]) != math.IsNaN(step.want) {
			t.Errorf("questions %v, uptime %v (err %v): delta %v, connections %v; want %v",
				step.questions, step.uptime, step.err, q, dst[srvConnections], step.want)
		}
	}
}

func same(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) }
