package server

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/internal/tlstest"
	"github.com/redoubt-db/redoubt/tlsconf"
)

// tlsServerConfig is a configuration with a TLS listener on a free port,
// using f's files.
func tlsServerConfig(f *tlstest.Files, log io.Writer) Config {
	t := tlsconf.Defaults()
	t.CertFile, t.KeyFile, t.CAFile = f.Cert, f.Key, f.CA
	return Config{TLSPort: TLSPortAny, TLS: &t, LogOutput: log}
}

// tcDialTLS connects to addr over TLS with cfg and completes the handshake.
func tcDialTLS(t *testing.T, addr string, cfg *tls.Config) (*tcConn, error) {
	t.Helper()
	d := &net.Dialer{Timeout: 5 * time.Second}
	nc, err := tls.DialWithDialer(d, "tcp", addr, cfg)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { nc.Close() })
	return &tcConn{t: t, nc: nc, r: bufio.NewReader(nc)}, nil
}

// tlsPing dials addr with cfg and reports whether PING gets PONG: with TLS
// 1.3 a refused client certificate shows at the first read, not in the
// handshake.
func tlsPing(t *testing.T, addr string, cfg *tls.Config) error {
	t.Helper()
	c, err := tcDialTLS(t, addr, cfg)
	if err != nil {
		return err
	}
	defer c.nc.Close()
	if _, err := io.WriteString(c.nc, bulk("PING")); err != nil {
		return err
	}
	c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	v, err := tcRead(c.r)
	if err != nil {
		return err
	}
	if v.flat() != "+PONG" {
		t.Fatalf("PING over TLS: %v", v)
	}
	return nil
}

func TestTLSServe(t *testing.T) {
	f := tlstest.NewFiles(t)
	var log logBuffer
	srv := tcStart(t, tlsServerConfig(f, &log))
	if srv.TLSPort() == 0 || srv.TLSAddr() == "" {
		t.Fatalf("no TLS listener: port %d addr %q", srv.TLSPort(), srv.TLSAddr())
	}
	c, err := tcDialTLS(t, srv.TLSAddr(), f.ClientConfig(f.Client))
	if err != nil {
		t.Fatal(err)
	}
	if v := c.do("SET", "k", "v").flat(); v != "+OK" {
		t.Fatalf("SET: %v", v)
	}
	// A pipeline, big enough to take several TLS records each way.
	big := strings.Repeat("x", 100000)
	var b strings.Builder
	for i := range 50 {
		b.WriteString(bulk("SET", "k"+strconv.Itoa(i), big))
		b.WriteString(bulk("GET", "k"+strconv.Itoa(i)))
	}
	go io.WriteString(c.nc, b.String())
	for i := range 50 {
		if v := c.read().flat(); v != "+OK" {
			t.Fatalf("pipelined SET %d: %v", i, v)
		}
		if v := c.read(); v.Str != big {
			t.Fatalf("pipelined GET %d: %d bytes", i, len(v.Str))
		}
	}
	// Plain TCP serves as before, and sees the TLS client as Redis does.
	p := tcDial(t, srv)
	if v := p.str("GET", "k"); v != "v" {
		t.Fatalf("GET over TCP: %q", v)
	}
	list := p.str("CLIENT", "LIST")
	var tlsLine string
	for _, line := range strings.Split(strings.TrimSpace(list), "\n") {
		if strings.Contains(line, "addr="+c.nc.LocalAddr().String()+" ") {
			tlsLine = line
		}
	}
	if tlsLine == "" || !strings.Contains(tlsLine, " laddr="+srv.TLSAddr()+" ") || strings.Contains(tlsLine, " fd=-1 ") {
		t.Errorf("CLIENT LIST line of the TLS client: %q\n%s", tlsLine, list)
	}
	info := tcInfo(p.str("INFO"))
	if info["tcp_port"] != strconv.Itoa(srv.Port()) || info["total_connections_received"] != "2" {
		t.Errorf("INFO tcp_port %s total_connections_received %s", info["tcp_port"], info["total_connections_received"])
	}
	if got := p.do("CONFIG", "GET", "tls-port").flat(); got != "[tls-port "+strconv.Itoa(srv.TLSPort())+"]" {
		t.Errorf("CONFIG GET tls-port: %s", got)
	}
	// Blocking pops and pub/sub over TLS.
	c.send("BLPOP", "q", "0")
	if !waitUntil(2*time.Second, func() bool { return tcInfo(p.str("INFO", "clients"))["blocked_clients"] == "1" }) {
		t.Fatal("BLPOP over TLS did not block")
	}
	p.integer("LPUSH", "q", "x")
	if v := c.read().flat(); v != "[q x]" {
		t.Fatalf("BLPOP over TLS: %v", v)
	}
	c.do("SUBSCRIBE", "ch")
	if n := p.integer("PUBLISH", "ch", "hello"); n != 1 {
		t.Fatalf("PUBLISH reached %d", n)
	}
	if v := c.read().flat(); v != "[message ch hello]" {
		t.Fatalf("message over TLS: %v", v)
	}
}

