package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/poolload/poolload/scenario"
)

// modeline is the first line of every scenario in scenarios/.
const modeline = "# yaml-language-server: $schema=scenario.schema.json\n"

// compiledSchema is `poolload schema`'s output, compiled by a JSON Schema
// library as an editor's language server would.
func compiledSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	code, out, stderr := runCLI(t, "schema")
	if code != exitOK {
		t.Fatalf("poolload schema: exit %d: %s", code, stderr)
	}
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(out))
	if err != nil {
		t.Fatalf("the schema is not JSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource("scenario.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("scenario.schema.json")
	if err != nil {
		t.Fatalf("compiling the schema: %v", err)
	}
	return s
}

// schemaErr validates YAML text against s, as the editor sees the file:
// before interpolation.
func schemaErr(t *testing.T, s *jsonschema.Schema, text []byte) error {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(text, &v); err != nil {
		t.Fatalf("not YAML: %v\n%s", err, text)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return s.Validate(inst)
}

// The committed schema is what poolload schema prints today.
func TestSchemaFileUpToDate(t *testing.T) {
	want, err := scenario.Schema()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join("../..", schemaFile))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is stale: regenerate it with\n  go run ./cmd/poolload schema > %s", schemaFile, schemaFile)
	}
}

// Every scenario names the schema on its first line and passes it, as
// written (with its ${VAR}s) and as loaded.
func TestScenariosMatchSchema(t *testing.T) {
	s := compiledSchema(t)
	files, _ := filepath.Glob("../../scenarios/*.yaml")
	if len(files) == 0 {
		t.Fatal("no scenarios found")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			text, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(text, []byte(modeline)) {
				t.Errorf("does not start with %q", modeline)
			}
			if err := schemaErr(t, s, text); err != nil {
				t.Errorf("the schema refuses it: %v", err)
			}
			if _, err := scenario.Parse(f, text, func(string) (string, bool) { return "", false }); err != nil {
				t.Errorf("the loader refuses it: %v", err)
			}
		})
	}
}

// schemaBase is a valid scenario that the bad inputs below each break in
// one place.
const schemaBase = `
target:
  driver: mysql
  mysql:
    dsn: root@tcp(127.0.0.1:3306)/test
    max_open: 10
load:
  executor: constant-arrival-rate
  rate: ${RATE:-100}
  duration: 10s
  pre_allocated_vus: 5
variants:
  - name: cold
  - name: warm
    prewarm: 10
    warmup: {rate: 10, duration: 1s}
repeat: 2
output:
  interval: 500ms
`

// The schema refuses what the loader refuses: unknown fields, wrong types,
// numbers out of range, missing required fields, the wrong block for the
// driver.
func TestSchemaRejectsWhatLoaderRejects(t *testing.T) {
	s := compiledSchema(t)
	noEnv := func(string) (string, bool) { return "", false }
	if err := schemaErr(t, s, []byte(schemaBase)); err != nil {
		t.Fatalf("the schema refuses the base scenario: %v", err)
	}
	if _, err := scenario.Parse("base.yaml", []byte(schemaBase), noEnv); err != nil {
		t.Fatalf("the loader refuses the base scenario: %v", err)
	}
	for _, c := range []struct{ name, old, new string }{
		{"unknown field", "repeat: 2", "repeat: 2\nrepeats: 2"},
		{"unknown field in a driver block", "max_open: 10", "max_opn: 10"},
		{"unknown field in a list", "- name: cold", "- name: cold\n    prewram: 1"},
		{"wrong type: string for a number", "repeat: 2", "repeat: two"},
		{"wrong type: fraction for a whole number", "pre_allocated_vus: 5", "pre_allocated_vus: 5.5"},
		{"wrong type: list for a mapping", "output:\n  interval: 500ms", "output: [1]"},
		{"wrong type: bool", "max_open: 10", "max_open: true"},
		{"not a duration", "duration: 10s", "duration: 10 seconds"},
		{"duration without unit", "duration: 10s", "duration: 10"},
		{"negative duration", "duration: 10s", "duration: -10s"},
		{"out of range: repeat", "repeat: 2", "repeat: 5000"},
		{"out of range: pre_allocated_vus", "pre_allocated_vus: 5", "pre_allocated_vus: 0"},
		{"out of range: driver block", "max_open: 10", "max_open: -1"},
		{"out of range: prewarm", "prewarm: 10", "prewarm: 100001"},
		{"missing target", "target:\n  driver: mysql\n  mysql:\n    dsn: root@tcp(127.0.0.1:3306)/test\n    max_open: 10\n", ""},
		{"missing target.driver", "  driver: mysql\n", ""},
		{"missing the driver's block", "  mysql:\n    dsn: root@tcp(127.0.0.1:3306)/test\n    max_open: 10\n", ""},
		{"another driver's block too", "load:", "  noop: {delay: 1ms}\nload:"},
		{"unknown driver", "driver: mysql", "driver: oracle"},
		{"missing load.executor", "  executor: constant-arrival-rate\n", ""},
		{"unknown executor", "executor: constant-arrival-rate", "executor: constant-vus"},
		{"missing load.pre_allocated_vus", "  pre_allocated_vus: 5\n", ""},
		{"missing load.duration", "  duration: 10s\n", ""},
		{"missing load.rate", "  rate: ${RATE:-100}\n", ""},
		{"stages with a constant rate", "  duration: 10s\n", "  duration: 10s\n  stages: [{target: 1, duration: 1s}]\n"},
		{"missing variant name", "- name: cold", "- idle: 1s"},
		{"missing warmup.rate", "{rate: 10, duration: 1s}", "{duration: 1s}"},
		{"missing warmup.duration", "{rate: 10, duration: 1s}", "{rate: 10}"},
		{"missing service.run", "repeat: 2", "repeat: 2\nservice: {ready: tcp://127.0.0.1:1}"},
	} {
		t.Run(c.name, func(t *testing.T) {
			text := strings.Replace(schemaBase, c.old, c.new, 1)
			if text == schemaBase {
				t.Fatalf("%q is not in the base scenario", c.old)
			}
			if _, err := scenario.Parse("bad.yaml", []byte(text), noEnv); err == nil {
				t.Fatalf("the loader accepts it, so the schema need not refuse it:\n%s", text)
			}
			if err := schemaErr(t, s, []byte(text)); err == nil {
				t.Errorf("the loader refuses it but the schema accepts it:\n%s", text)
			}
		})
	}
}

