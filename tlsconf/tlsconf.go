// Package tlsconf builds the crypto/tls configuration of a Redis-compatible
// server from Redis's tls-* directives: certificate and key files (the key
// possibly encrypted with a passphrase), the CA file or directory client
// certificates are verified against (never the system store), client
// authentication, protocols, and OpenSSL-style cipher lists mapped to what
// Go's TLS offers.
//
// Load is all or nothing: it reads and checks everything, and either returns
// a complete Bundle or an error naming the directive and file at fault, in
// the words Redis logs where Redis has them ("Failed to load certificate:
// FILE: …"). A value Go cannot honour (TLSv1, a cipher Go does not
// implement, TLS 1.3 suites other than Go's three, DH parameters) is
// refused with the name, never ignored.
package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// AuthClients is tls-auth-clients: whether client certificates are
// required, ignored, or checked when sent.
type AuthClients int

const (
	AuthYes      AuthClients = iota // required and verified (Redis's default)
	AuthNo                          // neither asked for nor accepted
	AuthOptional                    // verified if the client sends one
)

// ParseAuthClients parses tls-auth-clients' value (yes, no, optional; any
// case).
func ParseAuthClients(s string) (AuthClients, error) {
	switch strings.ToLower(s) {
	case "yes":
		return AuthYes, nil
	case "no":
		return AuthNo, nil
	case "optional":
		return AuthOptional, nil
	}
	return 0, fmt.Errorf("tls-auth-clients must be yes, no or optional, not %q", s)
}

func (a AuthClients) String() string {
	switch a {
	case AuthNo:
		return "no"
	case AuthOptional:
		return "optional"
	}
	return "yes"
}

// Config holds the tls-* directives, as their values read in a config file
// ("" for a string directive that is not set).
type Config struct {
	CertFile    string // tls-cert-file
	KeyFile     string // tls-key-file
	KeyFilePass string // tls-key-file-pass
	// Outgoing connections' certificate (tls-client-cert-file,
	// tls-client-key-file, tls-client-key-file-pass); CertFile and KeyFile
	// when unset, as in Redis.
	ClientCertFile, ClientKeyFile, ClientKeyFilePass string
	CAFile                                           string      // tls-ca-cert-file
	CADir                                            string      // tls-ca-cert-dir
	AuthClients                                      AuthClients // tls-auth-clients
	// Protocols is tls-protocols: "" means TLSv1.2 and TLSv1.3.
	Protocols string
	// Ciphers is tls-ciphers (TLS 1.2), OpenSSL's syntax; "" means Go's
	// default suites.
	Ciphers string
	// CipherSuites is tls-ciphersuites (TLS 1.3): Go always offers its
	// three TLS 1.3 suites, so only a list of exactly those is accepted.
	CipherSuites string
	// PreferServerCiphers is tls-prefer-server-ciphers. Go's TLS always
	// picks the suite itself (by the hardware's AES support, then the
	// client's order); the value is accepted and changes nothing.
	PreferServerCiphers bool
	// SessionCaching (tls-session-caching) turns TLS session resumption
	// on; Go resumes with tickets, not a server-side cache, so
	// SessionCacheSize (tls-session-cache-size) has no effect, while
	// SessionCacheTimeout (tls-session-cache-timeout, seconds) bounds a
	// ticket's age.
	SessionCaching      bool
	SessionCacheSize    int
	SessionCacheTimeout int
	// DHParamsFile is tls-dh-params-file: Go has no finite-field
	// Diffie-Hellman key exchange, so setting it is refused.
	DHParamsFile string
}

// Defaults returns Redis's defaults: client certificates required, session
// caching on with 20480 entries for 300 seconds.
func Defaults() Config {
	return Config{AuthClients: AuthYes, SessionCaching: true, SessionCacheSize: 20480, SessionCacheTimeout: 300}
}

// Bundle is a loaded configuration.
type Bundle struct {
	// Server is the listeners' configuration; Client the one for
	// outgoing connections (its RootCAs are the CA certificates).
	Server *tls.Config
	Client *tls.Config
	// Leaf is the server certificate.
	Leaf *x509.Certificate
	// Files are the files Load read (a CA directory's included), for a
	// watcher to notice changes (Stamp).
	Files []string
}

