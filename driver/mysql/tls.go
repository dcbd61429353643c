package mysql

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/poolload/poolload/driver/mysqlserver"
)

// TLS modes of the `tls:` block.
const (
	TLSOff        = "off"         // plain connections (also "" and no block)
	TLSVerify     = "verify"      // TLS, certificate checked against ca or the system roots
	TLSSkipVerify = "skip-verify" // TLS, any certificate accepted
)

// TLSConfig is the `tls:` block: how every connection to the server (the
// pool, the monitor, setup and teardown) talks TLS. The pool's handshakes
// then include the TLS handshake, which is the point of measuring it.
type TLSConfig struct {
	// Mode is off (the default), verify or skip-verify.
	Mode string `yaml:"mode" json:"mode,omitempty"`
	// CA is a PEM file of the CA certificates to trust with verify,
	// relative to the working directory. Empty means the system roots,
	// or the generated CA of a managed server with server_tls.
	CA string `yaml:"ca" json:"ca,omitempty"`
	// ServerName overrides the name the certificate is checked against
	// (and sent as SNI); empty means the DSN's host.
	ServerName string `yaml:"server_name" json:"server_name,omitempty"`
}

// tlsMode is the mode in effect: "off" for no block or an empty mode.
func (c *Config) tlsMode() string {
	if c.TLS == nil || c.TLS.Mode == "" {
		return TLSOff
	}
	return c.TLS.Mode
}

// validateTLS checks the tls block and the managed server's TLS options.
func (c *Config) validateTLS(errs map[string]string) {
	c.validateServerTLS(errs)
	if c.TLS == nil {
		return
	}
	mode := c.tlsMode()
	switch mode {
	case TLSOff, TLSVerify, TLSSkipVerify:
	default:
		errs["tls.mode"] = fmt.Sprintf("%q is not a TLS mode: use verify, skip-verify or off", c.TLS.Mode)
	}
	if c.TLS.CA != "" {
		if mode == TLSOff || mode == TLSSkipVerify {
			errs["tls.ca"] = "is only used with mode: verify"
		} else if _, err := loadCA(c.TLS.CA); err != nil {
			errs["tls.ca"] = err.Error()
		}
	}
	if c.TLS.ServerName != "" && mode == TLSOff {
		errs["tls.server_name"] = "is only used with mode: verify or skip-verify"
	}
	if _, ok := c.Params["tls"]; ok {
		errs["params.tls"] = "conflicts with the tls block: use one or the other"
	}
	if c.DSN != "" && dsnQueryKeys(c.DSN)["tls"] {
		errs["tls"] = "conflicts with the tls= parameter of the dsn: use one or the other"
	}
	if mode != TLSOff && errs["tls.mode"] == "" && c.Server == ServerManaged && !c.ServerTLS {
		errs["tls.mode"] = "needs server_tls: true (the managed server has no certificate otherwise)"
	}
}

// validateServerTLS checks server_tls and require_secure_transport.
func (c *Config) validateServerTLS(errs map[string]string) {
	if c.Server != ServerManaged {
		if c.ServerTLS {
			errs["server_tls"] = "only applies to server: managed"
		}
		if c.RequireSecureTransport {
			errs["require_secure_transport"] = "only applies to server: managed"
		}
		return
	}
	if c.RequireSecureTransport && !c.ServerTLS {
		errs["require_secure_transport"] = "needs server_tls: true"
	}
}

// loadCA reads a PEM file of CA certificates into a pool.
func loadCA(path string) (*x509.CertPool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if !filepath.IsAbs(path) {
			return nil, fmt.Errorf("reading the CA file (relative to the working directory): %w", err)
		}
		return nil, fmt.Errorf("reading the CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("%s holds no PEM certificate", path)
	}
	return pool, nil
}

// clientTLS is the tls.Config for the tls block, or nil for plain
// connections; managedCA is a managed server's generated CA, or nil. The server name stays empty unless given: the driver then
// fills in the DSN's host, which is the real server's even when the pool
// dials through DialAddr.
func (c *Config) clientTLS(managedCA *x509.CertPool) (*tls.Config, error) {
	switch c.tlsMode() {
	case TLSSkipVerify:
		return &tls.Config{InsecureSkipVerify: true, ServerName: c.TLS.ServerName}, nil
	case TLSVerify:
		roots, err := c.roots(managedCA)
		if err != nil {
			return nil, err
		}
		return &tls.Config{RootCAs: roots, ServerName: c.TLS.ServerName}, nil
	}
	return nil, nil
}

// roots are the CAs verify trusts: the ca file, else the managed server's
// generated CA, else nil (the system roots).
func (c *Config) roots(managedCA *x509.CertPool) (*x509.CertPool, error) {
	if c.TLS.CA != "" {
		pool, err := loadCA(c.TLS.CA)
		if err != nil {
			return nil, fmt.Errorf("tls.ca: %w", err)
		}
		return pool, nil
	}
	return managedCA, nil
}

// applyTLS sets gc.TLS from the tls block. Without a block (or with mode
// off) gc keeps whatever the DSN's tls= parameter said.
func (c *Config) applyTLS(gc *gomysql.Config, managedCA *x509.CertPool) error {
	if c.TLS == nil {
		return nil
	}
	tc, err := c.clientTLS(managedCA)
	if err != nil {
		return err
	}
	gc.TLS = tc
	return nil
}

// refusalHint explains an access_denied at connect time that a server
// requiring TLS gives a plain client, since MariaDB's message (1045, access
// denied) does not say so.
func (c *Config) refusalHint(err error) string {
	var me *gomysql.MySQLError
	if !errors.As(err, &me) || me.Number != mysqlserver.ErAccessDenied || c.tlsMode() != TLSOff {
		return ""
	}
	if c.RequireSecureTransport {
		return " (the managed server has require_secure_transport: connect with tls: {mode: verify})"
	}
	return " (if the server has require_secure_transport=ON, set tls: {mode: verify})"
}

// readTLSFacts records the TLS mode, and the protocol version and cipher
// the monitoring connection negotiated (the pool uses the same settings).
func (d *Driver) readTLSFacts(ctx context.Context) error {
	d.facts["tls"] = d.cfg.tlsMode()
	if d.cfg.TLS == nil {
		if gc, err := gomysql.ParseDSN(d.cfg.DSN); err == nil && gc.TLS != nil {
			d.facts["tls"] = "dsn tls=" + gc.TLSConfig
		}
	}
	rows, err := d.mon.QueryContext(ctx, "SHOW SESSION STATUS WHERE Variable_name IN ('Ssl_version', 'Ssl_cipher')")
	if err != nil {
		return fmt.Errorf("reading the TLS status: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name, value string
		if err := rows.Scan(&name, &value); err != nil {
			return fmt.Errorf("reading the TLS status: %w", err)
		}
		if value != "" {
			d.facts["tls_"+strings.TrimPrefix(strings.ToLower(name), "ssl_")] = value
		}
	}
	return rows.Err()
}

// withRefusalHint adds refusalHint to err's message, keeping err wrapped.
func (c *Config) withRefusalHint(err error) error {
	if hint := c.refusalHint(err); hint != "" {
		return fmt.Errorf("%w%s", err, hint)
	}
	return err
}
