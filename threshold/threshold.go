// Package threshold parses k6-style thresholds ("p(99) < 50ms" on
// "warm.latency") and says whether a measured value passes one. Measuring
// the value from a record is the analysis's job.
package threshold

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"

	"github.com/poolload/poolload/collector"
)

// Counters a threshold can name besides the timing metrics of collector.
const (
	CounterIterations = "iterations"
	CounterDropped    = "dropped_iterations"
	CounterErrors     = "errors"
	CounterIntr       = "interrupted"
)

var thresholdCounters = []string{CounterIterations, CounterDropped, CounterErrors, CounterIntr}

// Threshold is one parsed k6-style threshold: "<aggregation> <op> <value>"
// on a metric, over one variant or all of them together.
//
// Timing metrics (latency, service, schedule_lag, blocked, connecting, dns,
// dial, handshake, wait, receiving) take avg, min, max, med or p(N), and a
// value with a unit (ns, us or µs, ms, s, m; a bare number is milliseconds,
// as in k6). Counters (iterations, dropped_iterations, errors, interrupted)
// take count or rate and a plain number; a rate is:
//
//	dropped_iterations  dropped / (iterations + interrupted + dropped)   share of scheduled starts that were dropped
//	errors              errors / iterations                               share of finished iterations that failed
//	interrupted         interrupted / (iterations + interrupted)         share of started iterations cut off
//	iterations          (iterations + interrupted) / scheduled seconds    achieved rate: starts per second of schedule, without the drain
type Threshold struct {
	Key        string  `json:"key"`
	Expr       string  `json:"expression"`
	Variant    string  `json:"variant,omitempty"` // "" means all variants merged
	Metric     string  `json:"metric"`
	Agg        string  `json:"aggregation"` // avg, min, max, med, p, count, rate
	Percentile float64 `json:"percentile,omitempty"`
	Op         string  `json:"op"`
	Value      float64 `json:"value"` // nanoseconds for a timing metric, else a plain number
}

// Error is a threshold that does not parse. Key says whether the
// mistake is in the key (metric or variant) rather than in the expression,
// so that a validator can point at the right place.
type Error struct {
	Key bool
	Msg string
}

func (e *Error) Error() string { return e.Msg }

func keyErr(format string, a ...any) error {
	return &Error{Key: true, Msg: fmt.Sprintf(format, a...)}
}
func exprErr(format string, a ...any) error { return &Error{Msg: fmt.Sprintf(format, a...)} }

// Timing reports whether t is on a timing metric rather than a counter.
func (t *Threshold) Timing() bool {
	_, ok := collector.MetricByName(t.Metric)
	return ok
}

// AggLabel is the aggregation as written: p(99), avg, count…
func (t *Threshold) AggLabel() string {
	if t.Agg == "p" {
		return "p(" + strconv.FormatFloat(t.Percentile, 'f', -1, 64) + ")"
	}
	return t.Agg
}

// Parse parses key ("latency", "warm.blocked") and one of its
// expressions ("p(99) < 50ms"). Its errors are *Error, each a
// whole sentence that needs no other context.
func Parse(key, expr string) (Threshold, error) {
	t := Threshold{Key: key, Expr: expr}
	if err := t.parseKey(strings.TrimSpace(key)); err != nil {
		return t, err
	}
	rest, err := t.parseAgg(strings.TrimSpace(expr))
	if err != nil {
		return t, err
	}
	rest, err = t.parseOp(rest)
	if err != nil {
		return t, err
	}
	return t, t.parseValue(rest)
}

func (t *Threshold) parseKey(key string) error {
	t.Metric = key
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		t.Variant, t.Metric = key[:i], key[i+1:]
		if t.Variant == "" {
			return keyErr("empty variant name before the dot in %q (write variant.metric, e.g. warm.latency)", key)
		}
	}
	if t.Metric == "" {
		return keyErr("no metric in %q (write a metric such as latency, or variant.metric)", key)
	}
	if _, ok := collector.MetricByName(t.Metric); ok {
		return nil
	}
	for _, c := range thresholdCounters {
		if c == t.Metric {
			return nil
		}
	}
	names := make([]string, 0, int(collector.NumMetrics)+len(thresholdCounters))
	for m := range collector.NumMetrics {
		names = append(names, m.String())
	}
	return keyErr("unknown metric %q (one of %s)", t.Metric, strings.Join(append(names, thresholdCounters...), ", "))
}

// parseAgg reads the aggregation and returns what follows it.
func (t *Threshold) parseAgg(s string) (string, error) {
	if s == "" {
		return "", exprErr("empty expression (write e.g. %s)", t.example())
	}
	end := strings.IndexFunc(s, func(r rune) bool { return !isWordRune(r) })
	if end < 0 {
		end = len(s)
	}
	word, rest := s[:end], s[end:]
	if word == "" {
		return "", exprErr("missing aggregation before %q (write e.g. %s)", s, t.example())
	}
	if word == "p" && strings.HasPrefix(rest, "(") {
		return t.parsePercentile(rest)
	}
	if len(word) > 1 && word[0] == 'p' && strings.Trim(word[1:], "0123456789.") == "" {
		return "", exprErr("unknown aggregation %q (write p(%s))", word, word[1:])
	}
	switch word {
	case "avg", "min", "max", "med", "count", "rate":
		t.Agg = word
	default:
		return "", exprErr("unknown aggregation %q (one of %s)", word, t.aggList())
	}
	return rest, t.checkAggKind()
}

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '_'
}

