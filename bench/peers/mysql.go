package main

import (
	"fmt"
	"net"
	"os/exec"
	"regexp"
	"strconv"
	"strings"

	"github.com/go-sql-driver/mysql"
)

type mysqlRow struct {
	tool    string
	rate    float64 // queries per second
	queries int64
	u       usage
	note    string
}

type mysqlTool struct {
	name string
	run  func() (mysqlRow, error)
}

// mysqlPart runs part 2 and reports whether every tool ran.
func mysqlPart(cfg config, tmp, pl string) bool {
	fmt.Printf("MySQL SELECT 1, %d connections, %s, tools alternated\n", cfg.conns, redactDSN(cfg.dsn))
	slap, err := exec.LookPath("mariadb-slap")
	if err != nil {
		fmt.Println("  skipped: mariadb-slap not found (apt-get install mariadb-client):", err)
		return false
	}
	host, port, err := dsnHostPort(cfg.dsn)
	if err != nil {
		fmt.Println("  skipped:", err)
		return false
	}
	tools := []mysqlTool{
		{"mariadb-slap", func() (mysqlRow, error) { return runSlap(slap, host, port, cfg) }},
		{"poolload", func() (mysqlRow, error) { return runPoolloadMySQL(pl, tmp, cfg) }},
	}
	fmt.Printf("  %-5s %-13s %10s %10s %14s %10s  %s\n", "round", "tool", "queries", "queries/s",
		"CPU ms/1k q", "max RSS", "note")
	ok := true
	for round := 1; round <= cfg.rounds; round++ {
		order := []mysqlTool{tools[0], tools[1]}
		if round%2 == 0 {
			order[0], order[1] = order[1], order[0]
		}
		for _, t := range order {
			r, err := t.run()
			if err != nil {
				fmt.Printf("  %-5d %-13s could not run: %v\n", round, t.name, err)
				ok = false
				continue
			}
			fmt.Printf("  %-5d %-13s %10d %10.0f %14s %10s  %s\n", round, r.tool, r.queries, r.rate,
				r.u.perK(r.queries), r.u.rss(), r.note)
		}
	}
	fmt.Println("  mariadb-slap is closed-loop (each client sends its next query when the answer arrives):")
	fmt.Println("  its rate is the capacity of the connections. poolload is open-model, offered a rate")
	fmt.Println("  above capacity: its achieved rate is its capacity, and the excess arrivals are dropped.")
	fmt.Println("  This compares client cost and capacity, not latency.")
	return ok
}

var (
	slapSeconds = regexp.MustCompile(`Average number of seconds to run all queries: ([0-9.]+) seconds`)
	slapClients = regexp.MustCompile(`Number of clients running queries: ([0-9]+)`)
	slapPerConn = regexp.MustCompile(`Average number of queries per client: ([0-9]+)`)
)

func runSlap(slap, host, port string, cfg config) (mysqlRow, error) {
	row := mysqlRow{tool: "mariadb-slap"}
	// --no-drop: never drop the (shared) schema; --skip-ssl: plain TCP, as poolload.
	cmd := exec.Command(slap, "--no-defaults", "--host="+host, "--port="+port, "--protocol=tcp",
		"--user=root", "--skip-ssl", "--create-schema=test", "--no-drop",
		"--concurrency="+strconv.Itoa(cfg.conns), "--iterations=1",
		"--number-of-queries="+strconv.Itoa(cfg.slapQueries), "--query=SELECT 1")
	out, u, err := measure(cmd)
	if err != nil {
		return row, err
	}
	secs, e1 := slapFloat(slapSeconds, out)
	clients, e2 := slapFloat(slapClients, out)
	perConn, e3 := slapFloat(slapPerConn, out)
	if e1 != nil || e2 != nil || e3 != nil || secs <= 0 {
		return row, fmt.Errorf("unexpected mariadb-slap output:\n%s", out)
	}
	row.queries = int64(clients * perConn)
	row.rate, row.u = float64(row.queries)/secs, u
	row.note = fmt.Sprintf("closed loop, %.0f clients, %.2f s timed", clients, secs)
	return row, nil
}

func slapFloat(re *regexp.Regexp, out []byte) (float64, error) {
	m := re.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("no %q", re)
	}
	return strconv.ParseFloat(string(m[1]), 64)
}

func runPoolloadMySQL(pl, tmp string, cfg config) (mysqlRow, error) {
	row := mysqlRow{tool: "poolload"}
	v, u, err := runPoolload(pl, tmp, mysqlScenario(cfg))
	if err != nil {
		return row, err
	}
	row.queries, row.rate, row.u = v.Totals.Iterations, v.Rate, u
	row.note = fmt.Sprintf("open model, %.0f/s offered for %v: %d dropped (by %s), %d errors",
		v.Offered, cfg.mysqlDuration, v.Totals.Dropped, fmtCounts(v.Totals.DroppedBy), v.Totals.Errors)
	return row, nil
}

// mysqlScenario is SELECT 1 over a pool of cfg.conns connections, opened
// before t0 (prewarm), with as many VUs, driven above capacity.
func mysqlScenario(cfg config) string {
	return strings.TrimLeft(fmt.Sprintf(`
name: peers-mysql
target:
  driver: mysql
  mysql:
    dsn: '%s'
    max_open: %d
    max_idle: %d
    operations:
      - {name: select1, sql: SELECT 1}
load:
  executor: constant-arrival-rate
  rate: %d
  duration: %s
  pre_allocated_vus: %d
  max_vus: %d
  graceful_stop: 5s
variants:
  - {name: prewarmed, prewarm: %d}
output:
  interval: 1s
`, cfg.dsn, cfg.conns, cfg.conns, cfg.mysqlRate, cfg.mysqlDuration, cfg.conns, cfg.conns, cfg.conns), "\n")
}

// dsnHostPort gives mariadb-slap the DSN's TCP address.
func dsnHostPort(dsn string) (string, string, error) {
	c, err := mysql.ParseDSN(dsn)
	if err != nil {
		return "", "", fmt.Errorf("-dsn: %w", err)
	}
	if c.Net != "tcp" || c.Passwd != "" || c.User != "root" || c.DBName != "test" {
		return "", "", fmt.Errorf("-dsn: mariadb-slap is run as root without password on tcp, database test; got %s", redactDSN(dsn))
	}
	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return "", "", fmt.Errorf("-dsn: %w", err)
	}
	return host, port, nil
}

func redactDSN(dsn string) string {
	if c, err := mysql.ParseDSN(dsn); err == nil && c.Passwd != "" {
		c.Passwd = "xxx"
		return c.FormatDSN()
	}
	return dsn
}
