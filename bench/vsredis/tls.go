package main

import (
	"os"
	"path/filepath"
	"strconv"

	"github.com/redoubt-db/redoubt/internal/tlstest"
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
	ca, err := tlstest.MakeCA("vsredis CA")
	if err != nil {
		return nil, err
	}
	pair, err := ca.Make(tlstest.Options{CN: "vsredis"})
	if err != nil {
		return nil, err
	}
	f := &tlsFiles{ca: filepath.Join(dir, "vsredis-ca.crt"), cert: filepath.Join(dir, "vsredis.crt"), key: filepath.Join(dir, "vsredis.key")}
	for path, b := range map[string][]byte{f.ca: ca.PEM, f.cert: pair.CertPEM, f.key: pair.KeyPEM} {
		if err := os.WriteFile(path, b, 0o600); err != nil {
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
