package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/poolload/poolload/driver/pgserver"
)

// pgTable is the point select's table, created for part 3 and dropped
// after it.
const (
	pgTable = "pl_peers_pg"
	pgRows  = 10000
)

// pgScript is one workload as each tool writes it.
type pgScript struct {
	name     string
	pgbench  string // pgbench's -f script
	sql      string // poolload's operation
	argument string // poolload's argument generator, or ""
}

var pgScripts = []pgScript{
	{"SELECT 1", "SELECT 1;\n", "SELECT 1", ""},
	{"point select", fmt.Sprintf("\\set id random(1, %d)\nSELECT pad FROM %s WHERE id = :id;\n", pgRows, pgTable),
		"SELECT pad FROM " + pgTable + " WHERE id = $1", fmt.Sprintf("rand_int(1,%d)", pgRows)},
}

type pgRow struct {
	tool               string
	queries            int64
	rate, offered      float64
	p50, p99, p99Sched time.Duration
	u                  usage
	note               string
}

// pgPart runs part 3 and reports whether every tool ran.
func pgPart(cfg config, tmp, pl string) bool {
	fmt.Printf("PostgreSQL, %d connections, %s, %v per run, tools alternated\n", cfg.conns, pgserver.RedactDSN(cfg.pgDSN), cfg.pgDuration)
	bench, err := exec.LookPath("pgbench")
	if err != nil {
		fmt.Println("  skipped: pgbench not found (apt-get install postgresql-client):", err)
		return false
	}
	cc, err := pgx.ParseConfig(cfg.pgDSN)
	if err != nil {
		fmt.Println("  skipped: -pg-dsn:", pgserver.Scrub(err, pgserver.Password(cfg.pgDSN)))
		return false
	}
	drop, err := pgSeed(cc)
	if err != nil {
		fmt.Println("  skipped: seeding", pgTable+":", err)
		return false
	}
	defer drop()
	fmt.Printf("  %-13s %-7s %-9s %9s %10s %9s %9s %14s %14s %10s  %s\n", "script", "rate/s", "tool", "queries", "achieved/s",
		"p50", "p99", "p99 send→done", "CPU ms/1k q", "max RSS", "note")
	ok, turn := true, 0
	for _, sc := range pgScripts {
		for _, rate := range cfg.pgRates {
			tools := []func() (pgRow, error){
				func() (pgRow, error) { return runPgbench(bench, tmp, cc, sc, rate, cfg) },
				func() (pgRow, error) { return runPoolloadPg(pl, tmp, sc, rate, cfg) },
			}
			if turn++; turn%2 == 0 {
				tools[0], tools[1] = tools[1], tools[0]
			}
			for _, run := range tools {
				r, err := run()
				if err != nil {
					fmt.Printf("  %-13s %-7d could not run: %v\n", sc.name, rate, err)
					ok = false
					continue
				}
				fmt.Printf("  %-13s %-7d %-9s %9d %10.0f %9s %9s %14s %14s %10s  %s\n", sc.name, rate, r.tool, r.queries, r.rate,
					fmtDur(r.p50), fmtDur(r.p99), fmtDur(r.p99Sched), r.u.perK(r.queries), r.u.rss(), r.note)
			}
		}
	}
	fmt.Println("  Both are open-model here: pgbench -R schedules each transaction and logs its lag behind")
	fmt.Println("  the schedule; p50 and p99 are from the intended start for both (pgbench: lag + time).")
	fmt.Println("  p99 send→done is pgbench's transaction time and poolload's service.")
	return ok
}

// pgSeed creates the point select's table and returns what drops it.
func pgSeed(cc *pgx.ConnConfig) (func(), error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return nil, pgserver.Scrub(err, cc.Password)
	}
	drop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		conn.Exec(ctx, "DROP TABLE IF EXISTS "+pgTable)
		conn.Close(ctx)
	}
	for _, q := range []string{"DROP TABLE IF EXISTS " + pgTable,
		"CREATE TABLE " + pgTable + " (id INT PRIMARY KEY, k INT NOT NULL, pad CHAR(60) NOT NULL)",
		fmt.Sprintf("INSERT INTO %s SELECT i, i %% 100, md5(i::text) FROM generate_series(1, %d) i", pgTable, pgRows),
		"ANALYZE " + pgTable} {
		if _, err := conn.Exec(ctx, q); err != nil {
			drop()
			return nil, err
		}
	}
	return drop, nil
}

