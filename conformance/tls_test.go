package conformance

import (
	"bufio"
	"context"
	"crypto/tls"
	"flag"
	"io"
	"net"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redoubt-db/redoubt/internal/tlstest"
	"github.com/redoubt-db/redoubt/server"
)

// TLS against Redis: the same clients, certificates and settings against
// Redoubt and against redis-server (Debian's is built with TLS), and, with
// -tls, every script over TLS.

var overTLS = flag.Bool("tls", false, "run the scripts over TLS (with a client certificate), against redis-server over TLS")

// scriptsOverTLS makes the certificates of a -tls run and points the script
// runner's connections at TLS for the rest of the test; nil without -tls.
func scriptsOverTLS(t *testing.T) *tlstest.Files {
	if !*overTLS {
		return nil
	}
	if *overUnix {
		t.Fatal("-tls and -unix do not go together")
	}
	f := tlstest.NewFiles(t)
	scriptTLS = f.ClientConfig(f.Client)
	t.Cleanup(func() { scriptTLS = nil })
	return f
}

// tlsDependentScripts record replies that name the transport's settings
// (CONFIG GET * lists tls-port and the tls-* files): over TLS they differ
// from the recording for Redis as much as for Redoubt, so -tls skips them.
var tlsDependentScripts = []string{"config"}

// skipOverTLS skips a script of tlsDependentScripts in a -tls run.
func skipOverTLS(t *testing.T, tf *tlstest.Files, path string) {
	name := strings.TrimSuffix(filepath.Base(path), ".txt")
	if tf != nil && slices.Contains(tlsDependentScripts, name) {
		t.Skip("its replies show the TLS settings (redis-server over TLS differs from its recording too)")
	}
}

// redoubtTLSConfig adds a TLS listener on a free port with f's files to
// cfg, through the same directives redis-server is given.
func redoubtTLSConfig(cfg *server.Config, f *tlstest.Files) {
	c, err := server.ApplyArgs(*cfg, redisTLSArgs(f, 0)[2:])
	if err != nil {
		panic(err) // the directives are ours: a bug
	}
	c.TLSPort = server.TLSPortAny
	c.Clock = cfg.Clock // ApplyArgs sets the system clock; keep the caller's
	*cfg = c
}

// redisTLSArgs are redis-server's arguments for a TLS listener on port with
// f's files.
func redisTLSArgs(f *tlstest.Files, port int) []string {
	return []string{"--tls-port", strconv.Itoa(port), "--tls-cert-file", f.Cert, "--tls-key-file", f.Key,
		"--tls-ca-cert-file", f.CA}
}

// startRedisTLS starts redis-server with a TLS listener beside its plain one.
func startRedisTLS(bin string, args []string, f *tlstest.Files) (*redisServer, error) {
	var rs *redisServer
	var err error
	for range 3 {
		var port int
		if port, err = freePort(); err != nil {
			return nil, err
		}
		rs, err = startRedis(bin, append(append([]string{}, args...), redisTLSArgs(f, port)...))
		if err == nil {
			rs.tlsAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
			return rs, nil
		}
	}
	return nil, err
}

// tlsPair is Redoubt and redis-server, each with a TLS listener using the
// same files, and a plain admin connection to each.
type tlsPair struct {
	f        *tlstest.Files
	addrs    [2]string // TLS addresses: Redoubt, Redis
	admins   [2]*client
	redoubt  *server.Server
	redisOut func() string
}

func startBothTLS(t *testing.T, extra ...string) *tlsPair {
	t.Helper()
	bin := requireTool(t, "redis-server")
	f := tlstest.NewFiles(t)
	cfg, err := server.ApplyArgs(server.Config{}, extra)
	if err != nil {
		t.Fatal(err)
	}
	redoubtTLSConfig(&cfg, f)
	srv, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	rs, err := startRedisTLS(bin, extra, f)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rs.stop)
	p := &tlsPair{f: f, addrs: [2]string{srv.TLSAddr(), rs.tlsAddr}, redoubt: srv, redisOut: rs.out.String}
	p.admins[0], p.admins[1] = &client{addr: srv.Addr()}, &client{addr: rs.addr}
	t.Cleanup(func() { p.admins[0].drop(); p.admins[1].drop() })
	return p
}

