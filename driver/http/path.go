package http

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/poolload/poolload/driver"
)

// The MySQL workload's generators live unexported in driver/mysql; until
// they move to a shared package, paths support the integer ones that make
// sense in a URL, parsed here in a few lines rather than copied.

// part is one piece of a path: a literal, or a generator when kind != 0.
type part struct {
	lit      string
	kind     byte // 0 literal, 'r' rand_int, 's' seq, 'v' vu, 'i' iter
	lo, span int64
}

// seqCounter backs seq(): process-wide so ids never repeat across variants.
var seqCounter atomic.Int64

// parsePath splits a path such as /items/{rand_int(1,1000)} into parts.
// Supported generators: rand_int(a,b), seq(), vu(), iter().
func parsePath(p string) ([]part, error) {
	var parts []part
	for p != "" {
		open := strings.IndexByte(p, '{')
		if open < 0 {
			return append(parts, part{lit: p}), nil
		}
		if open > 0 {
			parts = append(parts, part{lit: p[:open]})
		}
		end := strings.IndexByte(p[open:], '}')
		if end < 0 {
			return nil, fmt.Errorf("has { with no closing }")
		}
		g, err := parseGen(strings.TrimSpace(p[open+1 : open+end]))
		if err != nil {
			return nil, err
		}
		parts = append(parts, g)
		p = p[open+end+1:]
	}
	return parts, nil
}

func parseGen(s string) (part, error) {
	switch s {
	case "seq()":
		return part{kind: 's'}, nil
	case "vu()":
		return part{kind: 'v'}, nil
	case "iter()":
		return part{kind: 'i'}, nil
	}
	if in, ok := strings.CutPrefix(s, "rand_int("); ok && strings.HasSuffix(in, ")") {
		a, b, _ := strings.Cut(strings.TrimSuffix(in, ")"), ",")
		lo, err1 := strconv.ParseInt(strings.TrimSpace(a), 10, 64)
		hi, err2 := strconv.ParseInt(strings.TrimSpace(b), 10, 64)
		if err1 != nil || err2 != nil || hi < lo {
			return part{}, fmt.Errorf("{%s}: rand_int needs two integers a <= b", s)
		}
		return part{kind: 'r', lo: lo, span: hi - lo + 1}, nil
	}
	return part{}, fmt.Errorf("{%s} is not a generator: use rand_int(a,b), seq(), vu() or iter()", s)
}

// appendPath appends the path for one iteration to buf.
func appendPath(buf []byte, parts []part, t *driver.Trace) []byte {
	for i := range parts {
		p := &parts[i]
		switch p.kind {
		case 0:
			buf = append(buf, p.lit...)
		case 'r':
			buf = strconv.AppendInt(buf, p.lo+rand.Int64N(p.span), 10)
		case 's':
			buf = strconv.AppendInt(buf, seqCounter.Add(1), 10)
		case 'v':
			buf = strconv.AppendUint(buf, uint64(t.VU), 10)
		case 'i':
			buf = strconv.AppendUint(buf, t.Iter, 10)
		}
	}
	return buf
}