// Limits on what Load reads, so that a wrong path (a device, a huge log)
// costs little.
const (
	maxFileSize  = 1 << 20 // a PEM file
	maxCAFiles   = 10000   // files in tls-ca-cert-dir
	maxPBKDF2Its = 10_000_000
)

// Load checks c and builds the TLS configuration it describes; now is the
// time certificates must be valid at (time.Now() in a server). It is all or
// nothing.
func Load(c Config, now time.Time) (*Bundle, error) {
	if c.CertFile == "" {
		return nil, errors.New("No tls-cert-file configured!")
	}
	if c.KeyFile == "" {
		return nil, errors.New("No tls-key-file configured!")
	}
	if c.AuthClients != AuthNo && c.CAFile == "" && c.CADir == "" {
		return nil, errors.New("Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, tls-replication or tls-auth-clients are enabled!")
	}
	minV, maxV, err := ParseProtocols(c.Protocols)
	if err != nil {
		return nil, err
	}
	if c.DHParamsFile != "" {
		return nil, fmt.Errorf("Failed to load DH params file: %s: not supported: Go's TLS has no finite-field Diffie-Hellman key exchange (it always uses ECDHE); leave tls-dh-params-file unset", c.DHParamsFile)
	}
	suites, err := ParseCiphers(c.Ciphers)
	if err != nil {
		return nil, err
	}
	if err := checkCipherSuites(c.CipherSuites); err != nil {
		return nil, err
	}
	if c.SessionCacheSize < 0 || c.SessionCacheTimeout < 0 {
		return nil, errors.New("tls-session-cache-size and tls-session-cache-timeout must not be negative")
	}
	var files []string
	cert, leaf, err := loadKeyPair(c.CertFile, c.KeyFile, c.KeyFilePass, now)
	if err != nil {
		return nil, err
	}
	files = append(files, c.CertFile, c.KeyFile)
	clientCert := cert
	if c.ClientCertFile != "" || c.ClientKeyFile != "" {
		if c.ClientCertFile == "" || c.ClientKeyFile == "" {
			return nil, errors.New("tls-client-cert-file and tls-client-key-file go together: set both or neither")
		}
		if clientCert, _, err = loadKeyPair(c.ClientCertFile, c.ClientKeyFile, c.ClientKeyFilePass, now); err != nil {
			return nil, err
		}
		files = append(files, c.ClientCertFile, c.ClientKeyFile)
	}
	var pool *x509.CertPool
	if c.CAFile != "" || c.CADir != "" {
		var caFiles []string
		pool, caFiles, err = loadCAs(c.CAFile, c.CADir)
		if err != nil {
			return nil, fmt.Errorf("Failed to configure CA certificate(s) file/directory: %w", err)
		}
		files = append(files, caFiles...)
	}
	srv := &tls.Config{
		Certificates:           []tls.Certificate{cert},
		MinVersion:             minV,
		MaxVersion:             maxV,
		CipherSuites:           suites,
		ClientCAs:              pool,
		SessionTicketsDisabled: !c.SessionCaching,
	}
	switch c.AuthClients {
	case AuthYes:
		srv.ClientAuth = tls.RequireAndVerifyClientCert
	case AuthOptional:
		srv.ClientAuth = tls.VerifyClientCertIfGiven
	default:
		srv.ClientAuth = tls.NoClientCert
	}
	if c.SessionCaching && c.SessionCacheTimeout > 0 {
		limitTicketAge(srv, time.Duration(c.SessionCacheTimeout)*time.Second)
	}
	cli := &tls.Config{
		Certificates: []tls.Certificate{clientCert},
		RootCAs:      pool,
		MinVersion:   minV,
		MaxVersion:   maxV,
		CipherSuites: suites,
	}
	return &Bundle{Server: srv, Client: cli, Leaf: leaf, Files: files}, nil
}