func TestTLSOnlyPort(t *testing.T) {
	f := tlstest.NewFiles(t)
	cfg := tlsServerConfig(f, nil)
	cfg.Port = PortDisabled
	srv := tcStart(t, cfg)
	if srv.Addr() != "" {
		t.Fatalf("TCP listener %q with port 0", srv.Addr())
	}
	c, err := tcDialTLS(t, srv.TLSAddr(), f.ClientConfig(f.Client))
	if err != nil {
		t.Fatal(err)
	}
	if got := tcInfo(c.str("INFO", "server"))["tcp_port"]; got != strconv.Itoa(srv.TLSPort()) {
		t.Errorf("INFO tcp_port %s, want the TLS port %d", got, srv.TLSPort())
	}
}

// TestTLSClientAuthMatrix: no certificate, another CA's, an expired one and
// the right one, with tls-auth-clients yes, no and optional (set by CONFIG
// SET, which applies to new connections).
func TestTLSClientAuthMatrix(t *testing.T) {
	f := tlstest.NewFiles(t)
	srv := tcStart(t, tlsServerConfig(f, nil))
	admin := tcDial(t, srv)
	other := tlstest.NewCA(t, "Other CA").Issue(t, tlstest.Options{CN: "client"})
	expired := f.Authority.Issue(t, tlstest.Options{CN: "client",
		NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-time.Hour)})
	forced := func(p *tlstest.Pair) *tls.Config {
		cfg := f.ClientConfig(nil)
		if p != nil {
			cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &p.TLS, nil }
		}
		return cfg
	}
	certs := []struct {
		name string
		pair *tlstest.Pair
	}{{"none", nil}, {"wrong CA", other}, {"expired", expired}, {"right", f.Client}}
	want := map[string][4]bool{ // by certs' order
		"yes":      {false, false, false, true},
		"no":       {true, true, true, true},
		"optional": {true, false, false, true},
	}
	for _, mode := range []string{"yes", "no", "optional", "yes"} {
		if v := admin.do("CONFIG", "SET", "tls-auth-clients", mode).flat(); v != "+OK" {
			t.Fatalf("CONFIG SET tls-auth-clients %s: %v", mode, v)
		}
		for i, cert := range certs {
			err := tlsPing(t, srv.TLSAddr(), forced(cert.pair))
			if (err == nil) != want[mode][i] {
				t.Errorf("tls-auth-clients %s, certificate %s: err %v", mode, cert.name, err)
			}
		}
	}
}

