package http

import (
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// TestYAMLBlocks decodes a target.http block with every optional block the
// way the scenario loader does (strict), to pin the field names.
func TestYAMLBlocks(t *testing.T) {
	text := `
base_url: http://127.0.0.1:8089
requests:
  - {name: item, path: "/items/{rand_int(1,1000)}"}
auth:
  method: POST
  path: /login
  headers: {Content-Type: application/json}
  body: '{"user":"app","password":"pw"}'
  expect_status: [200]
  token_json: data.access_token
  header: Authorization
  format: "Bearer {token}"
pool_metrics:
  url: /metrics
  format: prometheus
  in_use: 'hikaricp_connections_active{pool="main"}'
  idle: hikaricp_connections_idle
  waiting: hikaricp_connections_pending
  max: hikaricp_connections_max
  open: hikaricp_connections
  waiting_counter: false
database:
  dsn: app:pw@tcp(127.0.0.1:3306)/shop
  user: app
`
	var c Config
	if err := yaml.UnmarshalWithOptions([]byte(text), &c, yaml.Strict()); err != nil {
		t.Fatal(err)
	}
	if errs := c.Validate(); len(errs) != 0 {
		t.Fatalf("Validate: %v", errs)
	}
	a, p, d := c.Auth, c.PoolMetrics, c.Database
	if a.TokenJSON != "data.access_token" || a.Format != "Bearer {token}" || a.ExpectStatus[0] != 200 ||
		a.Headers["Content-Type"] != "application/json" || p.InUse != `hikaricp_connections_active{pool="main"}` ||
		p.Open != "hikaricp_connections" || *p.WaitingCounter || d.User != "app" {
		t.Errorf("decoded %+v %+v %+v", a, p, d)
	}
	want := "svc_pool_in_use svc_pool_idle svc_pool_waiting svc_pool_max svc_pool_open svc_pool_opened db_threads_connected"
	if got := c.GaugeNames(); len(got) != 19 || strings.Join(got[:7], " ") != want || got[14] != "db_user_threads" || got[15] != "db_user_conns_opened" ||
		got[16] != "http_conns_opened" {
		t.Errorf("GaugeNames = %v", got)
	}
}
