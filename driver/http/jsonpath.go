package http

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// A dotted path picks one value out of a decoded JSON document:
// data.access_token, or pools.0.in_use for an array element. It is what
// auth.token_json and the JSON pool_metrics fields are written in.

// checkJSONPath reports a path with an empty segment.
func checkJSONPath(path string) error {
	if path == "" {
		return fmt.Errorf("is empty")
	}
	for seg := range strings.SplitSeq(path, ".") {
		if seg == "" {
			return fmt.Errorf("%q has an empty segment: write a.b.c", path)
		}
	}
	return nil
}

// lookupJSON follows path into v. Its error names the segment that failed
// and what was there instead, never a value: the document may hold secrets.
func lookupJSON(v any, path string) (any, error) {
	done := ""
	for seg := range strings.SplitSeq(path, ".") {
		next, err := jsonStep(v, seg)
		if err != nil {
			where := "at the top level"
			if done != "" {
				where = "under " + strconv.Quote(done)
			}
			return nil, fmt.Errorf("no %q %s: %w", seg, where, err)
		}
		v = next
		done = strings.TrimPrefix(done+"."+seg, ".")
	}
	return v, nil
}

// jsonStep goes down one level: an object key, or an array index.
func jsonStep(v any, seg string) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		if next, ok := x[seg]; ok {
			return next, nil
		}
		keys := slices.Sorted(maps.Keys(x))
		if len(keys) > 10 {
			keys = append(keys[:10], "…")
		}
		return nil, fmt.Errorf("the object has keys [%s]", strings.Join(keys, ", "))
	case []any:
		i, err := strconv.Atoi(seg)
		if err != nil || i < 0 || i >= len(x) {
			return nil, fmt.Errorf("it is an array of %d, not indexed by %q", len(x), seg)
		}
		return x[i], nil
	}
	return nil, fmt.Errorf("it is %s, not an object", jsonKind(v))
}

// jsonKind names a decoded value's JSON type.
func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number, float64:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "an array"
	}
	return "an object"
}

// jsonFloat reads a gauge: a number, or a string holding one (some
// services quote their numbers).
func jsonFloat(v any) (float64, error) {
	switch x := v.(type) {
	case json.Number:
		return x.Float64()
	case float64:
		return x, nil
	case string:
		return strconv.ParseFloat(strings.TrimSpace(x), 64)
	}
	return 0, fmt.Errorf("it is %s, not a number", jsonKind(v))
}
