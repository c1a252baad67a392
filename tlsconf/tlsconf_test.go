package tlsconf

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/internal/tlstest"
)

func baseConfig(f *tlstest.Files) Config {
	c := Defaults()
	c.CertFile, c.KeyFile, c.CAFile = f.Cert, f.Key, f.CA
	return c
}

// handshake runs a TLS handshake between srv and cli over a pipe and returns
// the client's error (or the server's, if the client's side passed) and the
// client's connection state.
func handshake(t *testing.T, srv, cli *tls.Config) (tls.ConnectionState, error) {
	t.Helper()
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	a.SetDeadline(time.Now().Add(10 * time.Second))
	b.SetDeadline(time.Now().Add(10 * time.Second))
	s := tls.Server(a, srv)
	serr := make(chan error, 1)
	go func() {
		err := s.Handshake()
		if err == nil {
			// TLS 1.3 clients finish before the server has checked
			// their certificate: read once so that a refusal reaches
			// the client.
			s.Write([]byte("ok"))
		} else {
			a.Close()
		}
		serr <- err
	}()
	c := tls.Client(b, cli)
	err := c.Handshake()
	if err == nil {
		buf := make([]byte, 2)
		_, err = c.Read(buf)
	}
	if se := <-serr; se != nil && err == nil {
		err = se
	}
	return c.ConnectionState(), err
}