// both runs a command on both admin connections and fails unless both
// replies are the same and OK.
func (p *tlsPair) both(t *testing.T, args ...string) {
	t.Helper()
	for i, c := range p.admins {
		if v := mustDo(t, c, args...); v.Kind != '+' || v.Str != "OK" {
			t.Fatalf("server %d: %q = %v", i, args, v)
		}
	}
}

// tlsOutcome connects to addr over TLS with cfg, sends PING and says what
// came back: "PONG", or "error" when the handshake or the first read fails.
func tlsOutcome(addr string, cfg *tls.Config) string {
	nc, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, cfg)
	if err != nil {
		return "error"
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(5 * time.Second))
	nc.Write(encodeCommand(toBytes([]string{"PING"})))
	line, err := bufio.NewReader(nc).ReadString('\n')
	if err != nil {
		return "error"
	}
	return strings.TrimSpace(strings.TrimPrefix(line, "+"))
}

// TestTLSClientAuthMatchesRedis is the mTLS matrix: no certificate, another
// CA's, an expired one and the right one, against tls-auth-clients yes, no
// and optional; both servers must let in exactly the same clients.
func TestTLSClientAuthMatchesRedis(t *testing.T) {
	p := startBothTLS(t)
	other := tlstest.NewCA(t, "Other CA").Issue(t, tlstest.Options{CN: "client"})
	expired := p.f.Authority.Issue(t, tlstest.Options{CN: "client",
		NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-time.Hour)})
	certs := []struct {
		name string
		pair *tlstest.Pair
	}{{"none", nil}, {"wrong CA", other}, {"expired", expired}, {"right", p.f.Client}}
	want := map[string][]string{
		"yes":      {"error", "error", "error", "PONG"},
		"no":       {"PONG", "PONG", "PONG", "PONG"},
		"optional": {"PONG", "error", "error", "PONG"},
	}
	for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		for _, mode := range []string{"yes", "no", "optional"} {
			p.both(t, "CONFIG", "SET", "tls-auth-clients", mode)
			for i, c := range certs {
				cfg := p.f.ClientConfig(nil)
				cfg.MinVersion, cfg.MaxVersion = version, version
				if c.pair != nil {
					pair := c.pair
					cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &pair.TLS, nil }
				}
				got := [2]string{tlsOutcome(p.addrs[0], cfg), tlsOutcome(p.addrs[1], cfg)}
				if got[0] != got[1] || got[1] != want[mode][i] {
					t.Errorf("TLS %x, tls-auth-clients %s, certificate %s: Redoubt %s, Redis %s, want %s",
						version, mode, c.name, got[0], got[1], want[mode][i])
				}
			}
		}
	}
}

