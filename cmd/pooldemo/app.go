package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log"
	"math/rand/v2"
	"net/http"
	"regexp"
	"sync"
	"sync/atomic"
	"time"
)

// seedRows is how many rows the table gets; /select picks one at random.
const seedRows = 1000

var tableName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)

// app is the service: one pool, as in a typical service.
type app struct {
	o       options
	db      *sql.DB
	reqs    atomic.Int64
	started time.Time

	mu     sync.Mutex
	leaked []*sql.Conn // kept only so close can release them at exit
}

func newApp(ctx context.Context, o options) (*app, error) {
	if !tableName.MatchString(o.table) {
		return nil, fmt.Errorf("--table %q is not a plain table name", o.table)
	}
	db, err := o.dialect().open(o.dsn, o.connDelay)
	if err != nil {
		return nil, fmt.Errorf("opening the database pool: %w", err) // not the DSN: it may hold a password
	}
	db.SetMaxOpenConns(o.pool)
	db.SetMaxIdleConns(o.pool) // not the default 2, which would cool the pool
	a := &app{o: o, db: db, started: time.Now()}
	if err := a.setup(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if o.prewarm {
		if err := a.prewarm(ctx); err != nil {
			db.Close()
			return nil, err
		}
	}
	return a, nil
}

// setup creates and seeds the table if it is empty.
func (a *app) setup(ctx context.Context) error {
	ddl := "CREATE TABLE IF NOT EXISTS " + a.o.table +
		" (id INT PRIMARY KEY, name VARCHAR(64) NOT NULL, qty INT NOT NULL DEFAULT 0)"
	if _, err := a.db.ExecContext(ctx, ddl); err != nil {
		return fmt.Errorf("create table %s: %w", a.o.table, err)
	}
	if _, err := a.db.ExecContext(ctx, a.o.dialect().seed(a.o.table, seedRows)); err != nil {
		return fmt.Errorf("seed %s (on MariaDB, needs its sequence engine): %w", a.o.table, err)
	}
	return nil
}

// prewarm opens the whole pool at once, then releases it idle.
func (a *app) prewarm(ctx context.Context) error {
	conns := make([]*sql.Conn, 0, a.o.pool)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range a.o.pool {
		c, err := a.db.Conn(ctx)
		if err != nil {
			return fmt.Errorf("prewarm: %w", err)
		}
		if err := c.PingContext(ctx); err != nil {
			return fmt.Errorf("prewarm: %w", err)
		}
		conns = append(conns, c)
	}
	return nil
}

func (a *app) close() {
	a.mu.Lock()
	for _, c := range a.leaked {
		c.Close()
	}
	a.mu.Unlock()
	if a.o.dropOnExit {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, _ = a.db.ExecContext(ctx, "DROP TABLE IF EXISTS "+a.o.table)
		cancel()
	}
	a.db.Close()
}

func (a *app) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /select", a.data(a.selectOne))
	mux.HandleFunc("GET /list", a.data(a.list))
	mux.HandleFunc("GET /slow", a.data(a.slow))
	mux.HandleFunc("POST /write", a.data(a.write))
	mux.HandleFunc("GET /debug/pool", a.poolJSON)
	mux.HandleFunc("GET /metrics", a.metrics)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	if !a.o.log {
		return mux
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		mux.ServeHTTP(w, r)
		log.Printf("%s %s %v", r.Method, r.URL.Path, time.Since(start))
	})
}

// querier is what both *sql.DB and *sql.Conn offer, so a handler runs the
// same code on the pool or on a connection the leaky path took.
type querier interface {
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
}

// data wraps a database endpoint: the leak, then the query, then the reply.
func (a *app) data(h func(ctx context.Context, q querier) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a.warmingUp()
		q, err := a.maybeLeak(r.Context())
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		v, err := h(r.Context(), q)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(v)
	}
}

// warmUpCost is what a request costs a process that is still warming up.
const warmUpCost = 40 * time.Millisecond

// warmingUp stands for a process's own cold start (a JIT compiling hot
// paths, caches filling, classes loading): for --warm-up after start each
// request takes warmUpCost longer, and the pool has nothing to do with it.
func (a *app) warmingUp() {
	if a.o.warmUp > 0 && time.Since(a.started) < a.o.warmUp {
		time.Sleep(warmUpCost)
	}
}

// maybeLeak is the bug on purpose: every Nth request takes a connection of
// its own, runs on it, and only an error path (that never runs) would
// release it. The pool shrinks by one each time until, with --pool P and
// --leak-every 1, request P+1 waits for a connection until its context ends.
func (a *app) maybeLeak(ctx context.Context) (querier, error) {
	n := a.reqs.Add(1)
	if a.o.leakEvery == 0 || n%int64(a.o.leakEvery) != 0 {
		return a.db, nil
	}
	c, err := a.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("leaky path: %w", err)
	}
	a.mu.Lock()
	a.leaked = append(a.leaked, c)
	a.mu.Unlock()
	return c, nil
}

type item struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
	Qty  int    `json:"qty"`
}

func (a *app) selectOne(ctx context.Context, q querier) (any, error) {
	var it item
	stmt := a.o.dialect().q("SELECT id, name, qty FROM " + a.o.table + " WHERE id = ?")
	if err := q.QueryRowContext(ctx, stmt, 1+rand.IntN(seedRows)).Scan(&it.ID, &it.Name, &it.Qty); err != nil {
		return nil, fmt.Errorf("select: %w", err)
	}
	return it, nil
}

// list runs two queries, each on its own pool checkout, like a page that
// shows a count and a page of rows.
func (a *app) list(ctx context.Context, q querier) (any, error) {
	var total int
	if err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+a.o.table).Scan(&total); err != nil {
		return nil, fmt.Errorf("count: %w", err)
	}
	rows, err := q.QueryContext(ctx, "SELECT id, name, qty FROM "+a.o.table+" ORDER BY id LIMIT 10")
	if err != nil {
		return nil, fmt.Errorf("list: %w", err)
	}
	defer rows.Close()
	items := make([]item, 0, 10)
	for rows.Next() {
		var it item
		if err := rows.Scan(&it.ID, &it.Name, &it.Qty); err != nil {
			return nil, fmt.Errorf("list: %w", err)
		}
		items = append(items, it)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list: %w", err)
	}
	return map[string]any{"total": total, "items": items}, nil
}

func (a *app) slow(ctx context.Context, q querier) (any, error) {
	var v int
	if err := q.QueryRowContext(ctx, a.o.dialect().sleep50()).Scan(&v); err != nil {
		return nil, fmt.Errorf("slow: %w", err)
	}
	return map[string]int{"slept_ms": 50}, nil
}

// write bumps a row inside a transaction, holding one connection for both
// statements as a real write path does.
func (a *app) write(ctx context.Context, q querier) (any, error) {
	tx, err := q.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	id := 1 + rand.IntN(seedRows)
	if _, err := tx.ExecContext(ctx, a.o.dialect().q("UPDATE "+a.o.table+" SET qty = qty + 1 WHERE id = ?"), id); err != nil {
		return nil, fmt.Errorf("update: %w", err)
	}
	var qty int
	if err := tx.QueryRowContext(ctx, a.o.dialect().q("SELECT qty FROM "+a.o.table+" WHERE id = ?"), id).Scan(&qty); err != nil {
		return nil, fmt.Errorf("read back: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	return map[string]int{"id": id, "qty": qty}, nil
}