// ParseProtocols parses tls-protocols: TLSv1.2 and TLSv1.3, any case,
// separated by spaces; "" means both. TLSv1 and TLSv1.1, which Redis
// accepts, are refused: they are broken, and Go's server would need an
// insecure setting for them.
func ParseProtocols(s string) (minV, maxV uint16, err error) {
	if strings.TrimSpace(s) == "" {
		return tls.VersionTLS12, tls.VersionTLS13, nil
	}
	for _, tok := range strings.Split(s, " ") {
		var v uint16
		switch strings.ToLower(tok) {
		case "":
			continue
		case "tlsv1.2":
			v = tls.VersionTLS12
		case "tlsv1.3":
			v = tls.VersionTLS13
		case "tlsv1", "tlsv1.1":
			return 0, 0, fmt.Errorf("Invalid tls-protocols specified: %s is refused (obsolete and insecure); use TLSv1.2 and/or TLSv1.3", tok)
		default:
			return 0, 0, errors.New("Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'.")
		}
		if minV == 0 || v < minV {
			minV = v
		}
		maxV = max(maxV, v)
	}
	if minV == 0 {
		return tls.VersionTLS12, tls.VersionTLS13, nil
	}
	return minV, maxV, nil
}

// goTLS13Suites are the TLS 1.3 suites Go's TLS always offers, by their
// OpenSSL (and IANA) names.
var goTLS13Suites = []string{"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"}

// checkCipherSuites checks tls-ciphersuites: Go's TLS 1.3 suites cannot be
// chosen, so the only list honoured is one naming exactly Go's three.
func checkCipherSuites(s string) error {
	if s == "" {
		return nil
	}
	seen := map[string]bool{}
	for _, name := range strings.Split(s, ":") {
		if !slices.Contains(goTLS13Suites, name) {
			return fmt.Errorf("Failed to configure ciphersuites: %s: Go's TLS does not offer TLS 1.3 suite '%s' (it offers %s)", s, name, strings.Join(goTLS13Suites, ":"))
		}
		seen[name] = true
	}
	for _, name := range goTLS13Suites {
		if !seen[name] {
			return fmt.Errorf("Failed to configure ciphersuites: %s: Go's TLS always offers TLS 1.3 suite '%s' and cannot leave it out; list all of %s or leave tls-ciphersuites unset", s, name, strings.Join(goTLS13Suites, ":"))
		}
	}
	return nil
}

// readLimited reads a file of at most maxFileSize bytes.
func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil {
		return nil, err
	} else if !fi.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	b, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxFileSize {
		return nil, fmt.Errorf("larger than %d bytes", maxFileSize)
	}
	return b, nil
}

// loadKeyPair reads a certificate chain and its private key, decrypting the
// key with pass if it is encrypted, and checks that they match and that the
// certificate is valid at now.
func loadKeyPair(certFile, keyFile, pass string, now time.Time) (tls.Certificate, *x509.Certificate, error) {
	certPEM, err := readLimited(certFile)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("Failed to load certificate: %s: %v", certFile, err)
	}
	var chain [][]byte
	for rest := certPEM; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type == "CERTIFICATE" {
			chain = append(chain, b.Bytes)
		}
	}
	if len(chain) == 0 {
		return tls.Certificate{}, nil, fmt.Errorf("Failed to load certificate: %s: no PEM certificate found", certFile)
	}
	leaf, err := x509.ParseCertificate(chain[0])
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("Failed to load certificate: %s: %v", certFile, err)
	}
	if now.After(leaf.NotAfter) {
		return tls.Certificate{}, nil, fmt.Errorf("Failed to load certificate: %s: expired on %s", certFile, leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	if now.Before(leaf.NotBefore) {
		return tls.Certificate{}, nil, fmt.Errorf("Failed to load certificate: %s: not valid before %s", certFile, leaf.NotBefore.UTC().Format(time.RFC3339))
	}
	keyPEM, err := readLimited(keyFile)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("Failed to load private key: %s: %v", keyFile, err)
	}
	keyDER, keyType, err := decodeKey(keyPEM, pass)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("Failed to load private key: %s: %v", keyFile, err)
	}
	var certs []byte
	for _, der := range chain {
		certs = append(certs, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	pair, err := tls.X509KeyPair(certs, pem.EncodeToMemory(&pem.Block{Type: keyType, Bytes: keyDER}))
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("Failed to load private key: %s: %v", keyFile, err)
	}
	return pair, leaf, nil
}