// TestTLSRestrictionsMatchRedis: protocols and ciphers as a client sees
// them, and plain text on the TLS port.
func TestTLSRestrictionsMatchRedis(t *testing.T) {
	p := startBothTLS(t)
	check := func(what string, cfg *tls.Config, want string) {
		t.Helper()
		got := [2]string{tlsOutcome(p.addrs[0], cfg), tlsOutcome(p.addrs[1], cfg)}
		if got[0] != want || got[1] != want {
			t.Errorf("%s: Redoubt %s, Redis %s, want %s", what, got[0], got[1], want)
		}
	}
	cfg := func(minV, maxV uint16, suites ...uint16) *tls.Config {
		c := p.f.ClientConfig(p.f.Client)
		c.MinVersion, c.MaxVersion, c.CipherSuites = minV, maxV, suites
		return c
	}
	check("default, TLS 1.2", cfg(tls.VersionTLS12, tls.VersionTLS12), "PONG")
	check("default, TLS 1.3", cfg(tls.VersionTLS13, tls.VersionTLS13), "PONG")
	check("default, TLS 1.1", cfg(tls.VersionTLS10, tls.VersionTLS11), "error")
	p.both(t, "CONFIG", "SET", "tls-protocols", "TLSv1.2")
	check("TLSv1.2 only, TLS 1.3 client", cfg(tls.VersionTLS13, tls.VersionTLS13), "error")
	check("TLSv1.2 only, TLS 1.2 client", cfg(tls.VersionTLS12, tls.VersionTLS13), "PONG")
	p.both(t, "CONFIG", "SET", "tls-protocols", "TLSv1.3")
	check("TLSv1.3 only, TLS 1.2 client", cfg(tls.VersionTLS12, tls.VersionTLS12), "error")
	p.both(t, "CONFIG", "SET", "tls-protocols", "TLSv1.2", "tls-ciphers", "DEFAULT:-ECDHE-ECDSA-AES128-GCM-SHA256")
	check("AES128-GCM removed, client offers only it", cfg(tls.VersionTLS12, tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256), "error")
	check("AES128-GCM removed, AES256-GCM client", cfg(tls.VersionTLS12, tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384), "PONG")
	p.both(t, "CONFIG", "SET", "tls-ciphers", "ECDHE-ECDSA-AES128-GCM-SHA256")
	check("only AES128-GCM, client offers AES256-GCM", cfg(tls.VersionTLS12, tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384), "error")
	check("only AES128-GCM, client offers it", cfg(tls.VersionTLS12, tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256), "PONG")

	// Plain text on the TLS port: no RESP reply, the connection closed.
	for i, addr := range p.addrs {
		nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		nc.SetDeadline(time.Now().Add(5 * time.Second))
		nc.Write([]byte("PING\r\n"))
		b, err := io.ReadAll(nc)
		nc.Close()
		if ne, ok := err.(net.Error); ok && ne.Timeout() || strings.Contains(string(b), "PONG") || strings.HasPrefix(string(b), "-") {
			t.Errorf("server %d: plain text on the TLS port got %q, %v", i, b, err)
		}
	}
}

