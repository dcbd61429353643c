package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/poolload/poolload/units"
)

func TestMaxPlaceholder(t *testing.T) {
	for sql, want := range map[string]int{
		"SELECT 1":                            0,
		"SELECT $1, $2":                       2,
		"SELECT $3":                           3,
		"SELECT '$4', \"$5\" -- $6\n, $1":     1,
		"SELECT $$ $7 $$, $tag$ $8 $tag$, $2": 2,
		"SELECT /* $9 */ $1":                  1,
	} {
		if got := maxPlaceholder(sql); got != want {
			t.Errorf("maxPlaceholder(%q) = %d, want %d", sql, got, want)
		}
	}
}

func TestValidate(t *testing.T) {
	zero := 0
	cfg := Config{DSN: "postgres://u@h/db", Pool: "hikari", MaxIdle: &zero, MinConns: 3,
		Operations: []Operation{{SQL: "SELECT $1"}, {SQL: "SELECT 1", LeakEvery: 2}, {Weight: &zero, SQL: "SELECT 1"}},
		Params:     map[string]string{"application_name": "x"}}
	errs := cfg.Validate()
	for _, k := range []string{"pool", "operations[0].args", "operations[1].leak_every", "operations[2].weight", "params.application_name"} {
		if errs[k] == "" {
			t.Errorf("no problem reported for %s: %v", k, errs)
		}
	}
	if errs := (&Config{Server: ServerManaged, ServerVars: map[string]string{"port": "1", "max_connections": "9"}}).Validate(); errs["server_vars.port"] == "" || len(errs) != 1 {
		t.Errorf("managed server_vars: %v", errs)
	}
}

// The seed table, arguments and transactions work on both pools, and
// what Setup created Teardown drops.
func TestWorkloadSeedTx(t *testing.T) {
	bothPools(t, func(t *testing.T, pool string) {
		seed, log := uniqueName("pl_seed"), uniqueName("pl_log")
		tg := start(t, Config{DSN: testDSN(t), Pool: pool, MaxOpen: 3,
			SetupSQL:    []string{"CREATE TABLE " + log + " (id BIGINT PRIMARY KEY, vu INT, u UUID, c TEXT)"},
			TeardownSQL: []string{"DROP TABLE IF EXISTS " + log},
			Seed:        &Seed{Table: seed, Rows: 2500},
			Operations: []Operation{
				{Name: "point", Weight: ptr(3), SQL: "SELECT pad FROM " + seed + " WHERE id = $1", Args: []string{"rand_int(1,2500)"}},
				{Name: "write", Tx: []Statement{
					{SQL: "INSERT INTO " + log + " (id, vu, u, c) VALUES ($1, $2, $3, $4)", Args: []string{"iter()", "vu()", "uuid()", "choice(a,b)"}},
					{SQL: "UPDATE " + seed + " SET k = k + 1 WHERE id = $1", Args: []string{"seq()"}},
				}, Hold: units.Duration(time.Millisecond)},
			}})
		d := openTarget(t, tg)
		trs := runVUs(context.Background(), d, 3, 30)
		if n := classes(trs); n["none"] != len(trs) {
			t.Fatalf("errors: %v (%v)", n, firstErr(trs))
		}
		admin := adminConn(t, testDSN(t))
		var rows, seeded int
		if err := admin.QueryRow(context.Background(), "SELECT count(*) FROM "+log).Scan(&rows); err != nil {
			t.Fatal(err)
		}
		if err := admin.QueryRow(context.Background(), "SELECT count(*) FROM "+seed).Scan(&seeded); err != nil || seeded != 2500 {
			t.Fatalf("seed rows %d (%v)", seeded, err)
		}
		if rows == 0 || rows == len(trs) {
			t.Errorf("%d transactions committed of %d iterations: the weights were not applied", rows, len(trs))
		}
		if err := tg.Teardown(context.Background()); err != nil {
			t.Fatal(err)
		}
		var left bool
		if err := admin.QueryRow(context.Background(), "SELECT to_regclass($1) IS NOT NULL OR to_regclass($2) IS NOT NULL", seed, log).Scan(&left); err != nil || left {
			t.Errorf("teardown left a table (%v)", err)
		}
	})
}

func ptr[T any](v T) *T { return &v }
