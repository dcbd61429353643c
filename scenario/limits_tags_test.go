package scenario

import (
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/poolload/poolload/driver/mysql"
	"github.com/poolload/poolload/driver/postgres"
)

// numField is a whole or real number somewhere under a root value, with
// its path as Validate names it and its range tag.
type numField struct {
	path, bounds string
	whole        bool
	// at returns the field inside root, allocating what leads to it (a
	// pointer, a first list element).
	at func(root reflect.Value) reflect.Value
}

// numFields lists every number under t, through structs, pointers and
// lists. Scalars with their own text form (durations, sizes) are checked
// by their own tests.
func numFields(t reflect.Type, path, bounds string, at func(reflect.Value) reflect.Value) []numField {
	if t == targetType || t.Kind() != reflect.Struct && reflect.PointerTo(t).Implements(textYAMLType) {
		return nil // the target's blocks are checked driver by driver
	}
	switch t.Kind() {
	case reflect.Int, reflect.Float64:
		return []numField{{path, bounds, t.Kind() == reflect.Int, at}}
	case reflect.Pointer:
		return numFields(t.Elem(), path, bounds, func(root reflect.Value) reflect.Value {
			v := at(root)
			if v.IsNil() {
				v.Set(reflect.New(t.Elem()))
			}
			return v.Elem()
		})
	case reflect.Slice:
		return numFields(t.Elem(), path+"[0]", bounds, func(root reflect.Value) reflect.Value {
			v := at(root)
			if v.Len() == 0 {
				v.Set(reflect.MakeSlice(t, 1, 1))
			}
			return v.Index(0)
		})
	case reflect.Struct:
		var out []numField
		for _, f := range reflect.VisibleFields(t) {
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name == "-" || !f.IsExported() || len(f.Index) > 1 {
				continue
			}
			i := f.Index[0]
			out = append(out, numFields(f.Type, joinPath(path, name), f.Tag.Get("range"),
				func(root reflect.Value) reflect.Value { return at(root).Field(i) })...)
		}
		return out
	}
	return nil
}

// bound reads one end of a range tag: "100000" → 100000; "max_open" or
// "10000000 per second" → its leading number, if any.
func bound(s string) (float64, bool) {
	n, _, _ := strings.Cut(s, " ")
	v, err := strconv.ParseFloat(n, 64)
	return v, err == nil
}

// checkTags sets every number under root (built afresh by fresh for the
// field's path) to each
// end of its range tag and just beyond it, and asks errsAt whether the
// field's path then has a problem: the tag, which messages quote, and the
// validation must agree. A field with no tag is an error.
func checkTags(t *testing.T, fresh func(path string) reflect.Value, errsAt func(root reflect.Value, path string) bool) {
	t.Helper()
	for _, f := range numFields(fresh("").Elem().Type(), "", "", func(root reflect.Value) reflect.Value { return root.Elem() }) {
		lo, hi, ok := strings.Cut(f.bounds, "..")
		if !ok {
			t.Errorf("%s: no range tag (range:\"MIN..MAX\")", f.path)
			continue
		}
		try := func(x float64, wantErr bool) {
			root := fresh(f.path)
			v := f.at(root)
			if f.whole {
				v.SetInt(int64(x))
			} else {
				v.SetFloat(x)
			}
			if got := errsAt(root, f.path); got != wantErr {
				t.Errorf("%s = %v: problem %v, want %v (its range tag says %s)", f.path, x, got, wantErr, f.bounds)
			}
		}
		step := 1.0
		if !f.whole {
			step = 1e-6
		}
		if v, ok := bound(hi); ok {
			try(v, false)
			try(v+step*max(1, v*1e-9), true)
		}
		// A real's lower end may be open (a rate above 0): only a whole
		// number's is checked.
		if v, ok := bound(lo); ok && f.whole {
			try(v, false)
			try(v-1, true)
		}
	}
}

// Every number in a scenario and in each driver's block has a range tag,
// and each tag is the range Validate enforces.
func TestRangeTagsMatchValidation(t *testing.T) {
	t.Run("scenario", func(t *testing.T) {
		fresh := func(path string) reflect.Value {
			s := validScenario()
			if strings.HasPrefix(path, "load.st") {
				ramping(s) // start_rate and stages[]: a ramp's
			}
			s.Target = NewTarget(mysql.Name, &mysql.Config{DSN: "root@tcp(127.0.0.1:1)/test"})
			s.Variants = s.Variants[:1]
			s.Variants[0].Warmup = &Warmup{Rate: 10, Duration: s.Load.Duration}
			return reflect.ValueOf(s)
		}
		checkTags(t, fresh, func(root reflect.Value, path string) bool {
			for _, fe := range root.Interface().(*Scenario).Validate() {
				if fe.Field == path {
					return true
				}
			}
			return false
		})
		// target.instances lives in the file's shape of Target.
		f, _ := targetShape().FieldByName("Instances")
		if got, want := f.Tag.Get("range"), "0.."+strconv.Itoa(MaxInstances); got != want {
			t.Errorf("target.instances: range tag %q, want %q", got, want)
		}
	})
	for _, r := range registered() {
		t.Run(r.Name, func(t *testing.T) {
			checkTags(t, func(path string) reflect.Value {
				cfg := r.NewConfig()
				if set := fieldContext[r.Name]; set != nil {
					set(cfg, path)
				}
				return reflect.ValueOf(cfg)
			},
				func(root reflect.Value, path string) bool {
					cfg := root.Interface().(interface{ Validate() map[string]string })
					_, bad := cfg.Validate()[path]
					return bad
				})
		})
	}
}

// fieldContext sets what a driver's field applies to, where its range is
// only checked in that context: PostgreSQL's max_idle is database/sql's,
// and leak_every leaves a transaction open, so it needs a tx operation.
var fieldContext = map[string]func(cfg any, path string){
	postgres.Name: func(cfg any, path string) {
		c := cfg.(*postgres.Config)
		switch {
		case path == "max_idle":
			c.Pool = postgres.PoolSQL
		case strings.HasSuffix(path, ".leak_every"):
			c.Operations = []postgres.Operation{{Tx: []postgres.Statement{{SQL: "SELECT 1"}}}}
		}
	},
}
