package analysis

import (
	"math"
	"testing"

	"github.com/poolload/poolload/record"
)

// connsOf takes the best source a record carries, in the order the README
// gives: poolload's pool, the service's gauges, the server's new
// connections of the service's user, the server's Connections counter. A
// column that is only ever unknown (NaN) is no source.
func TestConnsSourceOrder(t *testing.T) {
	all := []string{record.DBConnections, record.DBUserConnsOpened, record.SvcPoolOpened, record.ConnsOpened}
	for _, c := range []struct {
		name string
		cols []string // carried, with a value
		nan  []string // carried, never known
		want string
	}{
		{"every source", all, nil, record.ConnsOpened},
		{"a service, its gauges and its server", all[:3], nil, record.SvcPoolOpened},
		{"a service without gauges", all[:2], nil, record.DBUserConnsOpened},
		{"a service watched by the server's counter only", all[:1], nil, record.DBConnections},
		{"gauges never read", all[:3], []string{record.SvcPoolOpened}, record.DBUserConnsOpened},
		{"nothing", nil, nil, ""},
	} {
		rows := make([]record.Row, 3)
		for i := range rows {
			rows[i].Values = map[string]float64{}
			for _, col := range c.cols {
				rows[i].Values[col] = float64(i)
			}
			for _, col := range c.nan {
				rows[i].Values[col] = math.NaN()
			}
		}
		s, ok := connsOf(rows)
		if s.col != c.want || ok != (c.want != "") {
			t.Errorf("%s: source %q (ok %v), want %q", c.name, s.col, ok, c.want)
		}
	}
}
