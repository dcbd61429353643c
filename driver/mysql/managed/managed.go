// Package managed starts a private, throw-away MariaDB server: a temporary
// data directory, a free loopback port, the server variables a scenario asks
// for (wait_timeout, max_connections, ...). It lets a user reproduce
// wait_timeout deaths or "Too many connections" without touching a shared
// server. The server dies with the process that started it.
package managed

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
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
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/poolload/poolload/driver/serverdir"
)

// StartTimeout bounds how long Start waits for the server to answer.
const StartTimeout = 30 * time.Second

// ErrNotInstalled is returned (wrapped) when mariadbd cannot be found.
var ErrNotInstalled = errors.New("mariadbd not found on PATH or in /usr/sbin: " +
	"install the Debian/Ubuntu package mariadb-server (apt-get install mariadb-server), " +
	"or give target.mysql.dsn to use a server you already have")

// sbinDirs are searched for mariadbd after PATH (Debian puts it in
// /usr/sbin, often not on a user's PATH).
var sbinDirs = []string{"/usr/sbin", "/usr/libexec"}

// Server is a running private mariadbd.
type Server struct {
	dir  string
	port int
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	// Adjusted lists the variables the server did not take as given
	// (name → "asked → got"): MariaDB raises max_connections to at least 10.
	Adjusted map[string]string
	// Removed lists the directories of earlier managed servers, left by a
	// poolload that was killed, that this start removed.
	Removed []string

	tls     *tlsFiles // nil without Options.TLS
	secured bool      // require_secure_transport is on

	stopOnce sync.Once
	stopErr  error
}

// baseArgs keep the server small and quick to start: a 4 MiB redo log makes
// the data directory 20 MB instead of 110 MB; no name resolution keeps DNS
// out of the handshake we measure.
var baseArgs = []string{"--innodb-log-file-size=4M", "--innodb-temp-data-file-path=ibtmp1:1M:autoextend",
	"--skip-name-resolve"}

// Options say how StartWith sets the server up.
type Options struct {
	// Vars are mariadbd options, passed as --name=value.
	Vars map[string]string
	// TLS generates a CA and a server certificate for this server alone
	// and starts it with ssl_ca, ssl_cert and ssl_key.
	TLS bool
	// RequireSecureTransport makes the server refuse connections without
	// TLS; it needs TLS.
	RequireSecureTransport bool
}

// Start is StartWith with only server variables.
func Start(ctx context.Context, vars map[string]string) (*Server, error) {
	return StartWith(ctx, Options{Vars: vars})
}

