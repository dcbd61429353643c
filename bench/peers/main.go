// Command peers runs poolload side by side with peer load generators, on
// the same target, at the same rate, on the same machine, and prints what
// each one achieved and what it cost to generate. Run `go run
// ./bench/peers` from the repository root, where `make bench` runs its
// benches; it takes about a minute.
//
// Part 1, HTTP, against Vegeta (v12.13.0, installed into a temporary
// directory with `go install`). Both are open-model, constant-rate
// generators. They load one tiny HTTP server, a separate process (this
// binary re-executed with -serve) that answers GET /x with a 3-byte body
// after a fixed 1 ms sleep, so that requests overlap as they do against a
// real service. For each rate the two tools run one after the other
// against the same server process, and which goes first alternates from
// rate to rate, so drift on this shared 2-core VM (the server, the
// generator and the neighbours all compete for the same cores) hits both
// alike. One unmeasured second of each tool warms the server up first.
//
// The latency columns are each tool's own figure, and the definitions
// differ: Vegeta times a request from the moment a worker picks it up,
// that is from the actual send, so a late pacer wake-up or a request
// waiting for a free worker is not in its latency; poolload's latency runs
// from the intended start (t0 + i/rate) and includes that schedule lag (no
// coordinated omission). The "p99 send→done" column is the comparable
// figure: Vegeta's p99 again, and poolload's `service` p99 (actual start →
// done). Vegeta never drops a request: it starts another worker instead,
// and if it cannot keep up its achieved rate falls; poolload counts a tick
// that finds no idle VU as dropped, so it is given max(100, 20 ms of
// arrivals) VUs, enough to ride out this VM's vCPU stalls. The achieved
// rates are the tools' own too: Vegeta's is requests / (last send − first
// send), poolload's iterations / window (t0 to the last iteration done).
//
// Part 2, MySQL, against mariadb-slap, the MariaDB client's own load
// tool, running SELECT 1 over 8 connections to the local server. slap is
// closed-loop: 8 clients each send the next query as soon as the previous
// answer arrives, so its rate is the capacity of 8 connections. poolload
// is open-model: it is offered a rate well above that capacity, with a
// pool of 8 connections opened before t0 (prewarm) and 8 VUs, so its
// achieved rate is its capacity and the excess arrivals are dropped and
// counted. This compares client cost and
// capacity, not latency. slap runs a fixed number of queries (200 000, a
// little over 2 s here) and reports the seconds they took; its clients
// seem to connect inside that span (as in MySQL's mysqlslap), a few
// milliseconds for 8 loopback connects. Both use plain TCP, no TLS. The
// tools alternate, slap first then poolload first, for -rounds rounds.
//
// Part 3, PostgreSQL, against pgbench, the PostgreSQL client's own load
// tool, on the local server (role poolload, as .ci/ensure-postgres makes
// it): SELECT 1 and a point select on a 10 000-row table this part
// creates and drops, at fixed rates (pgbench -R, -M prepared, a -f
// script; poolload over a prewarmed pgxpool of the same size, whose pgx
// also prepares and caches its statements). Both are open-model at these
// rates: pgbench schedules each transaction (Poisson arrivals) and, when
// it starts late, logs the lag, so its latency from the intended start is
// lag + time from its per-transaction log (-l), as poolload's `latency`
// is; "p99 send→done" is pgbench's time and poolload's `service`. The
// tools alternate which goes first from one rate to the next. pgbench's
// cost includes writing that log, poolload's its run record.
//
// Cost is the generator process's own CPU time (user + system, from
// wait4's rusage) per 1000 requests, and its peak resident set. For
// Vegeta it is the `attack` process only: it writes its results to a
// file, read afterwards by `vegeta report`, unmeasured. Both figures
// include each tool's start-up and writing its results (Vegeta's result
// file; poolload's run record, without plots).
//
// The exit status is 1 if a tool could not be installed or run (its part
// is skipped with the reason); the numbers themselves never fail it.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"
)

const vegetaPkg = "github.com/tsenart/vegeta/v12@v12.13.0"

type config struct {
	delay, duration            time.Duration
	rates                      []int
	dsn                        string
	conns, slapQueries, rounds int
	mysqlRate                  int
	mysqlDuration              time.Duration
	pgDSN                      string
	pgRates                    []int
	pgDuration                 time.Duration
	parts                      map[string]bool
}