func TestLoadAndClientAuth(t *testing.T) {
	f := tlstest.NewFiles(t)
	for _, tc := range []struct {
		auth             AuthClients
		withCert, wantOK bool
	}{
		{AuthYes, true, true}, {AuthYes, false, false},
		{AuthOptional, true, true}, {AuthOptional, false, true},
		{AuthNo, true, true}, {AuthNo, false, true},
	} {
		c := baseConfig(f)
		c.AuthClients = tc.auth
		b, err := Load(c, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if b.Leaf.Subject.CommonName != "server" {
			t.Fatalf("leaf CN %q", b.Leaf.Subject.CommonName)
		}
		var pair *tlstest.Pair
		if tc.withCert {
			pair = f.Client
		}
		_, err = handshake(t, b.Server, f.ClientConfig(pair))
		if (err == nil) != tc.wantOK {
			t.Errorf("auth %v, cert %v: err %v, want ok=%v", tc.auth, tc.withCert, err, tc.wantOK)
		}
	}
}

func TestWrongCAAndExpiredClient(t *testing.T) {
	f := tlstest.NewFiles(t)
	b, err := Load(baseConfig(f), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	other := tlstest.NewCA(t, "Other CA")
	for name, pair := range map[string]*tlstest.Pair{
		"wrong CA": other.Issue(t, tlstest.Options{CN: "client"}),
		"expired": f.Authority.Issue(t, tlstest.Options{CN: "client",
			NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-time.Hour)}),
		"not yet valid": f.Authority.Issue(t, tlstest.Options{CN: "client",
			NotBefore: time.Now().Add(time.Hour), NotAfter: time.Now().Add(48 * time.Hour)}),
	} {
		for _, auth := range []AuthClients{AuthYes, AuthOptional} {
			c := baseConfig(f)
			c.AuthClients = auth
			b, err = Load(c, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			cli := f.ClientConfig(nil)
			// Sent even though the server asks for another CA's.
			cli.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &pair.TLS, nil }
			if _, err := handshake(t, b.Server, cli); err == nil {
				t.Errorf("%s client certificate with auth %v: handshake succeeded", name, auth)
			}
		}
	}
}

func TestLoadErrors(t *testing.T) {
	f := tlstest.NewFiles(t)
	dir := t.TempDir()
	garbage := tlstest.Write(t, dir, "garbage", []byte("not a certificate\n\x00\xff"))
	other := tlstest.NewCA(t, "x").Issue(t, tlstest.Options{CN: "other"})
	otherKey := tlstest.Write(t, dir, "other.key", other.KeyPEM)
	expired := f.Authority.Issue(t, tlstest.Options{CN: "old", NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-time.Hour)})
	expiredCert := tlstest.Write(t, dir, "expired.crt", expired.CertPEM)
	expiredKey := tlstest.Write(t, dir, "expired.key", expired.KeyPEM)
	badPEM := tlstest.Write(t, dir, "bad.crt", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("junk")}))
	garbageDir := t.TempDir()
	tlstest.Write(t, garbageDir, "a", []byte("junk"))
	tlstest.Write(t, garbageDir, "b.pem", f.Server.KeyPEM)
	os.Mkdir(filepath.Join(garbageDir, "sub"), 0o700)
	for _, tc := range []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"no cert", func(c *Config) { c.CertFile = "" }, "No tls-cert-file configured!"},
		{"no key", func(c *Config) { c.KeyFile = "" }, "No tls-key-file configured!"},
		{"no CA", func(c *Config) { c.CAFile = "" }, "Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, tls-replication or tls-auth-clients are enabled!"},
		{"missing cert", func(c *Config) { c.CertFile = dir + "/none" }, "Failed to load certificate: " + dir + "/none: open"},
		{"cert is a dir", func(c *Config) { c.CertFile = dir }, "Failed to load certificate: " + dir + ": not a regular file"},
		{"garbage cert", func(c *Config) { c.CertFile = garbage }, "Failed to load certificate: " + garbage + ": no PEM certificate found"},
		{"malformed cert", func(c *Config) { c.CertFile = badPEM }, "Failed to load certificate: " + badPEM + ": x509:"},
		{"garbage key", func(c *Config) { c.KeyFile = garbage }, "Failed to load private key: " + garbage + ": no PEM private key found"},
		{"mismatched key", func(c *Config) { c.KeyFile = otherKey }, "Failed to load private key: " + otherKey + ": tls: private key does not match public key"},
		{"expired cert", func(c *Config) { c.CertFile, c.KeyFile = expiredCert, expiredKey }, "Failed to load certificate: " + expiredCert + ": expired on "},
		{"garbage CA file", func(c *Config) { c.CAFile = garbage }, "Failed to configure CA certificate(s) file/directory: " + garbage + ": no PEM certificate found"},
		{"garbage CA dir", func(c *Config) { c.CAFile, c.CADir = "", garbageDir }, "Failed to configure CA certificate(s) file/directory: " + garbageDir + ": no file holds a PEM CA certificate"},
		{"missing CA dir", func(c *Config) { c.CAFile, c.CADir = "", dir+"/nodir" }, "Failed to configure CA certificate(s) file/directory: " + dir + "/nodir: open"},
		{"TLSv1", func(c *Config) { c.Protocols = "TLSv1 TLSv1.2" }, "Invalid tls-protocols specified: TLSv1 is refused"},
		{"TLSv1.1", func(c *Config) { c.Protocols = "tlsv1.1" }, "Invalid tls-protocols specified: tlsv1.1 is refused"},
		{"bad protocol", func(c *Config) { c.Protocols = "SSLv3" }, "Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'."},
		{"DH params", func(c *Config) { c.DHParamsFile = "/etc/dh.pem" }, "Failed to load DH params file: /etc/dh.pem: not supported"},
		{"unknown cipher", func(c *Config) { c.Ciphers = "DEFAULT:FOO-BAR" }, "Failed to configure ciphers: DEFAULT:FOO-BAR: Go's TLS does not offer cipher 'FOO-BAR'"},
		{"3DES cipher", func(c *Config) { c.Ciphers = "DES-CBC3-SHA" }, "Go's TLS does not offer cipher 'DES-CBC3-SHA'"},
		{"empty alias", func(c *Config) { c.Ciphers = "HIGH:MEDIUM" }, "'MEDIUM' selects no cipher Go's TLS offers"},
		{"nothing left", func(c *Config) { c.Ciphers = "DEFAULT:!ECDHE" }, "no TLS 1.2 cipher left"},
		{"TLS 1.3 subset", func(c *Config) { c.CipherSuites = "TLS_AES_256_GCM_SHA384" }, "Go's TLS always offers TLS 1.3 suite 'TLS_AES_128_GCM_SHA256'"},
		{"TLS 1.3 CCM", func(c *Config) { c.CipherSuites = "TLS_AES_128_CCM_SHA256" }, "does not offer TLS 1.3 suite 'TLS_AES_128_CCM_SHA256'"},
		{"half client pair", func(c *Config) { c.ClientCertFile = f.ClientCert }, "tls-client-cert-file and tls-client-key-file go together"},
	} {
		c := baseConfig(f)
		tc.mod(&c)
		_, err := Load(c, time.Now())
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) && !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
	// tls-auth-clients no needs no CA.
	c := baseConfig(f)
	c.CAFile, c.AuthClients = "", AuthNo
	if _, err := Load(c, time.Now()); err != nil {
		t.Errorf("auth no without CA: %v", err)
	}
	// Go's three TLS 1.3 suites in any order are accepted.
	c = baseConfig(f)
	c.CipherSuites = "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384"
	if _, err := Load(c, time.Now()); err != nil {
		t.Errorf("Go's TLS 1.3 suites: %v", err)
	}
}

