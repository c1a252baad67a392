package server

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redoubt-db/redoubt/tlsconf"
)

// Native TLS: the tls-port listeners, beside the plain ones on the same
// bind addresses, serve connections whose handshake runs in the
// connection's own goroutine under a deadline (handshakeTLS), so a client
// that sends nothing, plain text or half a handshake costs nobody else
// anything. The configuration (package tlsconf) is loaded at start and by
// CONFIG SET of any tls-* directive, all or nothing, and applies to the
// connections accepted after it.

// TLSPortAny as Config.TLSPort picks a free port for the TLS listeners.
const TLSPortAny = -1

const (
	// msgTLSUpdate is Redis's reason when CONFIG SET tls-* cannot load
	// the new configuration; the log says why.
	msgTLSUpdate = "Unable to update TLS configuration. Check server logs."
)

// tlsHandshakeTimeout bounds a client's TLS handshake (a variable for tests).
var tlsHandshakeTimeout = 10 * time.Second

// tlsState is the server's TLS side.
type tlsState struct {
	// cfg is the configuration new connections get, nil while TLS is off.
	cfg atomic.Pointer[tls.Config]
	// files are the files cfg was loaded from, and stamp their sizes and
	// times then (for the reload watcher); under lnMu.
	files []string
	stamp string
	// lns are the TLS listeners and port the port they share; under lnMu.
	lns  []net.Listener
	port int
	// auth is the state of reloads and certificate logins (tls_auth.go).
	auth tlsAuthState
}

// tlsOf returns cfg's tls-* directives, Redis's defaults when unset.
func tlsOf(cfg *Config) tlsconf.Config {
	if cfg.TLS == nil {
		return tlsconf.Defaults()
	}
	return *cfg.TLS
}

// tlsStr makes the directive of a string field of tlsconf.Config.
func tlsStr(name string, flags dirFlags, field func(*tlsconf.Config) *string) *directive {
	return implDirective(name, flags, parseStr,
		func(c *Config) string { t := tlsOf(c); return *field(&t) },
		func(c *Config, v string) { t := tlsOf(c); *field(&t) = v; c.TLS = &t })
}

// tlsBool makes the directive of a yes/no field of tlsconf.Config.
func tlsBool(name string, field func(*tlsconf.Config) *bool) *directive {
	return implDirective(name, 0, parseYesNo,
		func(c *Config) string { t := tlsOf(c); return formatYesNo(*field(&t)) },
		func(c *Config, v string) { t := tlsOf(c); *field(&t) = v == "yes"; c.TLS = &t })
}

// tlsInt makes the directive of an int field of tlsconf.Config.
func tlsInt(name string, field func(*tlsconf.Config) *int) *directive {
	return implDirective(name, 0, parseIntRange(0, intMax),
		func(c *Config) string { t := tlsOf(c); return dirItoa(*field(&t)) },
		func(c *Config, v string) { t := tlsOf(c); *field(&t) = dirAtoi(v); c.TLS = &t })
}

// tlsDirectives are the tls-* directives Redoubt implements, and its own
// (tls_auth.go).
var tlsDirectives = slices.Concat(tlsDirectivesOwn, []*directive{
	implDirective("tls-port", 0, parseIntRange(0, 65535),
		func(c *Config) string { return dirItoa(max(c.TLSPort, 0)) },
		func(c *Config, v string) { c.TLSPort = dirAtoi(v) }),
	tlsStr("tls-cert-file", 0, func(t *tlsconf.Config) *string { return &t.CertFile }),
	tlsStr("tls-key-file", 0, func(t *tlsconf.Config) *string { return &t.KeyFile }),
	tlsStr("tls-key-file-pass", dirSensitive, func(t *tlsconf.Config) *string { return &t.KeyFilePass }),
	tlsStr("tls-client-cert-file", 0, func(t *tlsconf.Config) *string { return &t.ClientCertFile }),
	tlsStr("tls-client-key-file", 0, func(t *tlsconf.Config) *string { return &t.ClientKeyFile }),
	tlsStr("tls-client-key-file-pass", dirSensitive, func(t *tlsconf.Config) *string { return &t.ClientKeyFilePass }),
	tlsStr("tls-dh-params-file", 0, func(t *tlsconf.Config) *string { return &t.DHParamsFile }),
	tlsStr("tls-ca-cert-file", 0, func(t *tlsconf.Config) *string { return &t.CAFile }),
	tlsStr("tls-ca-cert-dir", 0, func(t *tlsconf.Config) *string { return &t.CADir }),
	tlsStr("tls-protocols", 0, func(t *tlsconf.Config) *string { return &t.Protocols }),
	tlsStr("tls-ciphers", 0, func(t *tlsconf.Config) *string { return &t.Ciphers }),
	tlsStr("tls-ciphersuites", 0, func(t *tlsconf.Config) *string { return &t.CipherSuites }),
	implDirective("tls-auth-clients", 0, parseEnum("no", "yes", "optional"),
		func(c *Config) string { return tlsOf(c).AuthClients.String() },
		func(c *Config, v string) { t := tlsOf(c); t.AuthClients, _ = tlsconf.ParseAuthClients(v); c.TLS = &t }),
	tlsBool("tls-prefer-server-ciphers", func(t *tlsconf.Config) *bool { return &t.PreferServerCiphers }),
	tlsBool("tls-session-caching", func(t *tlsconf.Config) *bool { return &t.SessionCaching }),
	tlsInt("tls-session-cache-size", func(t *tlsconf.Config) *int { return &t.SessionCacheSize }),
	tlsInt("tls-session-cache-timeout", func(t *tlsconf.Config) *int { return &t.SessionCacheTimeout }),
})

