// Package tlstest makes certificates for tests: a CA, server and client
// certificates signed by it, expired ones, and the PEM files of each, all
// generated at run time (crypto/x509), never committed.
package tlstest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// CA is a certificate authority.
type CA struct {
	Cert *x509.Certificate
	Key  *ecdsa.PrivateKey
	PEM  []byte
}

// Pair is a certificate and its key, as PEM and as a tls.Certificate.
type Pair struct {
	Cert            *x509.Certificate
	CertPEM, KeyPEM []byte
	TLS             tls.Certificate
}

// serial numbers the certificates of a run; tests may make them in parallel.
var serial atomic.Int64

// NewCA makes a self-signed CA named cn.
func NewCA(t testing.TB, cn string) *CA {
	t.Helper()
	ca, err := MakeCA(cn)
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

// MakeCA is NewCA for programs that are not tests (the benchmarks).
func MakeCA(cn string) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial.Add(1)),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &CA{Cert: c, Key: key, PEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}, nil
}

// Options shape a certificate Issue makes.
type Options struct {
	CN        string
	DNS       []string
	Emails    []string
	NotBefore time.Time // zero: an hour ago
	NotAfter  time.Time // zero: in a day
	RSA       bool      // an RSA key instead of ECDSA P-256
}

// Issue makes a certificate for both server and client use, valid for
// 127.0.0.1, ::1 and localhost besides o.DNS.
func (ca *CA) Issue(t testing.TB, o Options) *Pair {
	t.Helper()
	p, err := ca.Make(o)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Make is Issue for programs that are not tests (the benchmarks).
func (ca *CA) Make(o Options) (*Pair, error) {
	var pub, priv any
	if o.RSA {
		k, err := rsaKey()
		if err != nil {
			return nil, err
		}
		pub, priv = &k.PublicKey, k
	} else {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, err
		}
		pub, priv = &k.PublicKey, k
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	if o.NotBefore.IsZero() {
		o.NotBefore = time.Now().Add(-time.Hour)
	}
	if o.NotAfter.IsZero() {
		o.NotAfter = time.Now().Add(24 * time.Hour)
	}
	tmpl := &x509.Certificate{
		SerialNumber:   big.NewInt(serial.Add(1)),
		Subject:        pkix.Name{CommonName: o.CN},
		NotBefore:      o.NotBefore,
		NotAfter:       o.NotAfter,
		KeyUsage:       x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:    []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		DNSNames:       append(append([]string{}, o.DNS...), "localhost"),
		EmailAddresses: o.Emails,
		IPAddresses:    []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, pub, ca.Key)
	if err != nil {
		return nil, err
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	p := &Pair{Cert: c,
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})}
	if p.TLS, err = tls.X509KeyPair(p.CertPEM, p.KeyPEM); err != nil {
		return nil, err
	}
	return p, nil
}

// Write writes b to dir/name with mode 0600 and returns the path.
func Write(t testing.TB, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// Files are a server's certificate files in a directory.
type Files struct {
	Dir                   string
	CA, Cert, Key         string
	CAPool                *x509.CertPool
	Authority             *CA
	Server                *Pair
	Client                *Pair // signed by the same CA, CN "client"
	ClientCert, ClientKey string
}

// NewFiles makes a CA, a server certificate (CN "server") and a client
// certificate (CN "client") in a new temporary directory.
func NewFiles(t testing.TB) *Files {
	t.Helper()
	dir := t.TempDir()
	ca := NewCA(t, "Redoubt Test CA")
	srv := ca.Issue(t, Options{CN: "server"})
	cli := ca.Issue(t, Options{CN: "client"})
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	return &Files{Dir: dir, Authority: ca, Server: srv, Client: cli, CAPool: pool,
		CA:         Write(t, dir, "ca.crt", ca.PEM),
		Cert:       Write(t, dir, "server.crt", srv.CertPEM),
		Key:        Write(t, dir, "server.key", srv.KeyPEM),
		ClientCert: Write(t, dir, "client.crt", cli.CertPEM),
		ClientKey:  Write(t, dir, "client.key", cli.KeyPEM),
	}
}

// ClientConfig is a client configuration trusting the CA, presenting pair
// (none if nil).
func (f *Files) ClientConfig(pair *Pair) *tls.Config {
	cfg := &tls.Config{RootCAs: f.CAPool, ServerName: "localhost"}
	if pair != nil {
		cfg.Certificates = []tls.Certificate{pair.TLS}
	}
	return cfg
}