// TestTLSBadClients: plain text, random bytes, an old protocol's hello, half
// a handshake and silence; each is closed, none holds up anyone else, and
// the server says why in its log.
func TestTLSBadClients(t *testing.T) {
	old := tlsHandshakeTimeout
	tlsHandshakeTimeout = 300 * time.Millisecond
	t.Cleanup(func() { tlsHandshakeTimeout = old })
	f := tlstest.NewFiles(t)
	var log logBuffer
	srv := tcStart(t, tlsServerConfig(f, &log))
	addr := srv.TLSAddr()
	dial := func() net.Conn {
		nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { nc.Close() })
		return nc
	}
	closedWithin := func(nc net.Conn, d time.Duration) bool {
		nc.SetReadDeadline(time.Now().Add(d))
		_, err := io.ReadAll(nc)
		ne, ok := err.(net.Error)
		return !(ok && ne.Timeout())
	}
	silent := dial() // sends nothing at all
	half := dial()
	// The first bytes of a TLS record holding a ClientHello, then nothing.
	half.Write([]byte{0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03})
	plain := dial()
	io.WriteString(plain, "PING\r\n")
	random := dial()
	random.Write([]byte("\x8f\x00\x13garbage\xff\xfe\x00\x01\x02"))
	// Meanwhile a good client is served at once.
	start := time.Now()
	if err := tlsPing(t, addr, f.ClientConfig(f.Client)); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 200*time.Millisecond {
		t.Errorf("a good client waited %v behind bad ones", d)
	}
	// TLS 1.0/1.1 hellos are refused.
	oldCfg := f.ClientConfig(f.Client)
	oldCfg.MinVersion, oldCfg.MaxVersion = tls.VersionTLS10, tls.VersionTLS11
	if err := tlsPing(t, addr, oldCfg); err == nil {
		t.Error("a TLS 1.1 client got in")
	}
	for name, nc := range map[string]net.Conn{"plain text": plain, "random bytes": random} {
		nc.SetReadDeadline(time.Now().Add(2 * time.Second))
		b, _ := io.ReadAll(nc)
		if strings.Contains(string(b), "PONG") || strings.Contains(string(b), "-ERR") {
			t.Errorf("%s on the TLS port got a reply: %q", name, b)
		}
	}
	for name, nc := range map[string]net.Conn{"silent": silent, "half handshake": half} {
		if !closedWithin(nc, 3*time.Second) {
			t.Errorf("%s client still open after the handshake deadline", name)
		}
	}
	if !waitUntil(2*time.Second, func() bool { return strings.Count(log.String(), "Error accepting a client connection: ") >= 5 }) {
		t.Errorf("log:\n%s", log.String())
	}
	// Nothing of it counts as a connection, as in Redis.
	c := tcDial(t, srv)
	if got := tcInfo(c.str("INFO", "stats"))["total_connections_received"]; got != "2" {
		t.Errorf("total_connections_received %s, want 2 (the good TLS client and this one)", got)
	}
}

// TestTLSProtectedMode: a TLS client is local only from 127.0.0.1 or ::1;
// from 127.0.0.2 it gets DENIED, over TLS, after its handshake.
func TestTLSProtectedMode(t *testing.T) {
	f := tlstest.NewFiles(t)
	cfg := tlsServerConfig(f, nil)
	srv := tcStart(t, cfg)
	d := &net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}
	nc, err := tls.DialWithDialer(d, "tcp", srv.TLSAddr(), f.ClientConfig(f.Client))
	if err != nil {
		t.Skipf("cannot connect from 127.0.0.2: %v", err)
	}
	defer nc.Close()
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, _ := io.ReadAll(nc)
	if string(b) != "-"+msgDenied+"\r\n" {
		t.Fatalf("from 127.0.0.2 over TLS: %q", b)
	}
	c := tcDial(t, srv)
	info := tcInfo(c.str("INFO", "stats"))
	if info["rejected_connections"] != "1" {
		t.Errorf("rejected_connections %s", info["rejected_connections"])
	}
	// A password lifts it.
	c.do("CONFIG", "SET", "requirepass", "a-long-enough-password-for-the-test-1234")
	nc2, err := tls.DialWithDialer(d, "tcp", srv.TLSAddr(), f.ClientConfig(f.Client))
	if err != nil {
		t.Fatal(err)
	}
	defer nc2.Close()
	io.WriteString(nc2, bulk("PING"))
	r := bufio.NewReader(nc2)
	nc2.SetReadDeadline(time.Now().Add(5 * time.Second))
	if v, err := tcRead(r); err != nil || !strings.HasPrefix(v.flat(), "-NOAUTH") {
		t.Errorf("with a password, from 127.0.0.2: %v %v", v, err)
	}
}

