package analysis

import (
	"math"

	"github.com/poolload/poolload/record"
)

// connsSource is one column that counts the connections a pool opened per
// interval, and how to name it in evidence.
type connsSource struct {
	col  string
	what string
}

// connsSources are where "connections opened" can come from, best first:
// poolload's own pool counts exactly its connections; a service's pool
// gauges count the service's; the server's new connections of the
// service's user (the database block's user:) count the service's as the
// server saw them; the server's Connections counter counts every
// connection the server accepted, the service's and any other client's.
var connsSources = []connsSource{
	{record.ConnsOpened, "poolload's pool"},
	{record.SvcPoolOpened, "the service's pool gauges"},
	{record.DBUserConnsOpened, "the server's new connections of the service's user"},
	{record.DBConnections, "the server's Connections counter"},
}

// connsOf picks the best source of connections opened that rows carry; ok
// is false when none does.
func connsOf(rows []record.Row) (connsSource, bool) {
	for _, s := range connsSources {
		for _, r := range rows {
			if v, ok := r.Values[s.col]; ok && !math.IsNaN(v) {
				return s, true
			}
		}
	}
	return connsSource{}, false
}

// opened is the connections a row's pool opened, from source s (NaN when
// the row has no sample).
func (s connsSource) opened(r record.Row) float64 { return val(r, s.col) }
