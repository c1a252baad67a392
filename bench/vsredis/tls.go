package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// TLS rows (issue 10): both servers get a TLS listener beside their plain
// port, with a certificate made for the run, and the *-tls tests run
// redis-benchmark --tls against it, presenting the same certificate as the
// client's (tls-auth-clients yes, both servers' default).

// tlsFiles are a run's CA, and a certificate and key signed by it that
// serve both as the servers' and as redis-benchmark's.
type tlsFiles struct{ ca, cert, key string }

// benchTLS are the run's files, made by startPair the first time.
var benchTLS *tlsFiles

// makeTLSFiles writes a CA and a certificate for 127.0.0.1 into dir.
func makeTLSFiles(dir string) (*tlsFiles, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "vsredis CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(7 * 24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "vsredis"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(7 * 24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	f := &tlsFiles{ca: filepath.Join(dir, "vsredis-ca.crt"), cert: filepath.Join(dir, "vsredis.crt"), key: filepath.Join(dir, "vsredis.key")}
	for path, blk := range map[string]*pem.Block{
		f.ca:   {Type: "CERTIFICATE", Bytes: caDER},
		f.cert: {Type: "CERTIFICATE", Bytes: der},
		f.key:  {Type: "PRIVATE KEY", Bytes: keyDER},
	} {
		if err := os.WriteFile(path, pem.EncodeToMemory(blk), 0o600); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// serverArgs are a server's TLS directives, listening on port.
func (f *tlsFiles) serverArgs(port int) []string {
	return []string{"--tls-port", strconv.Itoa(port), "--tls-cert-file", f.cert, "--tls-key-file", f.key, "--tls-ca-cert-file", f.ca}
}

// benchmarkOptions make redis-benchmark connect over TLS with the
// certificate.
func (f *tlsFiles) benchmarkOptions() []string {
	return []string{"--tls", "--cacert", f.ca, "--cert", f.cert, "--key", f.key}
}

// tlsSuffix marks the rows of the TLS tests; reconnectSuffix the rows of
// the test that opens a new connection for every request.
const (
	tlsSuffix       = " (TLS)"
	reconnectSuffix = " (TLS, a new connection and handshake per request)"
)
