package server

import (
	"crypto/tls"
	"crypto/x509"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redoubt-db/redoubt/acl"
	"github.com/redoubt-db/redoubt/tlsconf"
)

// Beyond Redis: TLS certificates that reload themselves when their files
// change, and client certificates that log in as ACL users.
//
// With redoubt-tls-reload-interval N, a goroutine looks every N seconds at
// the sizes and times of the files the TLS configuration was loaded from,
// and when one changed loads the whole configuration again, all or
// nothing, as CONFIG SET would: new connections get it, connected ones keep
// theirs, and each reload or failed attempt is logged.
//
// With redoubt-tls-auth-user cn (or san-dns, san-email, san-uri), a client
// whose certificate the handshake verified is logged in as the enabled ACL
// user its certificate names, before its first command, as if it had sent
// AUTH. A name that is no user, or a user that is off, leaves the
// connection as any other (the default user), logged. Users listed in
// redoubt-tls-cert-required-users can log in by password only over a
// connection whose certificate maps to them, which closes redis issue
// #14638's gap (with tls-auth-clients optional, a nopass user meant for
// certificate logins could otherwise just AUTH without one).

// Values of Config.TLSAuthUser.
const (
	TLSAuthOff      = "off"
	TLSAuthCN       = "cn"
	TLSAuthSANDNS   = "san-dns"
	TLSAuthSANEmail = "san-email"
	TLSAuthSANURI   = "san-uri"
)

// maxTLSReloadS bounds redoubt-tls-reload-interval: a day.
const maxTLSReloadS = 86400

func validTLSAuthUser(v string) bool {
	return v == "" || slices.Contains([]string{TLSAuthOff, TLSAuthCN, TLSAuthSANDNS, TLSAuthSANEmail, TLSAuthSANURI}, v)
}

// tlsAuthState is the hot state of reloads and certificate logins.
type tlsAuthState struct {
	reloadEvery atomic.Int64 // nanoseconds; 0: no watching
	// Counters for INFO.
	reloads, reloadFailures atomic.Int64
	certLogins, certNoUser  atomic.Int64
	certRequiredRefused     atomic.Int64
	handshakeFailures       atomic.Int64
}

// applyTLSHot publishes the settings read outside cfgMu.
func (s *Server) applyTLSHot(cfg *Config) {
	s.tls.auth.reloadEvery.Store(int64(cfg.TLSReloadInterval))
}

// tlsDirectivesOwn are Redoubt's own TLS directives.
var tlsDirectivesOwn = []*directive{
	implDirective("redoubt-tls-reload-interval", 0, parseIntRange(0, maxTLSReloadS),
		func(c *Config) string { return strconv.FormatInt(int64(c.TLSReloadInterval/time.Second), 10) },
		func(c *Config, v string) { c.TLSReloadInterval = time.Duration(dirAtoi64(v)) * time.Second }),
	implDirective("redoubt-tls-auth-user", 0, parseEnum(TLSAuthOff, TLSAuthCN, TLSAuthSANDNS, TLSAuthSANEmail, TLSAuthSANURI),
		func(c *Config) string {
			if c.TLSAuthUser == "" {
				return TLSAuthOff
			}
			return c.TLSAuthUser
		},
		func(c *Config, v string) { c.TLSAuthUser = v }),
	implDirective("redoubt-tls-cert-required-users", dirMultiArg, parseUserList,
		func(c *Config) string { return strings.Join(c.TLSCertRequiredUsers, " ") },
		func(c *Config, v string) {
			c.TLSCertRequiredUsers = nil
			if v != "" {
				c.TLSCertRequiredUsers = strings.Split(v, " ")
			}
		}),
}

// parseUserList is a list of user names ("" alone is none).
func parseUserList(args []string, _ string, _ bool) (string, error) {
	if len(args) == 1 && args[0] == "" {
		return "", nil
	}
	var names []string
	for _, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\r\n\x00") {
			return "", reasonError("user names cannot be empty or contain spaces")
		}
		names = append(names, a)
	}
	return strings.Join(names, " "), nil
}

// certName returns the name field picks from a verified certificate, or "".
func certName(field string, cert *x509.Certificate) string {
	switch field {
	case TLSAuthCN:
		return cert.Subject.CommonName
	case TLSAuthSANDNS:
		if len(cert.DNSNames) > 0 {
			return cert.DNSNames[0]
		}
	case TLSAuthSANEmail:
		if len(cert.EmailAddresses) > 0 {
			return cert.EmailAddresses[0]
		}
	case TLSAuthSANURI:
		if len(cert.URIs) > 0 {
			return cert.URIs[0].String()
		}
	}
	return ""
}

