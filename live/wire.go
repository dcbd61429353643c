package live

import (
	"math"
	"slices"
	"strconv"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"google.golang.org/protobuf/encoding/protowire"
)

// Remote write 1.0 (prometheus.WriteRequest) is encoded here by hand: its
// four messages take a few lines, and the only Go package that declares
// them is Prometheus's server module. The field numbers are the
// protocol's:
//
//	WriteRequest { repeated TimeSeries timeseries = 1; }
//	TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; }
//	Label        { string name = 1; string value = 2; }
//	Sample       { double value = 1; int64 timestamp = 2; }  // ms since the epoch

// series is one sample of one time series.
type series struct {
	labels [][2]string // sorted by name, __name__ among them
	value  float64
}

// seriesOf flattens gathered families into remote-write series: a
// summary becomes its quantiles, _sum and _count, as in the text format.
// extra labels (the job) are added to every series.
func seriesOf(mfs []*dto.MetricFamily, extra [][2]string) []series {
	var out []series
	for _, mf := range mfs {
		name := mf.GetName()
		for _, m := range mf.GetMetric() {
			base := make([][2]string, 0, len(m.GetLabel())+len(extra)+2)
			for _, lp := range m.GetLabel() {
				base = append(base, [2]string{lp.GetName(), lp.GetValue()})
			}
			base = append(base, extra...)
			add := func(n string, v float64, more ...[2]string) {
				ls := append(slices.Clone(base), [2]string{"__name__", n})
				ls = append(ls, more...)
				slices.SortFunc(ls, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
				out = append(out, series{labels: ls, value: v})
			}
			switch mf.GetType() {
			case dto.MetricType_COUNTER:
				add(name, m.GetCounter().GetValue())
			case dto.MetricType_GAUGE:
				add(name, m.GetGauge().GetValue())
			case dto.MetricType_SUMMARY:
				s := m.GetSummary()
				for _, q := range s.GetQuantile() {
					add(name, q.GetValue(), [2]string{"quantile", strconv.FormatFloat(q.GetQuantile(), 'g', -1, 64)})
				}
				add(name+"_sum", s.GetSampleSum())
				add(name+"_count", float64(s.GetSampleCount()))
			case dto.MetricType_UNTYPED:
				add(name, m.GetUntyped().GetValue())
			}
		}
	}
	return out
}

// encodeWriteRequest encodes series, all at time ms, as a WriteRequest.
func encodeWriteRequest(ss []series, ms int64) []byte {
	var req, ts, msg []byte
	for _, s := range ss {
		ts = ts[:0]
		for _, l := range s.labels {
			msg = protowire.AppendTag(msg[:0], 1, protowire.BytesType)
			msg = protowire.AppendString(msg, l[0])
			msg = protowire.AppendTag(msg, 2, protowire.BytesType)
			msg = protowire.AppendString(msg, l[1])
			ts = protowire.AppendTag(ts, 1, protowire.BytesType)
			ts = protowire.AppendBytes(ts, msg)
		}
		msg = protowire.AppendTag(msg[:0], 1, protowire.Fixed64Type)
		msg = protowire.AppendFixed64(msg, math.Float64bits(s.value))
		msg = protowire.AppendTag(msg, 2, protowire.VarintType)
		msg = protowire.AppendVarint(msg, uint64(ms))
		ts = protowire.AppendTag(ts, 2, protowire.BytesType)
		ts = protowire.AppendBytes(ts, msg)
		req = protowire.AppendTag(req, 1, protowire.BytesType)
		req = protowire.AppendBytes(req, ts)
	}
	return req
}

// encoded is a message already encoded, in the shape the remote-write
// client marshals (gogo's Size and MarshalToSizedBuffer).
type encoded []byte

func (e encoded) Size() int                                  { return len(e) }
func (e encoded) MarshalToSizedBuffer(b []byte) (int, error) { return copy(b, e), nil }
