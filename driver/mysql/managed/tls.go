package managed

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// certValidity is how long the generated certificates are valid: a managed
// server lives for one run, and a short life keeps a leaked key harmless.
const certValidity = 24 * time.Hour

// certBackdate covers clock skew between the certificate and its checker.
const certBackdate = 5 * time.Minute

// tlsFiles are the PEM files a TLS-enabled managed server is started with.
type tlsFiles struct {
	ca, cert, key string // paths
	caPEM         []byte // the CA certificate, for clients
}

// args are the mariadbd options that enable TLS with these files.
func (f *tlsFiles) args() []string {
	return []string{"--ssl-ca=" + f.ca, "--ssl-cert=" + f.cert, "--ssl-key=" + f.key}
}

// generateTLS writes a throw-away CA and a server certificate signed by it
// into dir. It runs for each server rather than once into the data
// directory template, so that no key outlives its server and no two
// servers share one. ECDSA P-256 keeps generation to a millisecond.
func generateTLS(dir string) (*tlsFiles, error) {
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating the CA key: %w", err)
	}
	caTmpl, err := certTemplate(now, "poolload managed MariaDB CA")
	if err != nil {
		return nil, err
	}
	caTmpl.IsCA = true
	caTmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("signing the CA certificate: %w", err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, fmt.Errorf("reading back the CA certificate: %w", err)
	}
	srvKey, srvDER, err := serverCert(now, caCert, caKey)
	if err != nil {
		return nil, err
	}
	return writeTLS(dir, caDER, srvDER, srvKey)
}

// serverCert makes the server's key and certificate, valid for the names a
// client may dial the loopback server by.
func serverCert(now time.Time, ca *x509.Certificate, caKey *ecdsa.PrivateKey) (*ecdsa.PrivateKey, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generating the server key: %w", err)
	}
	tmpl, err := certTemplate(now, "localhost")
	if err != nil {
		return nil, nil, err
	}
	tmpl.DNSNames = []string{"localhost"}
	tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, nil, fmt.Errorf("signing the server certificate: %w", err)
	}
	return key, der, nil
}

// certTemplate is what the CA and server certificates share.
func certTemplate(now time.Time, cn string) (*x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("drawing a certificate serial number: %w", err)
	}
	return &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{Organization: []string{"poolload"}, CommonName: cn},
		NotBefore:             now.Add(-certBackdate),
		NotAfter:              now.Add(certValidity),
		BasicConstraintsValid: true,
	}, nil
}

// writeTLS writes the PEM files; the key is readable by its owner only
// (mariadbd runs as the same user).
func writeTLS(dir string, caDER, srvDER []byte, key *ecdsa.PrivateKey) (*tlsFiles, error) {
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encoding the server key: %w", err)
	}
	f := &tlsFiles{
		ca:    filepath.Join(dir, "ca.pem"),
		cert:  filepath.Join(dir, "server-cert.pem"),
		key:   filepath.Join(dir, "server-key.pem"),
		caPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
	}
	for _, w := range []struct {
		path string
		data []byte
		perm os.FileMode
	}{
		{f.ca, f.caPEM, 0o644},
		{f.cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srvDER}), 0o644},
		{f.key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600},
	} {
		if err := os.WriteFile(w.path, w.data, w.perm); err != nil {
			return nil, fmt.Errorf("writing the managed server's TLS files: %w", err)
		}
	}
	return f, nil
}