// loadTLS loads cfg's TLS configuration, logging why it cannot.
func (s *Server) loadTLS(cfg *Config) (*tlsconf.Bundle, error) {
	b, err := tlsconf.Load(tlsOf(cfg), time.Now())
	if err != nil {
		s.log.logf(levelWarning, "%s", err)
		return nil, err
	}
	return b, nil
}

// listenTLS loads the TLS configuration and binds the TLS listeners of cfg
// at start-up, when tls-port is set.
func (s *Server) listenTLS(cfg *Config) error {
	if cfg.TLSPort == 0 {
		return nil
	}
	b, err := s.loadTLS(cfg)
	if err != nil {
		s.log.logf(levelWarning, "Failed to configure TLS. Check logs for more info.")
		return fmt.Errorf("server: failed to configure TLS: %w", err)
	}
	port := max(cfg.TLSPort, 0)
	lns, port, err := s.openListeners(cfg.Bind, port)
	if err != nil {
		s.log.logf(levelWarning, "Failed listening on port %d (TLS), aborting.", cfg.TLSPort)
		return err
	}
	s.tls.cfg.Store(b.Server)
	s.tls.files, s.tls.stamp = b.Files, tlsconf.Stamp(b.Files)
	s.tls.lns, s.tls.port = lns, port
	s.cfg.TLSPort = port
	return nil
}

// tlsListener hands out the connections of a TLS listener as *tls.Conn,
// each with the configuration current when it was accepted; the handshake
// waits for the connection's goroutine.
type tlsListener struct {
	net.Listener
	s *Server
}

func (l tlsListener) Accept() (net.Conn, error) {
	nc, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	cfg := l.s.tls.cfg.Load()
	if cfg == nil { // TLS turned off between the two loads
		nc.Close()
		return nil, errTLSOff
	}
	return tls.Server(nc, cfg), nil
}

var errTLSOff = errors.New("TLS is off")

// startTLSLoops starts an accept loop on each listener of lns.
func (s *Server) startTLSLoops(lns []net.Listener) {
	for _, ln := range lns {
		s.wg.Add(1)
		go s.acceptLoop(tlsListener{ln, s}) // exits when the listener is closed
	}
}

// closeTLSListeners closes the TLS listeners; the caller holds lnMu.
func (s *Server) closeTLSListeners() {
	for _, ln := range s.tls.lns {
		ln.Close()
	}
}

// TLSAddr returns the host:port of the first TLS listener, or "" if none.
func (s *Server) TLSAddr() string {
	s.lnMu.Lock()
	defer s.lnMu.Unlock()
	if len(s.tls.lns) == 0 {
		return ""
	}
	return s.tls.lns[0].Addr().String()
}

// TLSPort returns the port the TLS listeners share, 0 if none.
func (s *Server) TLSPort() int {
	s.lnMu.Lock()
	defer s.lnMu.Unlock()
	return s.tls.port
}

// handshakeTLS runs the TLS handshake of a new connection in its own
// goroutine, under a deadline, then admits it as Redis's clientAcceptHandler
// does: protected mode refuses a peer other than 127.0.0.1 and ::1 when no
// password is set. It reports whether the connection goes on.
func (c *client) handshakeTLS(tc *tls.Conn) bool {
	s := c.s
	tc.SetDeadline(time.Now().Add(tlsHandshakeTimeout))
	if err := tc.Handshake(); err != nil {
		s.tls.auth.handshakeFailures.Add(1)
		s.log.logf(levelWarning, "Error accepting a client connection: %v (addr=%s laddr=%s)",
			err, c.nc.RemoteAddr(), c.nc.LocalAddr())
		return false
	}
	tc.SetDeadline(time.Time{})
	s.cfgMu.RLock()
	protectedMode, authUser := !s.cfg.InsecureDisableProtectedMode, s.cfg.TLSAuthUser
	s.cfgMu.RUnlock()
	if s.protectedModeDenies(c.nc, protectedMode) {
		s.stats.rejectedConns.Add(1)
		tc.SetWriteDeadline(time.Now().Add(time.Second))
		tc.Write([]byte("-" + msgDenied + "\r\n"))
		return false
	}
	s.stats.connections.Add(1)
	st := tc.ConnectionState()
	c.certLogin(&st, authUser) // tls_auth.go
	return true
}

// isTLSConn reports whether nc is a TLS connection.
func isTLSConn(nc net.Conn) bool {
	_, ok := nc.(*tls.Conn)
	return ok
}