// TestTLSConfigSet: CONFIG SET tls-* applies to new connections while
// connected clients stay; a bad value leaves the old configuration in place.
func TestTLSConfigSet(t *testing.T) {
	f := tlstest.NewFiles(t)
	var log logBuffer
	srv := tcStart(t, tlsServerConfig(f, &log))
	admin := tcDial(t, srv)
	old, err := tcDialTLS(t, srv.TLSAddr(), f.ClientConfig(f.Client))
	if err != nil {
		t.Fatal(err)
	}
	// A new CA and certificates.
	ca2 := tlstest.NewCA(t, "Second CA")
	srv2 := ca2.Issue(t, tlstest.Options{CN: "server2"})
	cli2 := ca2.Issue(t, tlstest.Options{CN: "client2"})
	dir := t.TempDir()
	cert2 := tlstest.Write(t, dir, "s2.crt", srv2.CertPEM)
	key2 := tlstest.Write(t, dir, "s2.key", srv2.KeyPEM)
	ca2File := tlstest.Write(t, dir, "ca2.crt", ca2.PEM)
	garbage := tlstest.Write(t, dir, "garbage", []byte("garbage"))

	// Redis names the first TLS directive of the command, whichever failed.
	failed := "-ERR CONFIG SET failed (possibly related to argument 'tls-cert-file') - " + msgTLSUpdate
	if v := admin.do("CONFIG", "SET", "tls-cert-file", cert2, "tls-key-file", garbage).flat(); v != failed {
		t.Fatalf("bad key: %v", v)
	}
	if !strings.Contains(log.String(), "Failed to load private key: "+garbage) {
		t.Errorf("log does not say why:\n%s", log.String())
	}
	if v := admin.do("CONFIG", "GET", "tls-cert-file").flat(); v != "[tls-cert-file "+f.Cert+"]" {
		t.Errorf("after a failed set: %v", v)
	}
	if err := tlsPing(t, srv.TLSAddr(), f.ClientConfig(f.Client)); err != nil {
		t.Fatalf("old configuration lost: %v", err)
	}
	// A mismatched pair fails whole too.
	if v := admin.do("CONFIG", "SET", "tls-cert-file", cert2).flat(); !strings.HasPrefix(v, "-ERR CONFIG SET failed (possibly related to argument 'tls-cert-file')") {
		t.Fatalf("mismatched pair: %v", v)
	}
	if v := admin.do("CONFIG", "SET", "tls-cert-file", cert2, "tls-key-file", key2, "tls-ca-cert-file", ca2File).flat(); v != "+OK" {
		t.Fatalf("new pair: %v", v)
	}
	cfg2 := &tls.Config{RootCAs: tlsPool(ca2), ServerName: "localhost", Certificates: []tls.Certificate{cli2.TLS}}
	c2, err := tcDialTLS(t, srv.TLSAddr(), cfg2)
	if err != nil {
		t.Fatalf("new configuration: %v", err)
	}
	if cn := c2.nc.(*tls.Conn).ConnectionState().PeerCertificates[0].Subject.CommonName; cn != "server2" {
		t.Errorf("server certificate CN %q after reload", cn)
	}
	if err := tlsPing(t, srv.TLSAddr(), f.ClientConfig(f.Client)); err == nil {
		t.Error("old CA still trusted after reload")
	}
	// The client connected before the reload goes on.
	if v := old.do("PING").flat(); v != "+PONG" {
		t.Errorf("old client after reload: %v", v)
	}
	// Protocols, seen from a client.
	if v := admin.do("CONFIG", "SET", "tls-protocols", "TLSv1.3").flat(); v != "+OK" {
		t.Fatal(v)
	}
	cfg12 := cfg2.Clone()
	cfg12.MaxVersion = tls.VersionTLS12
	if err := tlsPing(t, srv.TLSAddr(), cfg12); err == nil {
		t.Error("TLS 1.2 client accepted with tls-protocols TLSv1.3")
	}
	if v := admin.do("CONFIG", "SET", "tls-protocols", "TLSv1").flat(); v != "-ERR CONFIG SET failed (possibly related to argument 'tls-protocols') - "+msgTLSUpdate {
		t.Errorf("TLSv1: %v", v)
	}
	// A new port, then none.
	oldPort := srv.TLSPort()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	free := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	if v := admin.do("CONFIG", "SET", "tls-port", strconv.Itoa(free)).flat(); v != "+OK" {
		t.Fatalf("tls-port: %v", v)
	}
	if srv.TLSPort() != free {
		t.Fatalf("TLS port %d, want %d", srv.TLSPort(), free)
	}
	if _, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(oldPort)), time.Second); err == nil {
		t.Error("old TLS port still open")
	}
	if err := tlsPing(t, srv.TLSAddr(), cfg2); err != nil {
		t.Errorf("new TLS port: %v", err)
	}
	if v := admin.do("CONFIG", "SET", "tls-port", strconv.Itoa(srv.Port())).flat(); v != "-ERR CONFIG SET failed (possibly related to argument 'tls-port') - "+msgListenPort {
		t.Errorf("tls-port on the TCP port: %v", v)
	}
	if v := admin.do("CONFIG", "SET", "tls-port", "0").flat(); v != "+OK" || srv.TLSAddr() != "" {
		t.Fatalf("tls-port 0: %v, %q", v, srv.TLSAddr())
	}
	// While TLS is off, its files are not read (as in Redis).
	if v := admin.do("CONFIG", "SET", "tls-key-file", garbage).flat(); v != "+OK" {
		t.Errorf("tls-key-file while TLS is off: %v", v)
	}
	if v := admin.do("CONFIG", "SET", "tls-port", strconv.Itoa(free)).flat(); v != "-ERR CONFIG SET failed (possibly related to argument 'tls-port') - "+msgTLSUpdate {
		t.Errorf("tls-port with a garbage key: %v", v)
	}
	if v := old.do("PING").flat(); v != "+PONG" {
		t.Errorf("old client at the end: %v", v)
	}
}