// loadCAs builds the pool of CA certificates from a file and/or a
// directory, and returns the files that gave certificates. A file with no
// certificate, or a directory none of whose files holds one, is an error;
// in a directory, files that are not PEM certificates are skipped, as
// OpenSSL skips what its hashed lookup never names.
func loadCAs(file, dir string) (*x509.CertPool, []string, error) {
	pool := x509.NewCertPool()
	var used []string
	if file != "" {
		b, err := readLimited(file)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %v", file, err)
		}
		n, err := addPEMCerts(pool, b)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %v", file, err)
		}
		if n == 0 {
			return nil, nil, fmt.Errorf("%s: no PEM certificate found", file)
		}
		used = append(used, file)
	}
	if dir != "" {
		ents, err := os.ReadDir(dir)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %v", dir, err)
		}
		if len(ents) > maxCAFiles {
			return nil, nil, fmt.Errorf("%s: more than %d files", dir, maxCAFiles)
		}
		found := 0
		for _, e := range ents {
			p := filepath.Join(dir, e.Name())
			b, err := readLimited(p)
			if err != nil {
				continue // a subdirectory, a socket, an unreadable file
			}
			if n, err := addPEMCerts(pool, b); err == nil && n > 0 {
				found += n
				used = append(used, p)
			}
		}
		if found == 0 {
			return nil, nil, fmt.Errorf("%s: no file holds a PEM CA certificate", dir)
		}
		used = append(used, dir)
	}
	return pool, used, nil
}

// addPEMCerts adds b's PEM certificates to pool; one that does not parse is
// an error.
func addPEMCerts(pool *x509.CertPool, b []byte) (int, error) {
	n := 0
	for rest := b; ; {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			return n, nil
		}
		if blk.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return n, err
		}
		pool.AddCert(c)
		n++
	}
}

// Stamp summarizes the size and modification time of files (a directory's
// entries included), so that a watcher can tell whether any changed since
// it last looked. A file that cannot be read stamps as missing.
func Stamp(files []string) string {
	var sb strings.Builder
	for _, f := range files {
		fi, err := os.Stat(f)
		if err != nil {
			fmt.Fprintf(&sb, "%s:missing;", f)
			continue
		}
		fmt.Fprintf(&sb, "%s:%d:%d;", f, fi.Size(), fi.ModTime().UnixNano())
		if fi.IsDir() {
			ents, _ := os.ReadDir(f)
			for _, e := range ents {
				sb.WriteString(e.Name())
				sb.WriteByte(',')
			}
		}
	}
	return sb.String()
}

// limitTicketAge makes cfg's session tickets carry their issue time, sealed
// inside the ticket with the session, and refuses to resume from one older
// than maxAge (tls-session-cache-timeout).
func limitTicketAge(cfg *tls.Config, maxAge time.Duration) {
	cfg.WrapSession = func(cs tls.ConnectionState, ss *tls.SessionState) ([]byte, error) {
		var ts [8]byte
		binary.BigEndian.PutUint64(ts[:], uint64(time.Now().Unix()))
		ss.Extra = append(ss.Extra, append([]byte("redoubt-issued:"), ts[:]...))
		return cfg.EncryptTicket(cs, ss)
	}
	cfg.UnwrapSession = func(identity []byte, cs tls.ConnectionState) (*tls.SessionState, error) {
		ss, err := cfg.DecryptTicket(identity, cs)
		if err != nil || ss == nil {
			return nil, err
		}
		for _, e := range ss.Extra {
			if v, ok := strings.CutPrefix(string(e), "redoubt-issued:"); ok && len(v) == 8 {
				issued := time.Unix(int64(binary.BigEndian.Uint64([]byte(v))), 0)
				if time.Since(issued) <= maxAge {
					return ss, nil
				}
			}
		}
		return nil, nil // too old or unstamped: a full handshake
	}
}