// StartWith installs a fresh data directory, starts mariadbd on a free
// loopback port with the options, waits until it answers and creates
// database `test`. The caller must call Stop.
func StartWith(ctx context.Context, opts Options) (*Server, error) {
	if opts.RequireSecureTransport && !opts.TLS {
		return nil, errors.New("require_secure_transport needs TLS on the managed server")
	}
	mariadbd, installDB, err := find()
	if err != nil {
		return nil, err
	}
	// Best effort: a directory that cannot be removed now is tried again
	// at the next start, and must not stop this one.
	stale, _ := RemoveStale(os.TempDir())
	dir, err := os.MkdirTemp("", dirs().Prefix)
	if err != nil {
		return nil, fmt.Errorf("creating a data directory for the managed server: %w", err)
	}
	if err := serverdir.Claim(dir); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := prepareDataDir(ctx, mariadbd, installDB, filepath.Join(dir, "data")); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	// The TLS files go next to the data directory, not into it: the data
	// directory is copied from a cached template shared by every server.
	var files *tlsFiles
	if opts.TLS {
		if files, err = generateTLS(dir); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	// A free port can be taken between our probe and the server's bind:
	// try a few times before giving up.
	for attempt := 0; ; attempt++ {
		s, err := launch(ctx, mariadbd, dir, opts, files)
		if err == nil {
			if err = s.ready(ctx, opts.Vars); err == nil {
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

// find locates mariadbd and mariadb-install-db.
func find() (mariadbd, installDB string, err error) {
	mariadbd = lookup("mariadbd", sbinDirs...)
	if mariadbd == "" {
		return "", "", ErrNotInstalled
	}
	installDB = lookup("mariadb-install-db", "/usr/bin", filepath.Dir(mariadbd))
	if installDB == "" {
		installDB = lookup("mysql_install_db", "/usr/bin", filepath.Dir(mariadbd))
	}
	if installDB == "" {
		return "", "", fmt.Errorf("found %s but not mariadb-install-db: %w", mariadbd, ErrNotInstalled)
	}
	return mariadbd, installDB, nil
}

// lookup finds name on PATH or in one of dirs.
func lookup(name string, dirs ...string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// rootArgs lets mariadbd run as root, which it refuses without --user.
func rootArgs() []string {
	if os.Geteuid() == 0 {
		return []string{"--user=root"}
	}
	return nil
}

// launch starts mariadbd on a free port without waiting for it.
func launch(ctx context.Context, mariadbd, dir string, opts Options, files *tlsFiles) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	args := append([]string{"--no-defaults",
		"--datadir=" + filepath.Join(dir, "data"),
		"--socket=" + filepath.Join(dir, "s.sock"),
		"--pid-file=" + filepath.Join(dir, "mariadbd.pid"),
		"--log-error=" + filepath.Join(dir, "error.log"),
		"--port=" + strconv.Itoa(port), "--bind-address=127.0.0.1", "--skip-networking=0",
	}, rootArgs()...)
	args = append(args, baseArgs...)
	if files != nil {
		args = append(args, files.args()...)
	}
	if opts.RequireSecureTransport {
		args = append(args, "--require-secure-transport=ON")
	}
	for _, k := range slices.Sorted(maps.Keys(opts.Vars)) {
		args = append(args, "--"+k+"="+opts.Vars[k])
	}
	// Not CommandContext: the server must outlive Start's ctx.
	cmd := exec.Command(mariadbd, args...)
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", mariadbd, err)
	}
	s := &Server{dir: dir, port: port, cmd: cmd, done: make(chan struct{}),
		tls: files, secured: opts.RequireSecureTransport}
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

// ready waits until the server answers, creates `test` and reads back vars.
func (s *Server) ready(ctx context.Context, vars map[string]string) error {
	ctx, cancel := context.WithTimeout(ctx, StartTimeout)
	defer cancel()
	cfg := gomysql.NewConfig()
	cfg.User, cfg.Net, cfg.Addr = "root", "tcp", s.Addr()
	cfg.Timeout = time.Second
	cfg.Logger = &gomysql.NopLogger{}
	// With TLS the probe verifies the generated certificate, so a server
	// whose certificate a client would reject never counts as ready.
	cfg.TLS = s.ClientTLS()
	conn, err := gomysql.NewConnector(cfg)
	if err != nil {
		return fmt.Errorf("configuring a client for the managed server: %w", err)
	}
	db := sql.OpenDB(conn)
	defer db.Close()
	for {
		err = db.PingContext(ctx)
		if err == nil {
			break
		}
		select {
		case <-s.done:
			return fmt.Errorf("the managed mariadbd exited while starting: %s", s.logTail(20))
		case <-ctx.Done():
			return fmt.Errorf("the managed mariadbd did not answer within %s (%w): %s",
				StartTimeout, err, s.logTail(20))
		case <-time.After(20 * time.Millisecond):
		}
	}
	if _, err := db.ExecContext(ctx, "CREATE DATABASE IF NOT EXISTS test"); err != nil {
		return fmt.Errorf("creating database test on the managed server: %w", err)
	}
	return s.readBack(ctx, db, vars)
}

// readBack records the variables the server changed from what was asked.
func (s *Server) readBack(ctx context.Context, db *sql.DB, vars map[string]string) error {
	s.Adjusted = map[string]string{}
	for k, want := range vars {
		name := strings.ReplaceAll(k, "-", "_")
		var got string
		// name is validated as [a-z0-9_-] by the caller and cannot inject.
		if err := db.QueryRowContext(ctx, "SELECT @@GLOBAL."+name).Scan(&got); err != nil {
			continue // not a variable (an option only): nothing to compare
		}
		if !strings.EqualFold(got, want) {
			s.Adjusted[k] = want + " → " + got
		}
	}
	return nil
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// DSN is a go-sql-driver DSN for root on database test.
func (s *Server) DSN() string { return "root@tcp(" + s.Addr() + ")/test" }

// Dir is the temporary directory holding the data, socket and error log.
func (s *Server) Dir() string { return s.dir }

// TLS reports whether the server was started with a certificate.
func (s *Server) TLS() bool { return s.tls != nil }

// RequireSecureTransport reports whether the server refuses plain
// connections.
func (s *Server) RequireSecureTransport() bool { return s.secured }

// CAPEM returns the PEM of the CA that signed the server's certificate, or
// nil without TLS. The returned slice is a copy.
func (s *Server) CAPEM() []byte {
	if s.tls == nil {
		return nil
	}
	return slices.Clone(s.tls.caPEM)
}

// CAPool returns a pool holding the server's CA, or nil without TLS.
func (s *Server) CAPool() *x509.CertPool {
	if s.tls == nil {
		return nil
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(s.tls.caPEM)
	return pool
}

// ClientTLS returns a client configuration that verifies the server's
// certificate against its CA, or nil without TLS.
func (s *Server) ClientTLS() *tls.Config {
	if s.tls == nil {
		return nil
	}
	return &tls.Config{RootCAs: s.CAPool(), ServerName: "127.0.0.1"}
}

// Stop kills the server, waits for it to exit and removes its directory.
// The data is thrown away, so there is no point in a clean shutdown. Stop
// is idempotent.
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
	_ = s.cmd.Process.Kill()
	<-s.done
}

// logTail returns the end of the server's error log, for error messages.
func (s *Server) logTail(n int) string {
	b, err := os.ReadFile(filepath.Join(s.dir, "error.log"))
	if err != nil {
		return "(no error log: " + err.Error() + ")"
	}
	return "error log:\n" + tail(string(b), n)
}

// tail returns the last n lines of text.
func tail(text string, n int) string {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