// tlsChanged reports whether setting work from old changes anything TLS.
func tlsChanged(old, work *Config) bool {
	return old.TLSPort != work.TLSPort || tlsOf(old) != tlsOf(work) || !slices.Equal(old.Bind, work.Bind) && work.TLSPort != 0
}

// tlsPlan is a prepared TLS change of CONFIG SET: the configuration loaded
// and the listeners bound, to commit or abort.
type tlsPlan struct {
	bundle  *tlsconf.Bundle // nil: TLS off
	lns     []net.Listener  // new listeners (when rebound)
	port    int
	rebound bool
}

// prepareTLS loads work's TLS configuration and binds its listeners when
// the port or the bind addresses change, without touching the running
// ones. names are the directives of the CONFIG SET, in order: on failure it
// returns the first TLS one, which Redis names (its apply function runs
// once, for the first directive that has it). Called by setConfig under
// cfgMu.
func (s *Server) prepareTLS(old, work *Config, names []string) (*tlsPlan, string, error) {
	p := &tlsPlan{}
	if work.TLSPort == 0 {
		p.rebound = old.TLSPort != 0
		return p, "", nil
	}
	b, err := s.loadTLS(work)
	if err != nil {
		name := "tls-port"
		for _, n := range names {
			if strings.HasPrefix(n, "tls-") && n != "tls-auth-clients" {
				name = n
				break
			}
		}
		return nil, name, reasonError(msgTLSUpdate)
	}
	p.bundle = b
	s.lnMu.Lock()
	defer s.lnMu.Unlock()
	if work.TLSPort == s.tls.port && slices.Equal(old.Bind, work.Bind) && len(s.tls.lns) > 0 {
		p.port = s.tls.port
		return p, "", nil
	}
	// Redis closes the old TLS listeners first (changeListenPort); binding
	// the new ones while the old still serve keeps them on failure, but a
	// new address may clash with an old one on the same port: then close
	// first, and bind the old again if the new still fail.
	lns, port, err := s.openListeners(work.Bind, max(work.TLSPort, 0))
	if err != nil && len(s.tls.lns) > 0 {
		s.closeTLSListeners()
		lns, port, err = s.openListeners(work.Bind, max(work.TLSPort, 0))
		if err != nil {
			prev, prevPort, rerr := s.openListeners(old.Bind, s.tls.port)
			if rerr != nil {
				s.log.logf(levelWarning, "Failed to restore the TLS listening sockets: %v", rerr)
			}
			s.tls.lns, s.tls.port = prev, prevPort
			s.startTLSLoops(prev)
		}
	}
	if err != nil {
		return nil, "tls-port", reasonError(msgListenPort)
	}
	p.lns, p.port, p.rebound = lns, port, true
	return p, "", nil
}

// abortTLS undoes prepareTLS after another change of the same CONFIG SET
// failed.
func (s *Server) abortTLS(p *tlsPlan) {
	for _, ln := range p.lns {
		ln.Close()
	}
}

// commitTLS makes a prepared TLS change the running one: new connections
// get its configuration, its listeners replace the old. work.TLSPort is set
// to the port bound.
func (s *Server) commitTLS(p *tlsPlan, work *Config) {
	s.lnMu.Lock()
	defer s.lnMu.Unlock()
	if p.bundle == nil {
		s.tls.cfg.Store(nil)
		s.closeTLSListeners()
		s.tls.lns, s.tls.port, s.tls.files, s.tls.stamp = nil, 0, nil, ""
		return
	}
	s.tls.cfg.Store(p.bundle.Server)
	s.tls.files, s.tls.stamp = p.bundle.Files, tlsconf.Stamp(p.bundle.Files)
	if p.rebound {
		s.closeTLSListeners()
		s.tls.lns, s.tls.port = p.lns, p.port
		s.startTLSLoops(p.lns)
	}
	work.TLSPort = s.tls.port
	s.log.logf(levelNotice, "TLS configuration loaded (tls-port %s)", strconv.Itoa(s.tls.port))
}

// sockOf returns the socket under a TLS connection, or nc itself.
func sockOf(nc net.Conn) net.Conn {
	if tc, ok := nc.(*tls.Conn); ok {
		return tc.NetConn()
	}
	return nc
}

// closeConn closes nc from any goroutine without waiting for the peer: a
// TLS connection's socket is closed under it, with no close_notify, which
// could wait for a peer that does not read (and which a concurrent
// tls.Conn.Close would not interrupt).
func closeConn(nc net.Conn) error { return sockOf(nc).Close() }

// closeOwn closes the connection from its own goroutine as it ends: a TLS
// connection sends close_notify first, as Redis's SSL_shutdown does, which
// closeConn from another goroutine cuts short.
func (c *client) closeOwn() {
	if c.closed.CompareAndSwap(false, true) {
		if tc, ok := c.nc.(*tls.Conn); ok {
			tc.SetWriteDeadline(time.Now().Add(time.Second))
			tc.Close()
			return
		}
		c.nc.Close()
	}
}
