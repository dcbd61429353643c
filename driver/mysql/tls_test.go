package mysql

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"

	pdriver "github.com/poolload/poolload/driver"
)

// writeCA writes a self-signed CA certificate to a file and returns its path.
func writeCA(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "other CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestValidateTLS(t *testing.T) {
	ca := writeCA(t)
	garbage := filepath.Join(t.TempDir(), "garbage.pem")
	os.WriteFile(garbage, []byte("not a certificate"), 0o644)
	dsn := "root:" + secret + "@tcp(127.0.0.1:3306)/test"
	for _, tc := range []struct {
		name string
		cfg  Config
		key  string // "" means valid
	}{
		{"verify with ca", Config{DSN: dsn, TLS: &TLSConfig{Mode: TLSVerify, CA: ca, ServerName: "db"}}, ""},
		{"skip-verify", Config{DSN: dsn, TLS: &TLSConfig{Mode: TLSSkipVerify}}, ""},
		{"empty block", Config{DSN: dsn, TLS: &TLSConfig{}}, ""},
		{"managed verify", Config{Server: ServerManaged, ServerTLS: true, RequireSecureTransport: true,
			TLS: &TLSConfig{Mode: TLSVerify}}, ""},
		{"bad mode", Config{DSN: dsn, TLS: &TLSConfig{Mode: "required"}}, "tls.mode"},
		{"missing ca", Config{DSN: dsn, TLS: &TLSConfig{Mode: TLSVerify, CA: "/nonexistent/ca.pem"}}, "tls.ca"},
		{"ca not pem", Config{DSN: dsn, TLS: &TLSConfig{Mode: TLSVerify, CA: garbage}}, "tls.ca"},
		{"ca without verify", Config{DSN: dsn, TLS: &TLSConfig{Mode: TLSSkipVerify, CA: ca}}, "tls.ca"},
		{"server_name when off", Config{DSN: dsn, TLS: &TLSConfig{ServerName: "db"}}, "tls.server_name"},
		{"dsn tls too", Config{DSN: dsn + "?tls=skip-verify", TLS: &TLSConfig{Mode: TLSVerify}}, "tls"},
		{"params tls too", Config{DSN: dsn, Params: map[string]string{"tls": "true"},
			TLS: &TLSConfig{Mode: TLSVerify}}, "params.tls"},
		{"managed without server_tls", Config{Server: ServerManaged, TLS: &TLSConfig{Mode: TLSVerify}}, "tls.mode"},
		{"server_tls on a dsn", Config{DSN: dsn, ServerTLS: true}, "server_tls"},
		{"require without server_tls", Config{Server: ServerManaged, RequireSecureTransport: true},
			"require_secure_transport"},
		{"ssl var", Config{Server: ServerManaged, ServerVars: map[string]string{"ssl-key": "/k.pem"}},
			"server_vars.ssl-key"},
	} {
		errs := tc.cfg.Validate()
		if tc.key == "" && len(errs) > 0 || tc.key != "" && errs[tc.key] == "" {
			t.Errorf("%s: Validate = %v, want an error on %q", tc.name, errs, tc.key)
		}
		for k, v := range errs {
			if strings.Contains(v, secret) {
				t.Errorf("%s: %s shows the password: %s", tc.name, k, v)
			}
		}
	}
}

// TestYAMLTLS pins the field names of the TLS options.
func TestYAMLTLS(t *testing.T) {
	text := `
server: managed
server_tls: true
require_secure_transport: true
tls: {mode: verify, server_name: localhost}
`
	var c Config
	if err := yaml.UnmarshalWithOptions([]byte(text), &c, yaml.Strict()); err != nil {
		t.Fatal(err)
	}
	if errs := c.Validate(); len(errs) > 0 {
		t.Fatal(errs)
	}
	if !c.ServerTLS || !c.RequireSecureTransport || c.TLS.Mode != TLSVerify || c.TLS.ServerName != "localhost" {
		t.Errorf("decoded %+v", c)
	}
	d := Config{DSN: "x", TLS: &TLSConfig{}}
	cp := d.withDefaults()
	if cp.TLS.Mode != TLSOff || d.TLS.Mode != "" {
		t.Errorf("defaults: copy %q, original %q; want off on the copy only", cp.TLS.Mode, d.TLS.Mode)
	}
}

// TestManagedTLS runs the TLS scenarios on one private mariadbd with a
// generated certificate that refuses plain connections.
func TestManagedTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a mariadbd")
	}
	begin := time.Now()
	base := start(t, Config{Server: ServerManaged, ServerTLS: true, RequireSecureTransport: true,
		TLS: &TLSConfig{Mode: TLSVerify}})
	t.Logf("managed TLS server ready after %v", time.Since(begin))

	t.Run("verify", func(t *testing.T) { tlsVerify(t, base) })
	t.Run("refused", func(t *testing.T) { tlsRefused(t, base) })
	t.Run("through a forwarder", func(t *testing.T) { tlsForwarded(t, base) })
	t.Run("handshake cost", func(t *testing.T) { tlsHandshakeCost(t, base) })
}

