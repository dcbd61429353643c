package mysql

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/poolload/poolload/units"
)

const secret = "hunter2-s3cr3t"

func TestPasswordNeverShown(t *testing.T) {
	c := Config{DSN: "root:" + secret + "@tcp(127.0.0.1:1)/test", MaxOpen: -1,
		Params: map[string]string{"checkConnLiveness": "maybe"}}
	show := map[string]string{
		"String": c.String(), "GoString": fmt.Sprintf("%#v", c), "Sprint": fmt.Sprint(c),
		"Redacted": c.Redacted().DSN,
	}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	show["json"] = string(b)
	for k, v := range c.Validate() {
		show["validate "+k] = v
	}
	bad := Config{DSN: "root:" + secret + "@tcp(127.0.0.1:1"}
	for k, v := range bad.Validate() {
		show["validate bad "+k] = v
	}
	for where, text := range show {
		if strings.Contains(text, secret) {
			t.Errorf("%s shows the password: %s", where, text)
		}
	}
	if c.DSN != "root:"+secret+"@tcp(127.0.0.1:1)/test" {
		t.Error("Redacted or MarshalJSON changed the config itself")
	}
}

func TestValidate(t *testing.T) {
	neg := -1
	c := Config{
		DSN: "root@tcp(127.0.0.1:3306)/test", MaxOpen: 5, MaxIdle: &neg,
		QueryTimeout: units.Duration(-1), Params: map[string]string{"timeout": "1s"},
		ServerVars: map[string]string{"wait_timeout": "1"},
		Operations: []Operation{
			{Name: "a", SQL: "SELECT ?, ?", Args: []string{"rand_int(1,10)", "bogus(1)"}},
			{Name: "a", SQL: "SELECT 1", Tx: []Statement{{SQL: "SELECT 1"}}},
			{Weight: new(-2)},
			{Tx: []Statement{{SQL: "UPDATE t SET k=? WHERE id=?", Args: []string{"rand_int(1", "100)"}}, {SQL: " "}}},
		},
		SetupSQL: []string{""},
		Seed:     &Seed{Table: "t; DROP", Rows: 0},
	}
	want := []string{"max_idle", "query_timeout", "params.timeout", "server_vars",
		"operations[0].args[1]", "operations[1]", "operations[1].name", "operations[2]",
		"operations[2].weight", "operations[3].tx[0].args[0]", "operations[3].tx[1].sql",
		"setup[0]", "seed.table", "seed.rows"}
	errs := c.Validate()
	for _, k := range want {
		if errs[k] == "" {
			t.Errorf("no error for %s; got %v", k, errs)
		}
	}
	if len(errs) != len(want) {
		t.Errorf("got %d errors, want %d: %v", len(errs), len(want), errs)
	}
	ok := Config{DSN: "root@tcp(127.0.0.1:3306)/test"}
	if errs := ok.Validate(); len(errs) != 0 {
		t.Errorf("minimal config: %v", errs)
	}
	managed := Config{Server: ServerManaged, ServerVars: map[string]string{"port": "1", "max_connections": "5"}}
	if errs := managed.Validate(); len(errs) != 1 || errs["server_vars.port"] == "" {
		t.Errorf("managed: %v", errs)
	}
}

func TestDefaults(t *testing.T) {
	c := Config{DSN: "root@tcp(127.0.0.1:3306)/test", MaxOpen: 7}
	c.SetDefaults()
	if c.maxIdle() != 7 || *c.MaxIdle != 7 {
		t.Errorf("max_idle = %d, want max_open", c.maxIdle())
	}
	if c.AcquireTimeout.D() != DefaultAcquireTimeout || c.QueryTimeout.D() != DefaultQueryTimeout ||
		c.ConnectTimeout.D() != DefaultConnectTimeout {
		t.Errorf("timeouts: %+v", c)
	}
	zero := 0
	c2 := Config{MaxIdle: &zero}
	c2.SetDefaults()
	if c2.MaxOpen != DefaultMaxOpen || c2.maxIdle() != 0 {
		t.Errorf("explicit max_idle 0 lost: %d/%d", c2.MaxOpen, c2.maxIdle())
	}
}

func TestGoConfig(t *testing.T) {
	c := Config{Params: map[string]string{"readTimeout": "2s", "sql_mode": "'TRADITIONAL'"}}
	gc, err := c.goConfig("root@tcp(127.0.0.1:3306)/test", 3e9, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !gc.InterpolateParams || gc.Timeout != 3e9 || gc.ReadTimeout != 2e9 || !gc.CheckConnLiveness ||
		gc.Params["sql_mode"] != "'TRADITIONAL'" {
		t.Errorf("unexpected config: %+v", gc)
	}
	off := Config{Params: map[string]string{"interpolateParams": "false"}}
	if gc, _ := off.goConfig("root@tcp(h:1)/test?timeout=1s", 3e9, nil); gc.InterpolateParams || gc.Timeout != 1e9 {
		t.Errorf("explicit choices overridden: %+v", gc)
	}
}

func TestReturnsRows(t *testing.T) {
	for sql, want := range map[string]bool{
		"SELECT 1": true, "  select sleep(0.02)": true, "(SELECT 1) UNION (SELECT 2)": true,
		"/* hint */ SHOW STATUS": true, "-- c\nWITH x AS (SELECT 1) SELECT * FROM x": true,
		"INSERT INTO t VALUES (1)": false, "UPDATE t SET k=1": false, "BEGIN": false, "": false,
	} {
		if got := returnsRows(sql); got != want {
			t.Errorf("returnsRows(%q) = %v", sql, got)
		}
	}
}

func TestCountPlaceholders(t *testing.T) {
	for sql, want := range map[string]int{
		"SELECT ?": 1, "SELECT '?', \"?\", `?` FROM t WHERE a = ? AND b = ?": 2,
		"SELECT 'it\\'s ?' , ? /* ? */ -- ?\n, ? # ?\n": 2, "SELECT 1": 0,
	} {
		if got := countPlaceholders(sql); got != want {
			t.Errorf("countPlaceholders(%q) = %d, want %d", sql, got, want)
		}
	}
}

func TestPickWeights(t *testing.T) {
	c := Config{Operations: []Operation{{Name: "a", SQL: "SELECT 1", Weight: new(3)}, {Name: "b", SQL: "SELECT 2"}}}
	errs := map[string]string{}
	w := c.compile(errs)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	n := map[string]int{}
	for range 4000 {
		n[w.pick().name]++
	}
	if n["a"] < 2700 || n["a"] > 3300 {
		t.Errorf("weight 3:1 gave %v", n)
	}
}