// poolload init writes, for each target, a scenario that the loader and
// the schema both accept as written.
func TestInitValidatesAsWritten(t *testing.T) {
	s := compiledSchema(t)
	for _, c := range []struct {
		name string
		args []string
		env  map[string]string
	}{
		{"mysql", []string{"--driver", "mysql", "--dsn", "root@tcp(127.0.0.1:3306)/test"}, nil},
		{"mysql-password", []string{"--driver", "mysql", "--dsn", "app:s3cret@tcp(db:3306)/shop"},
			map[string]string{"POOLLOAD_DSN": "app@tcp(db:3306)/shop"}},
		{"postgres", []string{"--driver", "postgres", "--dsn", "postgres://app@127.0.0.1:5432/shop?sslmode=disable"}, nil},
		{"http", []string{"--driver", "http", "--url", "http://127.0.0.1:8089/select?id=1"}, nil},
		{"http-root", []string{"--driver", "http", "--url", "https://api.example.com"}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "start.yaml")
			code, stdout, stderr := runCLI(t, append([]string{"init", "--out", out}, c.args...)...)
			if code != exitOK {
				t.Fatalf("exit %d: %s%s", code, stdout, stderr)
			}
			text, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(text), "s3cret") {
				t.Errorf("the password is in the file:\n%s", text)
			}
			if !bytes.HasPrefix(text, []byte(modeline)) {
				t.Errorf("does not start with %q", modeline)
			}
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			sc, err := scenario.Load(out)
			if err != nil {
				t.Fatalf("the loader refuses it: %v\n%s", err, text)
			}
			if len(sc.Variants) != 2 || sc.Variants[0].Name != "cold" || sc.Variants[1].Name != "warm" {
				t.Errorf("variants %+v, want cold and warm", sc.Variants)
			}
			if err := schemaErr(t, s, text); err != nil {
				t.Errorf("the schema refuses it: %v", err)
			}
			// A second init must not overwrite the first.
			if code, _, _ := runCLI(t, append([]string{"init", "--out", out}, c.args...)...); code != exitBadInput {
				t.Errorf("init over an existing file: exit %d, want %d", code, exitBadInput)
			}
		})
	}
	for _, bad := range [][]string{
		{"init", "--driver", "mysql"},
		{"init", "--driver", "http", "--dsn", "x"},
		{"init", "--driver", "http", "--url", "ftp://x"},
		{"init", "--driver", "oracle", "--dsn", "x"},
	} {
		if code, _, _ := runCLI(t, bad...); code != exitBadInput {
			t.Errorf("%q: exit %d, want %d", bad, code, exitBadInput)
		}
	}
}