func (t *Threshold) parsePercentile(rest string) (string, error) {
	end := strings.IndexByte(rest, ')')
	if end < 0 {
		return "", exprErr("unclosed %q (write p(99))", "p"+rest)
	}
	inner := strings.TrimSpace(rest[1:end])
	p, err := strconv.ParseFloat(inner, 64)
	switch {
	case err != nil:
		return "", exprErr("percentile %q is not a number (write p(99))", inner)
	case math.IsNaN(p):
		return "", exprErr("percentile %s is not a number (write p(99))", inner)
	case p < 0 || p > 100:
		return "", exprErr("percentile %s is outside 0–100", inner)
	}
	t.Agg, t.Percentile = "p", p
	return rest[end+1:], t.checkAggKind()
}

func (t *Threshold) checkAggKind() error {
	counter := t.Agg == "count" || t.Agg == "rate"
	if t.Timing() && counter {
		return exprErr("aggregation %q does not apply to %s, a timing (use avg, min, max, med or p(N))", t.Agg, t.Metric)
	}
	if !t.Timing() && !counter {
		return exprErr("aggregation %q does not apply to %s, a counter (use count or rate)", t.AggLabel(), t.Metric)
	}
	return nil
}

func (t *Threshold) aggList() string {
	if t.Timing() {
		return "avg, min, max, med, p(N)"
	}
	return "count, rate"
}

func (t *Threshold) example() string {
	if t.Timing() {
		return "p(99) < 50ms"
	}
	return "count == 0"
}

var thresholdOps = []string{"<=", ">=", "==", "!=", "<", ">"}

func (t *Threshold) parseOp(s string) (string, error) {
	s = strings.TrimSpace(s)
	end := strings.IndexFunc(s, func(r rune) bool { return !strings.ContainsRune("<>=!", r) })
	if end < 0 {
		end = len(s)
	}
	op := s[:end]
	if op == "" {
		return "", exprErr("missing operator after %q (one of <, <=, >, >=, ==, !=)", t.AggLabel())
	}
	for _, o := range thresholdOps {
		if o == op {
			t.Op = op
			return s[end:], nil
		}
	}
	return "", exprErr("unknown operator %q (one of <, <=, >, >=, ==, !=)", op)
}

// unitNs are the duration units of a timing threshold, in nanoseconds.
var unitNs = map[string]float64{"ns": 1, "us": 1e3, "µs": 1e3, "μs": 1e3, "ms": 1e6, "s": 1e9, "m": 60e9}

func (t *Threshold) parseValue(s string) error {
	s = strings.TrimSpace(s)
	if s == "" {
		return exprErr("missing value after %q", t.Op)
	}
	numEnd := numberPrefix(s)
	if numEnd == 0 {
		return exprErr("value %q is not a number (write e.g. %s)", s, t.example())
	}
	v, err := strconv.ParseFloat(s[:numEnd], 64)
	if err != nil {
		return exprErr("value %q is not a number (write e.g. %s)", s, t.example())
	}
	rest := strings.TrimSpace(s[numEnd:])
	unitEnd := strings.IndexFunc(rest, func(r rune) bool { return !unicode.IsLetter(r) })
	if unitEnd < 0 {
		unitEnd = len(rest)
	}
	unit, tail := rest[:unitEnd], strings.TrimSpace(rest[unitEnd:])
	if tail != "" {
		return exprErr("unexpected %q after the value %q", tail, strings.TrimSpace(s[:len(s)-len(tail)]))
	}
	if !t.Timing() {
		if unit != "" {
			return exprErr("%s of %s takes a plain number, not %q", t.Agg, t.Metric, s)
		}
		t.Value = v
		return nil
	}
	if unit == "" {
		unit = "ms" // k6's unit for trends
	}
	scale, ok := unitNs[unit]
	if !ok {
		return exprErr("unknown unit %q in %q (one of ns, us, µs, ms, s, m)", unit, s)
	}
	t.Value = v * scale
	return nil
}

// numberPrefix returns the length of the decimal number at the start of s
// (sign, digits, one dot, exponent), 0 if there is none.
func numberPrefix(s string) int {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits, dot := 0, false
	for ; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			digits++
		} else if s[i] == '.' && !dot {
			dot = true
		} else {
			break
		}
	}
	if digits == 0 {
		return 0
	}
	if i+1 < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if s[j] == '+' || s[j] == '-' {
			j++
		}
		k := j
		for k < len(s) && s[k] >= '0' && s[k] <= '9' {
			k++
		}
		if k > j {
			return k
		}
	}
	return i
}

// Holds reports whether measured satisfies the threshold.
func (t *Threshold) Holds(measured float64) bool {
	switch t.Op {
	case "<":
		return measured < t.Value
	case "<=":
		return measured <= t.Value
	case ">":
		return measured > t.Value
	case ">=":
		return measured >= t.Value
	case "==":
		return measured == t.Value
	case "!=":
		return measured != t.Value
	}
	return false
}