var pgbenchTPS = regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`)

// runPgbench runs pgbench at rate with a per-transaction log, and reads
// its latencies from the log: the schedule lag plus the transaction's time
// is the latency from the intended start, as poolload's.
func runPgbench(bench, tmp string, cc *pgx.ConnConfig, sc pgScript, rate int, cfg config) (pgRow, error) {
	row := pgRow{tool: "pgbench", offered: float64(rate)}
	dir, err := os.MkdirTemp(tmp, "pgbench-")
	if err != nil {
		return row, err
	}
	script := filepath.Join(dir, "script.sql")
	if err := os.WriteFile(script, []byte(sc.pgbench), 0o644); err != nil {
		return row, err
	}
	// -n: no vacuum of pgbench's own tables (there are none); -M prepared,
	// as pgx's default caches prepared statements; one thread per core.
	cmd := exec.Command(bench, "-n", "-M", "prepared", "-h", cc.Host, "-p", strconv.Itoa(int(cc.Port)), "-U", cc.User,
		"-c", strconv.Itoa(cfg.conns), "-j", "2", "-R", strconv.Itoa(rate), "-T", strconv.Itoa(int(cfg.pgDuration.Seconds())),
		"-l", "--log-prefix", filepath.Join(dir, "log"), "-f", script, cc.Database)
	cmd.Env = append(os.Environ(), "PGPASSWORD="+cc.Password, "PGSSLMODE=disable")
	out, u, err := measure(cmd)
	if err != nil {
		return row, err
	}
	m := pgbenchTPS.FindSubmatch(out)
	if m == nil {
		return row, fmt.Errorf("unexpected pgbench output:\n%s", out)
	}
	row.rate, _ = strconv.ParseFloat(string(m[1]), 64)
	lat, send, lag, err := pgbenchLog(filepath.Join(dir, "log"))
	if err != nil {
		return row, err
	}
	row.queries, row.u = int64(len(lat)), u
	row.p50, row.p99, row.p99Sched = quantile(lat, 0.50), quantile(lat, 0.99), quantile(send, 0.99)
	row.note = fmt.Sprintf("-R %d -c %d -j 2, Poisson arrivals; lag p99 %s", rate, cfg.conns, fmtDur(quantile(lag, 0.99)))
	return row, nil
}

// pgbenchLog reads every log file of a run (one per thread): per
// transaction, its latency from the intended start, its own time and its
// lag behind the schedule.
func pgbenchLog(prefix string) (lat, send, lag []time.Duration, err error) {
	files, _ := filepath.Glob(prefix + ".*")
	if len(files) == 0 {
		return nil, nil, nil, fmt.Errorf("pgbench wrote no log at %s.*", prefix)
	}
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			return nil, nil, nil, err
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			// client_id transaction_no time script_no time_epoch time_us schedule_lag
			fs := strings.Fields(sc.Text())
			if len(fs) < 7 {
				continue
			}
			t, e1 := strconv.ParseInt(fs[2], 10, 64)
			l, e2 := strconv.ParseInt(fs[6], 10, 64)
			if e1 != nil || e2 != nil {
				continue // "skipped" transactions have no time
			}
			lat = append(lat, time.Duration(t+l)*time.Microsecond)
			send = append(send, time.Duration(t)*time.Microsecond)
			lag = append(lag, time.Duration(l)*time.Microsecond)
		}
		fh.Close()
		if err := sc.Err(); err != nil {
			return nil, nil, nil, err
		}
	}
	return lat, send, lag, nil
}

// quantile is the q-quantile of vs (nearest rank), sorting vs.
func quantile(vs []time.Duration, q float64) time.Duration {
	if len(vs) == 0 {
		return 0
	}
	slices.Sort(vs)
	return vs[min(len(vs)-1, int(q*float64(len(vs))))]
}

func runPoolloadPg(pl, tmp string, sc pgScript, rate int, cfg config) (pgRow, error) {
	row := pgRow{tool: "poolload", offered: float64(rate)}
	v, u, err := runPoolload(pl, tmp, pgScenario(cfg, sc, rate))
	if err != nil {
		return row, err
	}
	row.queries, row.rate, row.u = v.Totals.Iterations, v.Rate, u
	row.p50, row.p99, row.p99Sched = v.p("latency", 50), v.p("latency", 99), v.p("service", 99)
	row.note = fmt.Sprintf("pgxpool of %d prewarmed, even arrivals: %d dropped, %d errors", cfg.conns, v.Totals.Dropped, v.Totals.Errors)
	return row, nil
}

// pgScenario is sc over a pgxpool of cfg.conns connections opened before
// t0, at rate.
func pgScenario(cfg config, sc pgScript, rate int) string {
	args := ""
	if sc.argument != "" {
		args = fmt.Sprintf(", args: [%q]", sc.argument)
	}
	return strings.TrimLeft(fmt.Sprintf(`
name: peers-pg
target:
  driver: postgres
  postgres:
    dsn: '%s'
    pool: pgxpool
    max_open: %d
    operations:
      - {name: q, sql: %q%s}
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
`, cfg.pgDSN, cfg.conns, sc.sql, args, rate, cfg.pgDuration, 2*cfg.conns, 4*cfg.conns, cfg.conns), "\n")
}