func TestCADirSkipsGarbage(t *testing.T) {
	f := tlstest.NewFiles(t)
	dir := t.TempDir()
	tlstest.Write(t, dir, "junk", []byte("\x00\x01garbage"))
	tlstest.Write(t, dir, "ca.pem", f.Authority.PEM)
	c := baseConfig(f)
	c.CAFile, c.CADir = "", dir
	b, err := Load(c, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := handshake(t, b.Server, f.ClientConfig(f.Client)); err != nil {
		t.Fatalf("client of the directory's CA: %v", err)
	}
}

func TestProtocols(t *testing.T) {
	f := tlstest.NewFiles(t)
	for _, tc := range []struct {
		protocols        string
		clientMin, clMax uint16
		ok               bool
	}{
		{"", tls.VersionTLS12, tls.VersionTLS12, true},
		{"", tls.VersionTLS13, tls.VersionTLS13, true},
		{"", tls.VersionTLS10, tls.VersionTLS11, false},
		{"TLSv1.2", tls.VersionTLS13, tls.VersionTLS13, false},
		{"TLSv1.2", tls.VersionTLS12, tls.VersionTLS13, true},
		{"tlsv1.3", tls.VersionTLS12, tls.VersionTLS12, false},
		{"TLSv1.3", tls.VersionTLS12, tls.VersionTLS13, true},
		{"TLSv1.2 TLSv1.3", tls.VersionTLS12, tls.VersionTLS12, true},
	} {
		c := baseConfig(f)
		c.Protocols = tc.protocols
		b, err := Load(c, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		cli := f.ClientConfig(f.Client)
		cli.MinVersion, cli.MaxVersion = tc.clientMin, tc.clMax
		st, err := handshake(t, b.Server, cli)
		if (err == nil) != tc.ok {
			t.Errorf("protocols %q, client %x-%x: err %v, want ok=%v", tc.protocols, tc.clientMin, tc.clMax, err, tc.ok)
		}
		if err == nil && (st.Version < tc.clientMin || st.Version > tc.clMax) {
			t.Errorf("protocols %q: negotiated %x", tc.protocols, st.Version)
		}
	}
}

func TestCiphers(t *testing.T) {
	f := tlstest.NewFiles(t)
	ids, err := ParseCiphers("DEFAULT:-ECDHE-ECDSA-AES128-GCM-SHA256:!MEDIUM:!aNULL")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if id == tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 {
			t.Fatal("removed suite still listed")
		}
	}
	if len(ids) == 0 {
		t.Fatal("no suites")
	}
	// '!' removes for good, '-' may be re-added.
	ids, _ = ParseCiphers("ECDHE+AESGCM:-ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES256-GCM-SHA384")
	if !containsID(ids, tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384) {
		t.Error("'-' then re-add: missing")
	}
	ids, _ = ParseCiphers("ECDHE+AESGCM:!ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES256-GCM-SHA384")
	if containsID(ids, tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384) {
		t.Error("'!' then re-add: present")
	}
	if ids, _ := ParseCiphers("ECDHE+AESGCM"); len(ids) != 4 {
		t.Errorf("ECDHE+AESGCM: %d suites, want 4", len(ids))
	}

	// Seen from a client (TLS 1.2, ECDSA server key).
	c := baseConfig(f)
	c.Protocols = "TLSv1.2"
	c.Ciphers = "DEFAULT:-ECDHE-ECDSA-AES128-GCM-SHA256"
	b, err := Load(c, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cli := f.ClientConfig(f.Client)
	cli.CipherSuites = []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}
	if _, err := handshake(t, b.Server, cli); err == nil {
		t.Error("client offering only the removed suite got in")
	}
	cli.CipherSuites = []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384}
	st, err := handshake(t, b.Server, cli)
	if err != nil || st.CipherSuite != tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 {
		t.Errorf("AES256 client: %v, suite %x", err, st.CipherSuite)
	}
	// A suite outside Go's default list, named explicitly, is honoured.
	c.Ciphers = "ECDHE-ECDSA-AES128-SHA256"
	if b, err = Load(c, time.Now()); err != nil {
		t.Fatal(err)
	}
	cli.CipherSuites = []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256}
	if st, err = handshake(t, b.Server, cli); err != nil || st.CipherSuite != tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256 {
		t.Errorf("explicit CBC-SHA256 suite: %v, suite %x", err, st.CipherSuite)
	}
}

