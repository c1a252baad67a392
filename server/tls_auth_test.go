package server

import (
	"crypto/tls"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/internal/tlstest"
	"github.com/redoubt-db/redoubt/tlsconf"
)

// TestTLSReloadOnFileChange: with redoubt-tls-reload-interval, new files are
// picked up by themselves; connected clients stay; files that do not load
// leave the running configuration in place.
func TestTLSReloadOnFileChange(t *testing.T) {
	f := tlstest.NewFiles(t)
	var log logBuffer
	cfg := tlsServerConfig(f, &log)
	cfg.TLSReloadInterval = time.Second
	srv := tcStart(t, cfg)
	old, err := tcDialTLS(t, srv.TLSAddr(), f.ClientConfig(f.Client))
	if err != nil {
		t.Fatal(err)
	}
	serverCN := func() string {
		c, err := tcDialTLS(t, srv.TLSAddr(), f.ClientConfig(f.Client))
		if err != nil {
			return "error: " + err.Error()
		}
		defer c.nc.Close()
		return c.nc.(*tls.Conn).ConnectionState().PeerCertificates[0].Subject.CommonName
	}
	if cn := serverCN(); cn != "server" {
		t.Fatalf("CN %q", cn)
	}
	renewed := f.Authority.Issue(t, tlstest.Options{CN: "renewed"})
	// The key first, then the certificate: in between the pair does not
	// match, which a reload must survive.
	os.WriteFile(f.Key, renewed.KeyPEM, 0o600)
	time.Sleep(1500 * time.Millisecond)
	os.WriteFile(f.Cert, renewed.CertPEM, 0o600)
	if !waitUntil(5*time.Second, func() bool { return serverCN() == "renewed" }) {
		t.Fatalf("not reloaded; log:\n%s", log.String())
	}
	if !strings.Contains(log.String(), "TLS configuration reloaded: its files changed (certificate CN 'renewed'") {
		t.Errorf("reload not logged:\n%s", log.String())
	}
	if v := old.do("PING").flat(); v != "+PONG" {
		t.Errorf("client connected before the reload: %v", v)
	}
	// Garbage: logged, the renewed certificate stays.
	os.WriteFile(f.Cert, []byte("garbage"), 0o600)
	if !waitUntil(5*time.Second, func() bool {
		return strings.Contains(log.String(), "TLS files changed but do not load, keeping the running TLS configuration: Failed to load certificate: "+f.Cert)
	}) {
		t.Fatalf("failed reload not logged:\n%s", log.String())
	}
	if cn := serverCN(); cn != "renewed" {
		t.Errorf("after a failed reload: %q", cn)
	}
	info := tcInfo(old.str("INFO", "stats"))
	if info["redoubt_tls_reloads"] != "1" || info["redoubt_tls_reload_failures"] == "0" {
		t.Errorf("INFO reloads %s failures %s", info["redoubt_tls_reloads"], info["redoubt_tls_reload_failures"])
	}
	if v := old.do("CONFIG", "GET", "redoubt-tls-reload-interval").flat(); v != "[redoubt-tls-reload-interval 1]" {
		t.Errorf("CONFIG GET: %v", v)
	}
}

// TestTLSReloadOff: without the interval, changed files are not reloaded.
func TestTLSReloadOff(t *testing.T) {
	f := tlstest.NewFiles(t)
	srv := tcStart(t, tlsServerConfig(f, nil))
	renewed := f.Authority.Issue(t, tlstest.Options{CN: "renewed"})
	os.WriteFile(f.Key, renewed.KeyPEM, 0o600)
	os.WriteFile(f.Cert, renewed.CertPEM, 0o600)
	time.Sleep(1500 * time.Millisecond)
	c, err := tcDialTLS(t, srv.TLSAddr(), f.ClientConfig(f.Client))
	if err != nil {
		t.Fatal(err)
	}
	if cn := c.nc.(*tls.Conn).ConnectionState().PeerCertificates[0].Subject.CommonName; cn != "server" {
		t.Errorf("reloaded without the directive: %q", cn)
	}
}

