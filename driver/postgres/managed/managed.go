// Package managed starts a private, throw-away PostgreSQL server: a
// temporary data directory made by initdb, a free loopback port, the
// settings a scenario asks for (max_connections, idle_session_timeout,
// ...) passed as -c name=value. It lets a user reproduce "too many
// clients" or idle-session deaths without touching a shared server. The
// server dies with the process that started it.
package managed

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/poolload/poolload/driver/serverdir"
)

// StartTimeout bounds how long Start waits for the server to answer.
const StartTimeout = 60 * time.Second

// StopTimeout bounds the immediate shutdown before the server is killed.
const StopTimeout = 10 * time.Second

// Role and Database are what the managed server's DSN connects as: a role
// that is no superuser, so that superuser_reserved_connections apply to
// the load as they do to an application's user, and a database it owns.
const (
	Role     = "poolload"
	Database = "poolload"
)

// ErrNotInstalled is returned (wrapped) when initdb or postgres cannot be
// found.
var ErrNotInstalled = errors.New("initdb and postgres not found on PATH or in /usr/lib/postgresql/*/bin: " +
	"install the Debian/Ubuntu package postgresql (apt-get install postgresql), " +
	"or give target.postgres.dsn to use a server you already have")

// Server is a running private postgres.
type Server struct {
	dir  string
	port int
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	// Removed lists the directories of earlier managed servers, left by a
	// poolload that was killed, that this start removed.
	Removed []string

	stopOnce sync.Once
	stopErr  error
}

// Start makes a fresh data directory, starts postgres on a free loopback
// port with vars as -c settings, waits until it answers and creates the
// role and database of DSN. The caller must call Stop.
func Start(ctx context.Context, vars map[string]string) (*Server, error) {
	bin, err := find()
	if err != nil {
		return nil, err
	}
	owner, err := serverUser()
	if err != nil {
		return nil, err
	}
	// Best effort: a directory that cannot be removed now is tried again
	// at the next start, and must not stop this one.
	stale, _ := RemoveStale(os.TempDir())
	dir, err := os.MkdirTemp("", dirs().Prefix)
	if err != nil {
		return nil, fmt.Errorf("creating a directory for the managed server: %w", err)
	}
	if err := serverdir.Claim(dir); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := owner.own(dir); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := initdb(ctx, bin, owner, dir); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	// A free port can be taken between our probe and the server's bind:
	// try a few times before giving up.
	for attempt := 0; ; attempt++ {
		s, err := launch(bin, owner, dir, vars)
		if err == nil {
			if err = s.ready(ctx); err == nil {
				s.Removed = stale
				return s, nil
			}
			s.kill()
		}
		if attempt == 2 || !strings.Contains(err.Error(), "in use") || ctx.Err() != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
}

// find locates the directory of initdb and postgres: PATH first, then
// Debian's /usr/lib/postgresql/VERSION/bin, the newest version.
func find() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if dir := filepath.Dir(p); executable(filepath.Join(dir, "postgres")) {
			return dir, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int { return version(b) - version(a) })
	for _, d := range dirs {
		if executable(filepath.Join(d, "initdb")) && executable(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	return "", ErrNotInstalled
}

// version is the major version in /usr/lib/postgresql/VERSION/bin.
func version(dir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return v
}

func executable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

// initdb creates the cluster: trust authentication (only loopback
// connections reach it), no fsync while creating it, which is throw-away
// data.
func initdb(ctx context.Context, bin string, owner account, dir string) error {
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), "-D", filepath.Join(dir, "data"),
		"-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions")
	cmd.SysProcAttr = owner.attr(false)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("creating the managed server's data directory with initdb: %w\n%s", err, tail(string(out), 15))
	}
	return nil
}

// launch starts postgres on a free port without waiting for it. Its log
// goes to DIR/postgres.log. The server listens on loopback only and has
// no Unix socket.
func launch(bin string, owner account, dir string, vars map[string]string) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	logf, err := os.OpenFile(filepath.Join(dir, "postgres.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening the managed server's log: %w", err)
	}
	defer logf.Close()
	args := []string{"-D", filepath.Join(dir, "data"), "-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "logging_collector=off"}
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		args = append(args, "-c", k+"="+vars[k])
	}
	// Not CommandContext: the server must outlive Start's ctx.
	cmd := exec.Command(filepath.Join(bin, "postgres"), args...)
	cmd.SysProcAttr = owner.attr(true)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", cmd.Path, err)
	}
	s := &Server{dir: dir, port: port, cmd: cmd, done: make(chan struct{})}
	go func() {
		cmd.Wait()
		close(s.done)
	}()
	return s, nil
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free loopback port for the managed server: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// ready waits until the server answers, then creates the load's role and
// database.
func (s *Server) ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, StartTimeout)
	defer cancel()
	cc, err := pgx.ParseConfig("postgres://postgres@" + s.Addr() + "/postgres?sslmode=disable&connect_timeout=1")
	if err != nil {
		return err
	}
	var conn *pgx.Conn
	for {
		conn, err = pgx.ConnectConfig(ctx, cc)
		if err == nil {
			break
		}
		select {
		case <-s.done:
			return fmt.Errorf("the managed postgres exited while starting: %s", s.logTail(20))
		case <-ctx.Done():
			return fmt.Errorf("the managed postgres did not answer within %s (%w): %s", StartTimeout, err, s.logTail(20))
		case <-time.After(20 * time.Millisecond):
		}
	}
	defer conn.Close(context.Background())
	for _, q := range []string{
		"CREATE ROLE " + Role + " LOGIN",
		"GRANT pg_monitor TO " + Role,
		"CREATE DATABASE " + Database + " OWNER " + Role,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			return fmt.Errorf("preparing the managed server (%s): %w", q, err)
		}
	}
	return nil
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// DSN is a URL for the load's role on its database.
func (s *Server) DSN() string {
	return "postgres://" + Role + "@" + s.Addr() + "/" + Database + "?sslmode=disable"
}

// SuperuserDSN is a URL for the superuser, for tests and setup that need
// one.
func (s *Server) SuperuserDSN() string {
	return "postgres://postgres@" + s.Addr() + "/" + Database + "?sslmode=disable"
}

// Dir is the temporary directory holding the data and the log.
func (s *Server) Dir() string { return s.dir }

// Stop shuts the server down at once (SIGQUIT: no checkpoint, the data is
// thrown away, but the shared memory is released), kills it if it does
// not exit, and removes its directory. Stop is idempotent.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		s.kill()
		if err := os.RemoveAll(s.dir); err != nil {
			s.stopErr = fmt.Errorf("removing the managed server's directory: %w", err)
		}
	})
	return s.stopErr
}

// kill ends the process and waits until it has exited.
func (s *Server) kill() {
	_ = s.cmd.Process.Signal(syscall.SIGQUIT)
	select {
	case <-s.done:
	case <-time.After(StopTimeout):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// logTail returns the end of the server's log, for error messages.
func (s *Server) logTail(n int) string {
	b, err := os.ReadFile(filepath.Join(s.dir, "postgres.log"))
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	return "log:\n" + tail(string(b), n)
}

// tail returns the last n lines of text.
func tail(text string, n int) string {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
