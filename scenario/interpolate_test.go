package scenario

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

func TestInterpolate(t *testing.T) {
	env := envOf(map[string]string{"RATE": "250", "EMPTY": "", "DSN": "u:p@tcp(db:3306)/x", "NL": "a\nb"})
	cases := []struct {
		name, in, want string
		problems       []string // "line:col msg"
	}{
		{name: "no reference", in: "rate: 5\n", want: "rate: 5\n"},
		{name: "set variable", in: "rate: ${RATE}\n", want: "rate: 250\n"},
		{name: "inside text", in: `dsn: "${DSN}?tls=1"`, want: `dsn: "u:p@tcp(db:3306)/x?tls=1"`},
		{name: "default when unset", in: "rate: ${NOPE:-10}\n", want: "rate: 10\n"},
		{name: "default when empty", in: "rate: ${EMPTY:-10}\n", want: "rate: 10\n"},
		{name: "set beats default", in: "rate: ${RATE:-10}\n", want: "rate: 250\n"},
		{name: "empty default", in: "x: '${NOPE:-}'\n", want: "x: ''\n"},
		{name: "default with odd characters", in: "x: ${NOPE:-a:b/c?d=1}\n", want: "x: a:b/c?d=1\n"},
		{name: "set but empty", in: "x: '${EMPTY}'\n", want: "x: ''\n"},
		{name: "escaped", in: "x: $${RATE}\n", want: "x: ${RATE}\n"},
		{name: "lone dollars stay", in: "x: $5 $$ $RATE\n", want: "x: $5 $$ $RATE\n"},
		{name: "several on a line", in: "x: ${RATE}-${NOPE:-d}-${RATE}\n", want: "x: 250-d-250\n"},
		{name: "comment line untouched", in: "# uses ${POOLLOAD_DSN}\nrate: ${RATE}\n", want: "# uses ${POOLLOAD_DSN}\nrate: 250\n"},
		{name: "trailing comment untouched", in: "rate: ${RATE} # not ${NOPE}\n", want: "rate: 250 # not ${NOPE}\n"},
		{name: "hash in quotes is not a comment", in: `x: "a #${RATE}" # ${NOPE}`, want: `x: "a #250" # ${NOPE}`},
		{name: "apostrophe is not a quote", in: "d: it's ${RATE} # ${NOPE}\n", want: "d: it's 250 # ${NOPE}\n"},
		{name: "hash inside a word", in: "u: a#${RATE}\n", want: "u: a#250\n"},
		{name: "CRLF kept", in: "a: ${RATE}\r\nb: 1\r\n", want: "a: 250\r\nb: 1\r\n"},
		{
			name: "unset", in: "a: 1\nrate: ${NOPE}\n", want: "a: 1\nrate: _______\n",
			problems: []string{"2:7 environment variable NOPE is not set (write ${NOPE:-default} to give a default)"},
		},
		{
			name: "every problem collected", in: "a: ${X} ${Y}\nb: ${Z}\n", want: "a: ____ ____\nb: ____\n",
			problems: []string{
				"1:4 environment variable X is not set (write ${X:-default} to give a default)",
				"1:9 environment variable Y is not set (write ${Y:-default} to give a default)",
				"2:4 environment variable Z is not set (write ${Z:-default} to give a default)",
			},
		},
		{
			name: "columns count runes", in: "d: \"héhé ${NOPE}\"\n", want: "d: \"héhé _______\"\n",
			problems: []string{"1:10 environment variable NOPE is not set (write ${NOPE:-default} to give a default)"},
		},
		{
			name: "line break in value", in: "x: ${NL}\n", want: "x: _____\n",
			problems: []string{"1:4 environment variable NL holds a line break: a value must fit on one line"},
		},
		{
			name: "unterminated", in: "x: ${RATE\ny: 1\n", want: "x: ______\ny: 1\n",
			problems: []string{"1:4 unterminated ${: write ${NAME} or ${NAME:-default} (or $${ for a literal ${)"},
		},
		{
			name: "not a name", in: "x: ${A B} ${}\n", want: "x: ______ ___\n",
			problems: []string{
				`1:4 "${A B}" is not a variable reference: write ${NAME} or ${NAME:-default} (or $${ for a literal ${)`,
				`1:11 "${}" is not a variable reference: write ${NAME} or ${NAME:-default} (or $${ for a literal ${)`,
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, probs := interpolate([]byte(tc.in), env)
			if string(out) != tc.want {
				t.Errorf("got %q, want %q", out, tc.want)
			}
			var got []string
			for _, p := range probs {
				got = append(got, fmt.Sprintf("%d:%d %s", p.at.line, p.at.col, p.msg))
			}
			if strings.Join(got, "\n") != strings.Join(tc.problems, "\n") {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.problems, "\n"))
			}
			if bytes.Count(out, []byte("\n")) != strings.Count(tc.in, "\n") {
				t.Errorf("line count changed: %q", out)
			}
		})
	}
}

func TestParseInterpolatesNumbers(t *testing.T) {
	doc := strings.Replace(validDoc, "rate: 10", "rate: ${RATE:-10}", 1)
	for _, tc := range []struct {
		env  map[string]string
		want float64
	}{{nil, 10}, {map[string]string{"RATE": "1e3"}, 1000}} {
		s, err := Parse("x.yaml", []byte(doc), envOf(tc.env))
		if err != nil {
			t.Fatal(err)
		}
		if s.Load.Rate != tc.want {
			t.Errorf("env %v: rate %v, want %v", tc.env, s.Load.Rate, tc.want)
		}
	}
}
