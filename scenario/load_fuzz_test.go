package scenario

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds arbitrary text to Parse: it must never panic, and must
// return either a scenario or an *Errors whose every entry has a position.
func FuzzParse(f *testing.F) {
	seeds := []string{
		validDoc,
		validDoc + "  max_vu: 5\n",
		"name: [x\n",
		"rate: ${RATE} ${UNSET:-1} $${x} ${\n",
		"- a\n- b\n",
		"a: &x [*x]\n",
		"target: {driver: noop, noop: {delay: 5}}\nload: {executor: ramping-arrival-rate, stages: [{target: 1, duration: 1s}]}\n",
		"---\n---\nname: x\n",
		"load: !!str 5\nrepeat: 1e3\nvariants: [{<<: {name: a}}]\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	for _, name := range files {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	env := envOf(map[string]string{"RATE": "10", "EMPTY": ""})
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("fuzz.yaml", data, env)
		if (s == nil) == (err == nil) {
			t.Fatalf("got scenario %v and error %v: want exactly one", s, err)
		}
		if err == nil {
			return
		}
		var errs *Errors
		if !errors.As(err, &errs) || len(errs.List) == 0 {
			t.Fatalf("got %T %v, want a non-empty *Errors", err, err)
		}
		for _, e := range errs.List {
			if e.Line < 1 || e.Col < 1 || e.Msg == "" {
				t.Fatalf("error without a place or message: %+v", e)
			}
		}
	})
}
