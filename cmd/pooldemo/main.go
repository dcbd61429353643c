// Command pooldemo is a small HTTP service over a MySQL connection pool,
// written the way a typical Go service is (database/sql, one *sql.DB), so
// that poolload has a service to load and a way to reproduce the classic
// pool failures on purpose: a connection leak (--leak-every), no HTTP
// keep-alive (--no-keepalive), and a cold versus a prewarmed pool. It
// exposes its pool gauges at /debug/pool (JSON) and /metrics (Prometheus).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// options are the command-line flags.
type options struct {
	addr        string
	dsn         string
	table       string
	pool        int
	prewarm     bool
	leakEvery   int
	noKeepalive bool
	log         bool
	dropOnExit  bool
	warmUp      time.Duration
	connDelay   time.Duration
}

// dialect is the database the --dsn names.
func (o options) dialect() dialect { return dialectOf(o.dsn) }

func parseFlags(args []string, out io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("pooldemo", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8089", "listen address (loopback)")
	fs.StringVar(&o.dsn, "dsn", "root@tcp(127.0.0.1:3306)/test", "the service's database: a go-sql-driver DSN (MySQL/MariaDB) or a postgres:// URL (PostgreSQL, through pgx's database/sql driver)")
	fs.StringVar(&o.table, "table", "pooldemo_items", "table the service creates, seeds and queries")
	fs.IntVar(&o.pool, "pool", 10, "pool size (SetMaxOpenConns and SetMaxIdleConns)")
	fs.BoolVar(&o.prewarm, "prewarm", false, "open the whole pool before serving")
	fs.IntVar(&o.leakEvery, "leak-every", 0, "every Nth request takes a connection and never releases it (0: never)")
	fs.BoolVar(&o.noKeepalive, "no-keepalive", false, "close the HTTP connection after every response")
	fs.BoolVar(&o.log, "log", false, "log one line per request")
	fs.BoolVar(&o.dropOnExit, "drop-table", false, "drop the table when the service stops (for tests and demos)")
	fs.DurationVar(&o.warmUp, "warm-up", 0, "for this long after start, every request is 40 ms slower without touching the pool, as a JIT or cold caches make it (0: never)")
	fs.DurationVar(&o.connDelay, "connect-delay", 0, "every new database connection waits this long before it dials, as a database across a network costs (0: none)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.pool < 1 {
		return o, fmt.Errorf("--pool must be 1 or more, got %d", o.pool)
	}
	if o.warmUp < 0 || o.connDelay < 0 {
		return o, fmt.Errorf("--warm-up and --connect-delay must be 0 or more")
	}
	if o.leakEvery < 0 {
		return o, fmt.Errorf("--leak-every must be 0 or more, got %d", o.leakEvery)
	}
	return o, nil
}

func main() {
	o, err := parseFlags(os.Args[1:], os.Stderr)
	if err != nil {
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o, nil); err != nil {
		log.Printf("pooldemo: %v", err)
		os.Exit(1)
	}
}

// run serves until ctx is cancelled. ready, if not nil, gets the listening
// address once the service accepts requests (tests use port 0).
func run(ctx context.Context, o options, ready func(addr string)) error {
	a, err := newApp(ctx, o)
	if err != nil {
		return err
	}
	defer a.close()
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", o.addr, err)
	}
	srv := &http.Server{Handler: a.routes(), ReadHeaderTimeout: 10 * time.Second}
	srv.SetKeepAlivesEnabled(!o.noKeepalive)
	if ready != nil {
		ready(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	// Leaked requests never finish: bound the drain instead of waiting.
	sctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}