// TestTLSCertLogin: a verified client certificate logs in as the user it
// names (CN or a SAN); unknown or disabled users stay the default user.
func TestTLSCertLogin(t *testing.T) {
	f := tlstest.NewFiles(t)
	var log logBuffer
	cfg := tlsServerConfig(f, &log)
	cfg.TLSAuthUser = TLSAuthCN
	cfg.RequirePass = "a-long-enough-password-for-the-test-1234"
	srv := tcStart(t, cfg)
	admin := tcDial(t, srv)
	admin.do("AUTH", cfg.RequirePass)
	for _, line := range [][]string{
		{"ACL", "SETUSER", "alice", "on", ">alice-password-long-enough-123456", "~*", "+@all"},
		{"ACL", "SETUSER", "carol", "on", "nopass", "~*", "+@all"},
		{"ACL", "SETUSER", "dave", "off", "nopass", "~*", "+@all"},
	} {
		if v := admin.do(line...).flat(); v != "+OK" {
			t.Fatalf("%q: %v", line, v)
		}
	}
	dial := func(p *tlstest.Pair) *tcConn {
		t.Helper()
		c, err := tcDialTLS(t, srv.TLSAddr(), f.ClientConfig(p))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	alice := f.Authority.Issue(t, tlstest.Options{CN: "alice", DNS: []string{"carol"}, Emails: []string{"dave@example.com"}})
	if v := dial(alice).do("ACL", "WHOAMI").flat(); v != "alice" {
		t.Errorf("CN alice: WHOAMI %v", v)
	}
	// Unknown user (f.Client's CN is "client") and a disabled one.
	if v := dial(f.Client).do("ACL", "WHOAMI").flat(); !strings.HasPrefix(v, "-NOAUTH") {
		t.Errorf("CN of no user: %v", v)
	}
	daveCN := f.Authority.Issue(t, tlstest.Options{CN: "dave"})
	if v := dial(daveCN).do("GET", "x").flat(); !strings.HasPrefix(v, "-NOAUTH") {
		t.Errorf("CN of a disabled user: %v", v)
	}
	if !strings.Contains(log.String(), "TLS client certificate (cn) names 'dave', which is no enabled user") {
		t.Errorf("log:\n%s", log.String())
	}
	// The first DNS SAN instead.
	admin.do("CONFIG", "SET", "redoubt-tls-auth-user", "san-dns")
	if v := dial(alice).do("ACL", "WHOAMI").flat(); v != "carol" {
		t.Errorf("san-dns: WHOAMI %v", v)
	}
	admin.do("CONFIG", "SET", "redoubt-tls-auth-user", "off")
	if v := dial(alice).do("ACL", "WHOAMI").flat(); !strings.HasPrefix(v, "-NOAUTH") {
		t.Errorf("off: %v", v)
	}
	info := tcInfo(admin.str("INFO", "stats"))
	if info["redoubt_tls_cert_logins"] != "2" || info["redoubt_tls_cert_unknown_users"] != "2" {
		t.Errorf("INFO cert logins %s unknown %s", info["redoubt_tls_cert_logins"], info["redoubt_tls_cert_unknown_users"])
	}
	if v := admin.do("CONFIG", "SET", "redoubt-tls-auth-user", "subject").flat(); !strings.HasPrefix(v, "-ERR CONFIG SET failed") {
		t.Errorf("bad value: %v", v)
	}
}

// TestTLSCertRequiredUsers: a user that requires its certificate cannot log
// in by password alone, even when it is nopass and client certificates are
// optional (redis issue #14638); with its certificate it can.
func TestTLSCertRequiredUsers(t *testing.T) {
	f := tlstest.NewFiles(t)
	cfg := tlsServerConfig(f, nil)
	cfg.TLS.AuthClients = tlsconf.AuthOptional
	cfg.TLSAuthUser = TLSAuthCN
	cfg.TLSCertRequiredUsers = []string{"svc"}
	srv := tcStart(t, cfg)
	admin := tcDial(t, srv)
	admin.do("ACL", "SETUSER", "svc", "on", "nopass", "~*", "+@all")
	admin.do("ACL", "SETUSER", "bob", "on", ">bob-password-long-enough-1234567", "~*", "+@all")
	wrong := "-WRONGPASS invalid username-password pair or user is disabled."
	// Plain TCP, TLS without a certificate, TLS with another user's.
	noCert, err := tcDialTLS(t, srv.TLSAddr(), f.ClientConfig(nil))
	if err != nil {
		t.Fatal(err)
	}
	bobCert := f.Authority.Issue(t, tlstest.Options{CN: "bob"})
	bob, err := tcDialTLS(t, srv.TLSAddr(), f.ClientConfig(bobCert))
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]*tcConn{"plain": tcDial(t, srv), "TLS without a certificate": noCert, "bob's certificate": bob} {
		if v := c.do("AUTH", "svc", "anything").flat(); v != wrong {
			t.Errorf("%s: AUTH svc: %v", name, v)
		}
		if v := c.do("HELLO", "2", "AUTH", "svc", "anything").flat(); v != wrong {
			t.Errorf("%s: HELLO AUTH svc: %v", name, v)
		}
	}
	// Other users log in by password as before.
	if v := admin.do("AUTH", "bob", "bob-password-long-enough-1234567").flat(); v != "+OK" {
		t.Errorf("AUTH bob: %v", v)
	}
	// With its certificate: logged in at connect, and AUTH svc works too.
	svcCert := f.Authority.Issue(t, tlstest.Options{CN: "svc"})
	svc, err := tcDialTLS(t, srv.TLSAddr(), f.ClientConfig(svcCert))
	if err != nil {
		t.Fatal(err)
	}
	if v := svc.do("ACL", "WHOAMI").flat(); v != "svc" {
		t.Errorf("svc certificate: WHOAMI %v", v)
	}
	svc.do("AUTH", "bob", "bob-password-long-enough-1234567")
	if v := svc.do("AUTH", "svc", "x").flat(); v != "+OK" {
		t.Errorf("AUTH svc with its certificate: %v", v)
	}
	if v := admin.do("ACL", "LOG", "1").flat(); !strings.Contains(v, "svc") || !strings.Contains(v, "auth") {
		t.Errorf("ACL LOG: %v", v)
	}
	info := tcInfo(admin.str("INFO", "stats"))
	if info["redoubt_tls_cert_required_refused"] != "6" {
		t.Errorf("INFO redoubt_tls_cert_required_refused %s", info["redoubt_tls_cert_required_refused"])
	}
	if v := admin.do("CONFIG", "GET", "redoubt-tls-cert-required-users").flat(); v != "[redoubt-tls-cert-required-users svc]" {
		t.Errorf("CONFIG GET: %v", v)
	}
}
