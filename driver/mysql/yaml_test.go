package mysql

import (
	"testing"
	"time"

	"github.com/goccy/go-yaml"
)

// TestYAMLBlock decodes a target.mysql block the way the scenario loader
// does (strict: unknown fields are errors), to pin the field names.
func TestYAMLBlock(t *testing.T) {
	text := `
dsn: root@tcp(127.0.0.1:3306)/test
max_open: 20
max_idle: 0
conn_max_lifetime: 4m
conn_max_idle_time: 1m
acquire_timeout: 2s
query_timeout: 10s
connect_timeout: 3s
params: {readTimeout: 5s}
setup: ["CREATE TABLE IF NOT EXISTS log (id BIGINT)"]
teardown: ["DROP TABLE log"]
seed: {table: sbtest1, rows: 10000}
operations:
  - name: point
    weight: 9
    sql: SELECT pad FROM sbtest1 WHERE id = ?
    args: ["rand_int(1,10000)"]
  - name: write
    hold: 5ms
    tx:
      - sql: INSERT INTO log VALUES (?)
        args: [seq()]
`
	var c Config
	if err := yaml.UnmarshalWithOptions([]byte(text), &c, yaml.Strict()); err != nil {
		t.Fatal(err)
	}
	if errs := c.Validate(); len(errs) > 0 {
		t.Fatal(errs)
	}
	if c.MaxOpen != 20 || c.MaxIdle == nil || *c.MaxIdle != 0 || c.ConnMaxLifetime.D() != 4*time.Minute ||
		c.Params["readTimeout"] != "5s" || c.Seed.Rows != 10000 || len(c.Operations) != 2 ||
		c.Operations[1].Hold.D() != 5*time.Millisecond || c.Operations[1].Tx[0].Args[0] != "seq()" ||
		len(c.SetupSQL) != 1 || len(c.TeardownSQL) != 1 {
		t.Errorf("decoded %+v", c)
	}
	bad := "dsn: x\nmax_conns: 3\n"
	if err := yaml.UnmarshalWithOptions([]byte(bad), &Config{}, yaml.Strict()); err == nil {
		t.Error("unknown field accepted")
	}
}