func tlsPool(ca *tlstest.CA) *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}

func TestTLSStartupErrors(t *testing.T) {
	f := tlstest.NewFiles(t)
	garbage := tlstest.Write(t, t.TempDir(), "garbage", []byte("garbage"))
	for name, mod := range map[string]func(*tlsconf.Config){
		"no cert":      func(c *tlsconf.Config) { c.CertFile = "" },
		"garbage key":  func(c *tlsconf.Config) { c.KeyFile = garbage },
		"missing CA":   func(c *tlsconf.Config) { c.CAFile = "/nonexistent/ca.crt" },
		"old protocol": func(c *tlsconf.Config) { c.Protocols = "TLSv1.1" },
	} {
		var log logBuffer
		cfg := tlsServerConfig(f, &log)
		mod(cfg.TLS)
		srv, err := New(cfg)
		if err == nil {
			srv.Close()
			t.Errorf("%s: started", name)
			continue
		}
		if !strings.Contains(log.String(), "Failed to configure TLS. Check logs for more info.") {
			t.Errorf("%s: log:\n%s", name, log.String())
		}
	}
	// An unreadable key (not for root, who reads everything).
	if os.Geteuid() != 0 {
		os.Chmod(f.Key, 0)
		if srv, err := New(tlsServerConfig(f, nil)); err == nil || !strings.Contains(err.Error(), "Failed to load private key: "+f.Key) {
			if srv != nil {
				srv.Close()
			}
			t.Errorf("unreadable key: %v", err)
		}
	}
}

// TestTLSMaxClientsAndKill: over maxclients a TLS client is dropped before
// its handshake, with nothing written (as in Redis); CLIENT KILL of a TLS
// client that does not read returns at once.
func TestTLSMaxClientsAndKill(t *testing.T) {
	f := tlstest.NewFiles(t)
	cfg := tlsServerConfig(f, nil)
	cfg.MaxClients = 2
	srv := tcStart(t, cfg)
	admin := tcDial(t, srv)
	stuck, err := tcDialTLS(t, srv.TLSAddr(), f.ClientConfig(f.Client))
	if err != nil {
		t.Fatal(err)
	}
	if err := tlsPing(t, srv.TLSAddr(), f.ClientConfig(f.Client)); err == nil {
		t.Error("a third client got in with maxclients 2")
	}
	if got := tcInfo(admin.str("INFO", "stats"))["rejected_connections"]; got != "1" {
		t.Errorf("rejected_connections %s", got)
	}
	// Fill the stuck client's socket: it never reads.
	id := stuck.integer("CLIENT", "ID")
	big := strings.Repeat("x", 1<<20)
	admin.do("SET", "big", big)
	go func() {
		for range 64 {
			if _, err := io.WriteString(stuck.nc, bulk("GET", "big")); err != nil {
				return
			}
		}
	}()
	time.Sleep(300 * time.Millisecond)
	start := time.Now()
	if n := admin.integer("CLIENT", "KILL", "ID", strconv.FormatInt(id, 10)); n != 1 {
		t.Fatalf("CLIENT KILL: %d", n)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("CLIENT KILL of a TLS client that does not read took %v", d)
	}
	if !waitUntil(5*time.Second, func() bool { return tcInfo(admin.str("INFO", "clients"))["connected_clients"] == "1" }) {
		t.Error("killed TLS client still listed")
	}
}

