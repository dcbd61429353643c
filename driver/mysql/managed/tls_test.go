package managed

import (
	"context"
	"crypto/x509"
	"database/sql"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
)

// TestGenerateTLS checks the generated chain the way a client does, for
// every name a client may dial the loopback server by.
func TestGenerateTLS(t *testing.T) {
	dir := t.TempDir()
	f, err := generateTLS(dir)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(f.caPEM) {
		t.Fatal("CA PEM does not parse")
	}
	b, err := os.ReadFile(f.cert)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	cert, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"127.0.0.1", "localhost", "::1"} {
		if _, err := cert.Verify(x509.VerifyOptions{DNSName: name, Roots: roots}); err != nil {
			t.Errorf("verify for %s: %v", name, err)
		}
	}
	if _, err := cert.Verify(x509.VerifyOptions{DNSName: "example.com", Roots: roots}); err == nil {
		t.Error("certificate verifies for example.com")
	}
	if life := cert.NotAfter.Sub(time.Now()); life > 24*time.Hour || life < 23*time.Hour {
		t.Errorf("certificate valid for another %v, want a day", life)
	}
	if st, err := os.Stat(f.key); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("key file: %v %v", st.Mode(), err)
	}
}

// TestStartTLS starts a server that requires TLS: a verifying client gets
// in over TLS, a plain one is refused, and the cached data directory
// template holds no key.
func TestStartTLS(t *testing.T) {
	if _, _, err := find(); err != nil {
		t.Fatalf("mariadbd is needed for this test (apt-get install mariadb-server): %v", err)
	}
	if _, err := StartWith(context.Background(), Options{RequireSecureTransport: true}); err == nil {
		t.Error("require_secure_transport without TLS accepted")
	}
	s, err := StartWith(context.Background(), Options{TLS: true, RequireSecureTransport: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	cfg := gomysql.NewConfig()
	cfg.User, cfg.Addr, cfg.DBName, cfg.TLS = "root", s.Addr(), "test", s.ClientTLS()
	conn, err := gomysql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(conn)
	defer db.Close()
	var name, cipher string
	if err := db.QueryRow("SHOW STATUS LIKE 'Ssl_cipher'").Scan(&name, &cipher); err != nil || cipher == "" {
		t.Errorf("Ssl_cipher %q, %v", cipher, err)
	}
	plain, err := sql.Open("mysql", s.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	err = plain.Ping()
	var me *gomysql.MySQLError
	if !errors.As(err, &me) {
		t.Errorf("plain connection to a server requiring TLS: %v", err)
	}
	t.Logf("plain connection refused: %v", err)
	if cache, err := os.UserCacheDir(); err == nil {
		pems, _ := filepath.Glob(filepath.Join(cache, "poolload", "*", "*.pem"))
		for _, p := range pems {
			if strings.Contains(p, "mariadb-datadir-") {
				t.Errorf("TLS file in the data directory template: %s", p)
			}
		}
	}
}
