package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/poolload/poolload/units"
)

// Every connection the pool opens is charged exactly once: to the
// iteration that waited for it (connecting > 0) or to
// conns_opened_by_pool, and the server saw exactly as many new
// connections for the load's user. conn_max_lifetime 300ms with twice as
// many VUs as connections makes database/sql replace each expired
// connection on its own opener goroutine, for an acquire already queued:
// no iteration's Connect call carries those.
func TestEveryConnectionChargedOnce(t *testing.T) {
	dsn, user := loadUser(t)
	d := openTest(t, &Config{DSN: dsn, MaxOpen: 2, ConnMaxLifetime: units.Duration(300 * time.Millisecond),
		Operations: []Operation{{SQL: "SELECT 1", Hold: units.Duration(20 * time.Millisecond)}}})
	srv := watchUser(t, user)
	gauges(t, d) // the deltas count from here
	trs := runVUs(context.Background(), d, 4, 35)
	g := gauges(t, d)
	seen := srv.stop()
	if n := classes(trs); n["none"] != len(trs) {
		t.Fatalf("errors: %v (%v)", n, firstErr(trs))
	}
	waited := 0
	for _, tr := range trs {
		if tr.Connecting > 0 {
			waited++
		}
	}
	opened, byPool := int(g["conns_opened"]), int(g["conns_opened_by_pool"])
	t.Logf("%d iterations: %d waited for a new connection, %d opened by the pool (%.3f ms of setup), %d opened, the server saw %d",
		len(trs), waited, byPool, g["conns_opened_by_pool_ms"], opened, seen)
	if waited+byPool != opened {
		t.Errorf("%d iterations with connecting > 0 + %d opened by the pool != %d conns_opened", waited, byPool, opened)
	}
	if opened != seen {
		t.Errorf("conns_opened %d, but the server saw %d new connections for %s", opened, seen, user)
	}
	if byPool == 0 || !(g["conns_opened_by_pool_ms"] > 0) {
		t.Errorf("no connection opened by the pool (%v ms): the opener goroutine was not exercised", g["conns_opened_by_pool_ms"])
	}
}

// loadUser creates a user of its own for the load, so that the server's
// count of its connections is the pool's alone on a shared server, and
// drops it at cleanup. It returns the user's DSN and name.
func loadUser(t *testing.T) (dsn, user string) {
	t.Helper()
	root := testDSN(t)
	db := rootDB(t, root)
	user = fmt.Sprintf("pl_load_%d", rand.IntN(1_000_000_000))
	pw := fmt.Sprintf("pw%d", rand.Uint64())
	if _, err := db.Exec("CREATE USER '" + user + "'@'%' IDENTIFIED BY '" + pw + "'"); err != nil {
		t.Fatalf("creating the load's user: %v", err)
	}
	t.Cleanup(func() {
		if _, err := db.Exec("DROP USER '" + user + "'@'%'"); err != nil {
			t.Errorf("dropping the load's user: %v", err)
		}
	})
	c, err := gomysql.ParseDSN(root)
	if err != nil {
		t.Fatal(err)
	}
	c.User, c.Passwd, c.DBName = user, pw, ""
	return c.FormatDSN(), user
}

// rootDB opens dsn for the test's own statements, closed at cleanup.
func rootDB(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// userWatch collects, from the server's process list, the ids of the
// connections of one user that were not there when it started (the
// monitoring connection was): the server's own count of the new
// connections. It polls every 2 ms, far under the life of a pooled
// connection.
type userWatch struct {
	t    *testing.T
	db   *sql.DB
	user string
	old  map[int64]bool
	seen map[int64]bool
	done chan struct{}
	wg   sync.WaitGroup
}

func watchUser(t *testing.T, user string) *userWatch {
	t.Helper()
	w := &userWatch{t: t, db: rootDB(t, testDSN(t)), user: user, old: map[int64]bool{},
		seen: map[int64]bool{}, done: make(chan struct{})}
	w.db.SetMaxOpenConns(1)
	if err := w.poll(w.old); err != nil {
		t.Fatal(err)
	}
	w.wg.Go(func() {
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-w.done:
				return
			case <-tick.C:
				if err := w.poll(w.seen); err != nil {
					t.Error(err)
					return
				}
			}
		}
	})
	return w
}

// poll adds the user's connection ids to into.
func (w *userWatch) poll(into map[int64]bool) error {
	rows, err := w.db.Query("SELECT ID FROM information_schema.PROCESSLIST WHERE USER = ?", w.user)
	if err != nil {
		return fmt.Errorf("reading the process list: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return err
		}
		into[id] = true
	}
	return rows.Err()
}

// stop polls once more and returns how many new connections were seen.
func (w *userWatch) stop() int {
	close(w.done)
	w.wg.Wait()
	if err := w.poll(w.seen); err != nil {
		w.t.Fatal(err)
	}
	n := 0
	for id := range w.seen {
		if !w.old[id] {
			n++
		}
	}
	return n
}