// TestTLSSwitchPorts is Redis's "switch between tcp and tls ports": the
// same port number moves from TLS to TCP and back by CONFIG SET.
func TestTLSSwitchPorts(t *testing.T) {
	f := tlstest.NewFiles(t)
	cfg := tlsServerConfig(f, nil)
	cfg.Port = PortDisabled
	srv := tcStart(t, cfg)
	port := strconv.Itoa(srv.TLSPort())
	addr := net.JoinHostPort("127.0.0.1", port)
	c, err := tcDialTLS(t, addr, f.ClientConfig(f.Client))
	if err != nil {
		t.Fatal(err)
	}
	for _, cmd := range [][]string{{"CONFIG", "SET", "tls-port", "0"}, {"CONFIG", "SET", "port", port}} {
		if v := c.do(cmd...).flat(); v != "+OK" {
			t.Fatalf("%q: %v", cmd, v)
		}
	}
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	p := &tcConn{t: t, nc: nc, r: bufio.NewReader(nc)}
	t.Cleanup(func() { nc.Close() })
	if v := p.do("PING").flat(); v != "+PONG" {
		t.Fatalf("plain PING on the old TLS port: %v", v)
	}
	for _, cmd := range [][]string{{"CONFIG", "SET", "port", "0"}, {"CONFIG", "SET", "tls-port", port}} {
		if v := p.do(cmd...).flat(); v != "+OK" {
			t.Fatalf("%q: %v", cmd, v)
		}
	}
	if err := tlsPing(t, addr, f.ClientConfig(f.Client)); err != nil {
		t.Fatalf("TLS again on the same port: %v", err)
	}
}

// TestTLSConfigRewrite: CONFIG REWRITE writes the TLS directives so that
// the file loads back to the running configuration.
func TestTLSConfigRewrite(t *testing.T) {
	f := tlstest.NewFiles(t)
	path := filepath.Join(t.TempDir(), "redoubt.conf")
	if err := os.WriteFile(path, []byte("tls-cert-file "+f.Cert+"\ntls-key-file "+f.Key+"\ntls-ca-cert-file "+f.CA+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := ParseArgs([]string{path})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Port, cfg.TLSPort = 0, TLSPortAny
	srv := tcStart(t, cfg)
	c := tcDial(t, srv)
	for _, cmd := range [][]string{
		{"CONFIG", "SET", "tls-auth-clients", "optional", "tls-protocols", "TLSv1.3", "redoubt-tls-auth-user", "cn",
			"redoubt-tls-cert-required-users", "a b", "redoubt-tls-reload-interval", "30", "tls-session-cache-timeout", "60"},
		{"CONFIG", "REWRITE"},
	} {
		if v := c.do(cmd...).flat(); v != "+OK" {
			t.Fatalf("%q: %v", cmd, v)
		}
	}
	text, _ := os.ReadFile(path)
	reread, err := ParseArgs([]string{path})
	if err != nil {
		t.Fatalf("rewritten file does not load: %v\n%s", err, text)
	}
	running := srv.configSnapshot()
	for _, d := range tlsDirectives {
		if got, want := d.valueOf(&reread), d.valueOf(&running); got != want {
			t.Errorf("%s: %q after loading the rewritten file, %q running\n%s", d.name, got, want, text)
		}
	}
	if !strings.Contains(string(text), "tls-port "+strconv.Itoa(srv.TLSPort())) {
		t.Errorf("no tls-port line:\n%s", text)
	}
}

// TestTLSPreAuthLimits: over TLS, as over TCP, a client that must
// authenticate may not announce a big request, and MULTI works.
func TestTLSPreAuthLimits(t *testing.T) {
	f := tlstest.NewFiles(t)
	cfg := tlsServerConfig(f, nil)
	cfg.RequirePass = "a-long-enough-password-for-the-test-1234"
	srv := tcStart(t, cfg)
	for _, tc := range []struct{ send, want string }{
		{"*100\r\n", "-ERR Protocol error: unauthenticated multibulk length"},
		{"*1\r\n$100000000\r\n", "-ERR Protocol error: unauthenticated bulk length"},
	} {
		c, err := tcDialTLS(t, srv.TLSAddr(), f.ClientConfig(f.Client))
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(c.nc, tc.send)
		if v := c.read().flat(); v != tc.want {
			t.Errorf("%q: %v, want %s", tc.send, v, tc.want)
		}
		if !c.closed(2 * time.Second) {
			t.Errorf("%q: connection left open", tc.send)
		}
	}
	c, err := tcDialTLS(t, srv.TLSAddr(), f.ClientConfig(f.Client))
	if err != nil {
		t.Fatal(err)
	}
	c.do("AUTH", cfg.RequirePass)
	c.send("MULTI")
	c.send("INCR", "n")
	c.send("INCR", "n")
	c.send("EXEC")
	for i, want := range []string{"+OK", "+QUEUED", "+QUEUED", "[:1 :2]"} {
		if v := c.read().flat(); v != want {
			t.Errorf("reply %d: %v, want %s", i, v, want)
		}
	}
}
