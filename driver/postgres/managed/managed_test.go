package managed

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// A managed server answers on loopback as a role that is no superuser,
// takes its settings as given, and leaves nothing behind when stopped.
func TestStartStop(t *testing.T) {
	ctx := context.Background()
	s, err := Start(ctx, map[string]string{"max_connections": "13", "idle_session_timeout": "1500"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	conn, err := pgx.Connect(ctx, s.DSN())
	if err != nil {
		t.Fatalf("connecting to %s: %v", s.DSN(), err)
	}
	var maxConns, idle, user string
	var super bool
	err = conn.QueryRow(ctx, "SELECT current_setting('max_connections'), current_setting('idle_session_timeout'), current_user, "+
		"(SELECT rolsuper FROM pg_roles WHERE rolname = current_user)").Scan(&maxConns, &idle, &user, &super)
	conn.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if maxConns != "13" || idle != "1500ms" || user != Role || super {
		t.Errorf("max_connections %s, idle_session_timeout %s, user %s (superuser %v)", maxConns, idle, user, super)
	}
	dir := s.Dir()
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("%s is still there after Stop (%v)", dir, err)
	}
	if err := s.Stop(); err != nil {
		t.Errorf("a second Stop: %v", err)
	}
}

// A setting postgres refuses fails the start with the server's own
// words, and removes the directory.
func TestBadSetting(t *testing.T) {
	// A temporary folder of its own: other tests start servers meanwhile.
	tmp, err := os.MkdirTemp("", "pl-managed-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(tmp) })
	if err := os.Chmod(tmp, 0o755); err != nil { // the postgres user goes through it
		t.Fatal(err)
	}
	t.Setenv("TMPDIR", tmp)
	before, _ := filepath.Glob(filepath.Join(os.TempDir(), dirs().Prefix+"*"))
	_, err = Start(context.Background(), map[string]string{"max_connections": "lots"})
	if err == nil || !strings.Contains(err.Error(), `invalid value for parameter "max_connections"`) {
		t.Fatalf("a start with max_connections=lots: %v; want the server's refusal", err)
	}
	t.Logf("%v", err)
	after, _ := filepath.Glob(filepath.Join(os.TempDir(), dirs().Prefix+"*"))
	if len(after) > len(before) {
		t.Errorf("a failed start left a directory: %v → %v", before, after)
	}
}