func main() {
	serve := flag.String("serve", "", "internal: serve the HTTP target on this address and print it")
	delay := flag.Duration("delay", time.Millisecond, "the HTTP target's fixed handling time")
	dur := flag.Duration("duration", 5*time.Second, "length of each HTTP run")
	rates := flag.String("rates", "1000,5000,10000", "HTTP request rates per second")
	dsn := flag.String("dsn", "root@tcp(127.0.0.1:3306)/test", "MySQL server for part 2 (root, no password)")
	conns := flag.Int("conns", 8, "MySQL connections (slap clients, poolload pool and VUs)")
	queries := flag.Int("slap-queries", 200000, "mariadb-slap queries per run, over all clients")
	mrate := flag.Int("mysql-rate", 80000, "arrival rate offered to poolload in part 2 (above capacity)")
	mdur := flag.Duration("mysql-duration", 3*time.Second, "length of each poolload MySQL run")
	rounds := flag.Int("rounds", 2, "MySQL runs per tool, alternated")
	pgDSN := flag.String("pg-dsn", "postgres://poolload:pl-test-pw@127.0.0.1:5432/poolload?sslmode=disable", "PostgreSQL server for part 3")
	pgRates := flag.String("pg-rates", "1000,5000", "PostgreSQL query rates per second")
	pgDur := flag.Duration("pg-duration", 3*time.Second, "length of each PostgreSQL run (whole seconds)")
	parts := flag.String("parts", "http,mysql,pg", "which parts to run")
	flag.Parse()
	if *serve != "" {
		serveHTTP(*serve, *delay)
		return
	}
	cfg := config{delay: *delay, duration: *dur, dsn: *dsn, conns: *conns, slapQueries: *queries,
		rounds: *rounds, mysqlRate: *mrate, mysqlDuration: *mdur, pgDSN: *pgDSN, pgDuration: *pgDur, parts: map[string]bool{}}
	for _, p := range strings.Split(*parts, ",") {
		cfg.parts[strings.TrimSpace(p)] = true
	}
	var err error
	if cfg.rates, err = parseRates(*rates); err != nil {
		fatal(err)
	}
	if cfg.pgRates, err = parseRates(*pgRates); err != nil {
		fatal(err)
	}
	os.Exit(run(cfg))
}

func run(cfg config) int {
	if err := requireRepoRoot(); err != nil {
		fatal(err)
	}
	tmp, err := os.MkdirTemp("", "poolload-peers-")
	if err != nil {
		fatal(err)
	}
	defer os.RemoveAll(tmp)
	fmt.Printf("poolload vs peer tools — %s, GOMAXPROCS=%d, %d CPUs, %s\n\n",
		runtime.Version(), runtime.GOMAXPROCS(0), runtime.NumCPU(), time.Now().Format("2006-01-02 15:04 MST"))
	pl, err := buildPoolload(tmp)
	if err != nil {
		fmt.Println("poolload could not be built, nothing to compare:", err)
		return 1
	}
	status := 0
	for _, p := range []struct {
		name string
		run  func(config, string, string) bool
	}{{"http", httpPart}, {"mysql", mysqlPart}, {"pg", pgPart}} {
		if !cfg.parts[p.name] {
			continue
		}
		if !p.run(cfg, tmp, pl) {
			status = 1
		}
		fmt.Println()
	}
	return status
}

// requireRepoRoot checks that the working directory is this module's root:
// poolload is built from ./cmd/poolload.
func requireRepoRoot() error {
	b, err := os.ReadFile("go.mod")
	if err != nil || !bytes.HasPrefix(b, []byte("module github.com/poolload/poolload\n")) {
		return errors.New("run from the repository root (go run ./bench/peers)")
	}
	return nil
}

func buildPoolload(tmp string) (string, error) {
	bin := tmp + "/poolload"
	out, err := exec.Command("go", "build", "-o", bin, "./cmd/poolload").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%v: %s", err, strings.TrimSpace(string(out)))
	}
	return bin, nil
}

// installVegeta installs the pinned Vegeta into tmp and returns its path.
func installVegeta(tmp string) (string, error) {
	cmd := exec.Command("go", "install", vegetaPkg)
	cmd.Dir = tmp // outside this module: go install pkg@version needs none
	cmd.Env = append(os.Environ(), "GOBIN="+tmp)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go install %s: %v: %s", vegetaPkg, err, lastLines(string(out), 5))
	}
	return tmp + "/vegeta", nil
}

func parseRates(s string) ([]int, error) {
	var rates []int
	for _, f := range strings.Split(s, ",") {
		r, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || r <= 0 {
			return nil, fmt.Errorf("-rates: bad rate %q", f)
		}
		rates = append(rates, r)
	}
	return rates, nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "peers:", err)
	os.Exit(1)
}