// certLogin logs a TLS connection in as the user its verified client
// certificate names, when redoubt-tls-auth-user says so (field).
func (c *client) certLogin(st *tls.ConnectionState, field string) {
	if field == "" || field == TLSAuthOff || len(st.VerifiedChains) == 0 || len(st.PeerCertificates) == 0 {
		return
	}
	name := certName(field, st.PeerCertificates[0])
	if name == "" {
		return
	}
	c.certUser = name
	s := c.s
	u := s.user(name)
	if u == nil || !u.Enabled() {
		s.tls.auth.certNoUser.Add(1)
		s.log.logf(levelWarning, "TLS client certificate (%s) names '%s', which is no enabled user: the connection stays as the default user: id=%d addr=%s",
			field, name, c.id, c.nc.RemoteAddr())
		s.auditEvent(c, "auth", "user", name, "method", "tls-cert", "result", "fail")
		return
	}
	s.tls.auth.certLogins.Add(1)
	s.log.logf(levelVerbose, "TLS client certificate logged in as '%s': id=%d addr=%s", name, c.id, c.nc.RemoteAddr())
	s.auditEvent(c, "auth", "user", name, "method", "tls-cert", "result", "ok")
	c.loginAs(u)
}

// certAllows reports whether a password login as u may succeed on c: u is
// not among redoubt-tls-cert-required-users, or c's certificate maps to u.
func (c *client) certAllows(u *acl.User) bool {
	c.s.cfgMu.RLock()
	required := slices.Contains(c.s.cfg.TLSCertRequiredUsers, u.Name)
	c.s.cfgMu.RUnlock()
	if !required || c.certUser == u.Name {
		return true
	}
	c.s.tls.auth.certRequiredRefused.Add(1)
	c.s.log.logf(levelVerbose, "Refusing a password login as '%s', which needs its TLS client certificate: id=%d addr=%s",
		u.Name, c.id, c.nc.RemoteAddr())
	return false
}

// tlsWatchLoop looks at the TLS files every redoubt-tls-reload-interval and
// reloads them when they change, until the server stops.
func (s *Server) tlsWatchLoop() {
	defer s.wg.Done()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var last time.Time
	for {
		var now time.Time
		select {
		case <-s.stopCron:
			return
		case now = <-tick.C:
		}
		every := time.Duration(s.tls.auth.reloadEvery.Load())
		if every <= 0 || now.Sub(last) < every-100*time.Millisecond {
			continue
		}
		last = now
		s.reloadChangedTLS()
	}
}

// reloadChangedTLS reloads the TLS configuration if its files changed since
// it was loaded; a configuration that does not load leaves the running one
// in place, and is tried again when the files change again.
func (s *Server) reloadChangedTLS() {
	s.cfgMu.Lock()
	defer s.cfgMu.Unlock()
	s.lnMu.Lock()
	files, stamp, on := s.tls.files, s.tls.stamp, s.tls.cfg.Load() != nil
	s.lnMu.Unlock()
	if !on || len(files) == 0 {
		return
	}
	now := tlsconf.Stamp(files)
	if now == stamp {
		return
	}
	b, err := tlsconf.Load(tlsOf(&s.cfg), time.Now())
	s.lnMu.Lock()
	defer s.lnMu.Unlock()
	if s.tls.cfg.Load() == nil { // TLS turned off meanwhile
		return
	}
	if err != nil {
		s.tls.stamp = now
		s.tls.auth.reloadFailures.Add(1)
		s.log.logf(levelWarning, "TLS files changed but do not load, keeping the running TLS configuration: %v", err)
		return
	}
	s.tls.cfg.Store(b.Server)
	s.tls.files, s.tls.stamp = b.Files, tlsconf.Stamp(b.Files)
	s.tls.auth.reloads.Add(1)
	s.log.logf(levelNotice, "TLS configuration reloaded: its files changed (certificate CN '%s', valid until %s)",
		b.Leaf.Subject.CommonName, b.Leaf.NotAfter.UTC().Format(time.RFC3339))
}

// appendTLSInfo adds the TLS counters to INFO stats, under names of our own.
func (s *Server) appendTLSInfo(b []byte) []byte {
	a := &s.tls.auth
	b = field(b, "redoubt_tls_handshake_failures", a.handshakeFailures.Load())
	b = field(b, "redoubt_tls_reloads", a.reloads.Load())
	b = field(b, "redoubt_tls_reload_failures", a.reloadFailures.Load())
	b = field(b, "redoubt_tls_cert_logins", a.certLogins.Load())
	b = field(b, "redoubt_tls_cert_unknown_users", a.certNoUser.Load())
	b = field(b, "redoubt_tls_cert_required_refused", a.certRequiredRefused.Load())
	return b
}