// tlsVerify: the generated CA is trusted without a ca file, the pool's
// connections are encrypted and Describe says how.
func tlsVerify(t *testing.T, base *Target) {
	d, err := base.open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if cipher := poolCipher(t, d); cipher == "" {
		t.Error("a pool connection is not encrypted: Ssl_cipher is empty")
	}
	facts := d.Describe(context.Background())
	if facts["tls"] != TLSVerify || facts["tls_version"] == "" || facts["tls_cipher"] == "" {
		t.Errorf("Describe: tls %q tls_version %q tls_cipher %q", facts["tls"], facts["tls_version"], facts["tls_cipher"])
	}
	t.Logf("negotiated %s %s", facts["tls_version"], facts["tls_cipher"])
	skip := base.Config()
	skip.TLS = &TLSConfig{Mode: TLSSkipVerify}
	ds, err := variant(base, skip).open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	if cipher := poolCipher(t, ds); cipher == "" || ds.Describe(context.Background())["tls"] != TLSSkipVerify {
		t.Errorf("skip-verify: cipher %q, facts %v", cipher, ds.Describe(context.Background()))
	}
}

// poolCipher returns Ssl_cipher as seen by one of the pool's connections.
func poolCipher(t *testing.T, d *Driver) string {
	t.Helper()
	conn, err := d.DB().Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var name, cipher string
	if err := conn.QueryRowContext(context.Background(), "SHOW STATUS LIKE 'Ssl_cipher'").Scan(&name, &cipher); err != nil {
		t.Fatal(err)
	}
	return cipher
}

// tlsRefused: a plain client is refused with a class and a message that
// names the cause; a client trusting another CA is refused too.
func tlsRefused(t *testing.T, base *Target) {
	plain := base.Config()
	plain.TLS = nil
	_, err := variant(base, plain).open(context.Background())
	var oe *OpenError
	if !errors.As(err, &oe) || oe.Class != pdriver.ClassAccessDenied ||
		!strings.Contains(err.Error(), "require_secure_transport") {
		t.Errorf("plain connection: %v, want access_denied naming require_secure_transport", err)
	}
	t.Logf("plain: %v", err)
	other := base.Config()
	other.TLS = &TLSConfig{Mode: TLSVerify, CA: writeCA(t)}
	_, err = variant(base, other).open(context.Background())
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("verify against another CA: %v, want a certificate error", err)
	}
	t.Logf("other CA: %v", err)
}

// tlsForwarded: through a forwarder listening on 127.0.0.2, a name the
// certificate does not hold, verification still passes because it checks
// the real server's name.
func tlsForwarded(t *testing.T, base *Target) {
	fw := startForwarder(t, "127.0.0.2", base.Managed().Addr())
	run := variant(base, base.Config())
	run.DialAddr = fw.addr()
	d, err := run.open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if cipher := poolCipher(t, d); cipher == "" || fw.accepted.Load() != 1 {
		t.Errorf("through the forwarder: cipher %q, %d connections forwarded, want 1", cipher, fw.accepted.Load())
	}
	// The control: checking the forwarder's name instead fails, so the
	// pass above is owed to the real name.
	wrongCfg := base.Config()
	wrongCfg.TLS = &TLSConfig{Mode: TLSVerify, ServerName: "127.0.0.2"}
	wrong := variant(base, wrongCfg)
	wrong.DialAddr = fw.addr()
	if _, err := wrong.open(context.Background()); err == nil || !strings.Contains(err.Error(), "not 127.0.0.2") {
		t.Errorf("verifying 127.0.0.2 against the server's certificate: %v, want a certificate error", err)
	}
}

// tlsHandshakeCost: fresh connections with TLS spend longer in `handshake`
// than plain ones, i.e. the TLS handshake is charged there. The server
// allows plain connections for this part only.
func tlsHandshakeCost(t *testing.T, base *Target) {
	setSecureTransport(t, base, "OFF")
	defer setSecureTransport(t, base, "ON")
	plain := base.Config()
	plain.TLS = nil
	tlsMedian := freshHandshakes(t, base, base.Config())
	plainMedian := freshHandshakes(t, base, plain)
	t.Logf("median handshake over 20 fresh connections: TLS %v, plain %v", tlsMedian, plainMedian)
	if tlsMedian <= plainMedian {
		t.Errorf("TLS handshake median %v is not above the plain one %v", tlsMedian, plainMedian)
	}
}

// freshHandshakes opens 20 connections, one per iteration (no idle
// connection is kept), and returns the median handshake.
func freshHandshakes(t *testing.T, base *Target, cfg Config) time.Duration {
	t.Helper()
	noIdle := 0
	cfg.MaxOpen, cfg.MaxIdle = 1, &noIdle
	d, err := variant(base, cfg).open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	trs := runVUs(context.Background(), d, 1, 20)
	if n := classes(trs); n["none"] != len(trs) {
		t.Fatalf("errors: %v (%v)", n, firstErr(trs))
	}
	for _, tr := range trs {
		if tr.Connecting <= 0 || tr.DNS+tr.Dial+tr.Handshake != tr.Connecting {
			t.Fatalf("iteration without a fresh connection, or parts not adding up: %+v", tr)
		}
	}
	return median(trs, func(tr pdriver.Trace) time.Duration { return tr.Handshake })
}

// setSecureTransport sets require_secure_transport on the managed server.
func setSecureTransport(t *testing.T, base *Target, v string) {
	t.Helper()
	db, _, err := base.admin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("SET GLOBAL require_secure_transport = " + v); err != nil {
		t.Fatal(err)
	}
}