// TestRedisCliTLSMatchesRedis runs redis-cli --tls, with and without a
// client certificate, against both servers.
func TestRedisCliTLSMatchesRedis(t *testing.T) {
	cli := requireTool(t, "redis-cli")
	p := startBothTLS(t)
	run := func(addr string, args ...string) (string, error) {
		host, port, _ := net.SplitHostPort(addr)
		cmd := exec.Command(cli, append([]string{"--tls", "--cacert", p.f.CA, "-h", host, "-p", port}, args...)...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	withCert := []string{"--cert", p.f.ClientCert, "--key", p.f.ClientKey}
	for _, cmdline := range [][]string{
		{"PING"}, {"SET", "k", "v"}, {"GET", "k"}, {"HELLO", "3"}, {"CLIENT", "INFO"},
	} {
		var outs [2]string
		for i, addr := range p.addrs {
			out, err := run(addr, append(withCert, cmdline...)...)
			if err != nil {
				t.Fatalf("server %d: redis-cli %q: %v\n%s", i, cmdline, err, out)
			}
			outs[i] = out
		}
		if cmdline[0] == "HELLO" || cmdline[0] == "CLIENT" {
			// Versions, ids and addresses differ: compare the shape.
			// Redoubt's CLIENT INFO adds Redis 7.2's lib-name and
			// lib-ver on purpose (server/cmd_client.go).
			outs[0] = strings.TrimSuffix(fieldNames(outs[0]), " lib-name lib-ver")
			outs[1] = fieldNames(outs[1])
		}
		if outs[0] != outs[1] {
			t.Errorf("redis-cli --tls %q:\nRedoubt %q\nRedis   %q", cmdline, outs[0], outs[1])
		}
	}
	// Without a certificate, tls-auth-clients yes refuses both.
	for i, addr := range p.addrs {
		out, _ := run(addr, "PING")
		if strings.Contains(out, "PONG") {
			t.Errorf("server %d: redis-cli without a certificate got %q", i, out)
		}
	}
	p.both(t, "CONFIG", "SET", "tls-auth-clients", "optional")
	for i, addr := range p.addrs {
		if out, err := run(addr, "PING"); err != nil || strings.TrimSpace(out) != "PONG" {
			t.Errorf("server %d: redis-cli without a certificate, tls-auth-clients optional: %q %v", i, out, err)
		}
	}
}

// fieldNames keeps the first word of each line, or of each space-separated
// name=value pair.
func fieldNames(s string) string {
	var names []string
	for _, line := range strings.Split(s, "\n") {
		for _, w := range strings.Fields(line) {
			if k, _, ok := strings.Cut(w, "="); ok {
				names = append(names, k)
			} else if _, err := strconv.Atoi(strings.TrimSuffix(w, ")")); err != nil && !strings.Contains(w, ".") {
				names = append(names, w)
			}
		}
	}
	return strings.Join(names, " ")
}

// TestGoRedisTLS drives both servers with go-redis over TLS: commands, a
// pipeline, a transaction and pub/sub.
func TestGoRedisTLS(t *testing.T) {
	p := startBothTLS(t)
	ctx := context.Background()
	for i, addr := range p.addrs {
		rdb := redis.NewClient(&redis.Options{Addr: addr, TLSConfig: p.f.ClientConfig(p.f.Client), Protocol: 3})
		defer rdb.Close()
		if err := rdb.Set(ctx, "k", "v", 0).Err(); err != nil {
			t.Fatalf("server %d: SET: %v", i, err)
		}
		if v, err := rdb.Get(ctx, "k").Result(); err != nil || v != "v" {
			t.Fatalf("server %d: GET: %q %v", i, v, err)
		}
		pipe := rdb.Pipeline()
		for j := range 100 {
			pipe.Incr(ctx, "n"+strconv.Itoa(j%3))
		}
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatalf("server %d: pipeline: %v", i, err)
		}
		if v, _ := rdb.Get(ctx, "n0").Int(); v != 34 {
			t.Errorf("server %d: n0 = %d", i, v)
		}
		if _, err := rdb.TxPipelined(ctx, func(tx redis.Pipeliner) error {
			tx.Set(ctx, "a", "1", 0)
			tx.Incr(ctx, "a")
			return nil
		}); err != nil {
			t.Fatalf("server %d: MULTI: %v", i, err)
		}
		sub := rdb.Subscribe(ctx, "ch")
		if _, err := sub.Receive(ctx); err != nil {
			t.Fatal(err)
		}
		if err := rdb.Publish(ctx, "ch", "hi").Err(); err != nil {
			t.Fatal(err)
		}
		msg, err := sub.ReceiveMessage(ctx)
		if err != nil || msg.Payload != "hi" {
			t.Errorf("server %d: message %v %v", i, msg, err)
		}
		sub.Close()
	}
}

// TestTLSConfigSetMatchesRedis: CONFIG SET of TLS directives with bad
// values gets Redis's replies, and the servers keep serving TLS with the
// old configuration. (A tls-ca-cert-dir that does not exist, or holds no
// certificate, is refused by Redoubt and accepted by Redis, which reads
// the directory only when it looks a certificate up: the issue asks for a
// clear error.)
func TestTLSConfigSetMatchesRedis(t *testing.T) {
	p := startBothTLS(t)
	garbage := tlstest.Write(t, t.TempDir(), "garbage", []byte("garbage"))
	other := tlstest.NewCA(t, "x").Issue(t, tlstest.Options{CN: "other"})
	otherKey := tlstest.Write(t, t.TempDir(), "other.key", other.KeyPEM)
	for _, cmd := range [][]string{
		{"CONFIG", "SET", "tls-key-file", garbage},
		{"CONFIG", "SET", "tls-key-file", otherKey},
		{"CONFIG", "SET", "tls-cert-file", "/nonexistent/server.crt"},
		{"CONFIG", "SET", "tls-ca-cert-file", garbage},
		{"CONFIG", "SET", "tls-protocols", "TLSv1.2 TLSv9"},
		{"CONFIG", "SET", "tls-ciphers", "NOT-A-CIPHER"},
		{"CONFIG", "SET", "tls-auth-clients", "maybe"},
		{"CONFIG", "SET", "tls-session-cache-size", "-1"},
		{"CONFIG", "SET", "tls-prefer-server-ciphers", "perhaps"},
		{"CONFIG", "SET", "tls-port", "65536"},
		{"CONFIG", "SET", "tls-cert-file", p.f.Cert, "tls-key-file", garbage},
		{"CONFIG", "GET", "tls-key-file"},
		{"CONFIG", "GET", "tls-auth-clients"},
		{"CONFIG", "GET", "tls-session-cache-timeout"},
	} {
		var got [2]string
		for i, c := range p.admins {
			got[i] = mustDo(t, c, cmd...).String()
		}
		if got[0] != got[1] {
			t.Errorf("%q:\nRedoubt %s\nRedis   %s", cmd, got[0], got[1])
		}
	}
	for i, addr := range p.addrs {
		if got := tlsOutcome(addr, p.f.ClientConfig(p.f.Client)); got != "PONG" {
			t.Errorf("server %d after the failed changes: %s", i, got)
		}
	}
}

// TestTLSEncryptedKeyMatchesRedis is Redis's "Working with an encrypted
// keyfile": without tls-key-file-pass the encrypted key is refused, with
// it accepted, on both servers; a wrong password is refused too.
func TestTLSEncryptedKeyMatchesRedis(t *testing.T) {
	openssl := requireTool(t, "openssl")
	p := startBothTLS(t)
	dir := t.TempDir()
	for _, form := range []struct{ name, args string }{
		{"pkcs8", "pkey -aes256"},
		{"traditional", "pkey -traditional -aes256"},
	} {
		enc := filepath.Join(dir, form.name+".key")
		args := append(strings.Fields(form.args), "-in", p.f.Key, "-out", enc, "-passout", "pass:1234")
		if out, err := exec.Command(openssl, args...).CombinedOutput(); err != nil {
			t.Fatalf("openssl %s: %v\n%s", form.args, err, out)
		}
		p.both(t, "CONFIG", "SET", "tls-key-file", p.f.Key) // the plain key again
		for step, cmd := range [][]string{
			{"CONFIG", "SET", "tls-key-file-pass", ""},
			{"CONFIG", "SET", "tls-key-file", enc},
			{"CONFIG", "SET", "tls-key-file-pass", "wrong"},
			{"CONFIG", "SET", "tls-key-file", enc},
			{"CONFIG", "SET", "tls-key-file-pass", "1234"},
			{"CONFIG", "SET", "tls-key-file", enc},
			{"CONFIG", "GET", "tls-key-file"},
		} {
			var got [2]string
			for i, c := range p.admins {
				got[i] = mustDo(t, c, cmd...).String()
			}
			if got[0] != got[1] {
				t.Errorf("%s key, %q:\nRedoubt %s\nRedis   %s", form.name, cmd, got[0], got[1])
			}
			if refused := strings.Contains(got[1], "Unable to update TLS configuration"); refused != (step == 1 || step == 3) {
				t.Errorf("%s key, step %d %q: Redis replied %s", form.name, step, cmd, got[1])
			}
		}
		for i, addr := range p.addrs {
			if got := tlsOutcome(addr, p.f.ClientConfig(p.f.Client)); got != "PONG" {
				t.Errorf("server %d with the %s encrypted key: %s", i, form.name, got)
			}
		}
	}
}