func containsID(ids []uint16, id uint16) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// TestEncryptedKeys loads keys encrypted by OpenSSL (PKCS#8, as 3.x writes by
// default, and the legacy format) and by Go's legacy PEM encryption.
func TestEncryptedKeys(t *testing.T) {
	f := tlstest.NewFiles(t)
	dir := t.TempDir()
	type keyFile struct{ name, path string }
	var keys []keyFile
	blk, _ := pem.Decode(f.Server.KeyPEM)
	legacy, err := x509.EncryptPEMBlock(rand.Reader, "PRIVATE KEY", blk.Bytes, []byte("s3cret"), x509.PEMCipherAES256) //nolint:staticcheck
	if err != nil {
		t.Fatal(err)
	}
	keys = append(keys, keyFile{"go legacy", tlstest.Write(t, dir, "legacy.key", pem.EncodeToMemory(legacy))})
	if openssl, err := exec.LookPath("openssl"); err == nil {
		for _, tc := range []struct{ name, cipher string }{{"pkcs8-aes256", "-aes256"}, {"pkcs8-aes128", "-aes128"}, {"pkcs8-3des", "-des3"}} {
			out := filepath.Join(dir, tc.name+".key")
			cmd := exec.Command(openssl, "pkcs8", "-topk8", "-v2", strings.TrimPrefix(tc.cipher, "-"), "-in", f.Key, "-out", out, "-passout", "pass:s3cret")
			if tc.cipher == "-des3" {
				cmd = exec.Command(openssl, "pkcs8", "-topk8", "-v2", "des3", "-v2prf", "hmacWithSHA1", "-in", f.Key, "-out", out, "-passout", "pass:s3cret")
			}
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("openssl %s: %v\n%s", tc.name, err, b)
			}
			keys = append(keys, keyFile{"openssl " + tc.name, out})
		}
	} else {
		t.Log("no openssl: only Go's legacy encryption tested")
	}
	for _, kf := range keys {
		c := baseConfig(f)
		c.KeyFile = kf.path
		if _, err := Load(c, time.Now()); err == nil || !strings.Contains(err.Error(), "the key is encrypted and no passphrase (tls-key-file-pass) is set") {
			t.Errorf("%s without a password: %v", kf.name, err)
		}
		c.KeyFilePass = "wrong"
		if _, err := Load(c, time.Now()); err == nil || !strings.HasPrefix(err.Error(), "Failed to load private key: "+kf.path+": ") {
			t.Errorf("%s with a wrong password: %v", kf.name, err)
		}
		c.KeyFilePass = "s3cret"
		b, err := Load(c, time.Now())
		if err != nil {
			t.Errorf("%s: %v", kf.name, err)
			continue
		}
		if _, err := handshake(t, b.Server, f.ClientConfig(f.Client)); err != nil {
			t.Errorf("%s: handshake: %v", kf.name, err)
		}
	}
	// A password on a plain key is ignored, as OpenSSL ignores it.
	c := baseConfig(f)
	c.KeyFilePass = "unused"
	if _, err := Load(c, time.Now()); err != nil {
		t.Errorf("plain key with a password: %v", err)
	}
}

func TestMalformedEncryptedKeys(t *testing.T) {
	for _, der := range [][]byte{nil, {0x30, 0x00}, {0x30, 0x03, 0x02, 0x01, 0x01}, []byte("garbage")} {
		if _, err := decryptPKCS8(der, []byte("x")); err == nil {
			t.Errorf("decryptPKCS8(%x) accepted", der)
		}
	}
}

func FuzzDecodeKey(f *testing.F) {
	f.Add([]byte("-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAA=\n-----END ENCRYPTED PRIVATE KEY-----\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		decodeKey(b, "pw") // must not panic
	})
}

func FuzzParseCiphers(f *testing.F) {
	f.Add("DEFAULT:!MEDIUM:-AES128-SHA:+ECDHE")
	f.Fuzz(func(t *testing.T, s string) {
		ParseCiphers(s)
		ParseProtocols(s)
	})
}

func TestSessionResumption(t *testing.T) {
	f := tlstest.NewFiles(t)
	for _, tc := range []struct {
		caching bool
		timeout int
		wait    time.Duration
		resumed bool
	}{
		{true, 300, 0, true},
		{false, 300, 0, false},
		{true, 1, 2100 * time.Millisecond, false},
	} {
		c := baseConfig(f)
		c.SessionCaching, c.SessionCacheTimeout = tc.caching, tc.timeout
		b, err := Load(c, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		cli := f.ClientConfig(f.Client)
		cli.MaxVersion = tls.VersionTLS12 // tickets arrive with the handshake
		cli.ClientSessionCache = tls.NewLRUClientSessionCache(4)
		if _, err := handshake(t, b.Server, cli); err != nil {
			t.Fatal(err)
		}
		time.Sleep(tc.wait)
		st, err := handshake(t, b.Server, cli)
		if err != nil {
			t.Fatal(err)
		}
		if st.DidResume != tc.resumed {
			t.Errorf("caching %v timeout %d after %v: resumed %v", tc.caching, tc.timeout, tc.wait, st.DidResume)
		}
	}
}

func TestStamp(t *testing.T) {
	f := tlstest.NewFiles(t)
	b, err := Load(baseConfig(f), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	s1 := Stamp(b.Files)
	if s1 != Stamp(b.Files) {
		t.Fatal("stamp not stable")
	}
	time.Sleep(10 * time.Millisecond)
	os.WriteFile(f.Cert, append(f.Server.CertPEM, '\n'), 0o600)
	if Stamp(b.Files) == s1 {
		t.Error("stamp unchanged after a rewrite")
	}
}
