package server

import (
	"fmt"

	"github.com/redoubt-db/redoubt/internal/num"
)

// Authentication: requirepass, AUTH and HELLO AUTH, the NOAUTH gate of the
// dispatcher, and the limits on clients that have not authenticated, as
// Redis 7.0.15 (src/acl.c, src/networking.c, src/server.c).

const (
	msgNoAuth      = "NOAUTH Authentication required."
	msgHelloNoAuth = "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time"
)

// requirePassHidden is what CONFIG GET requirepass shows once a password is
// set: Redoubt keeps passwords only as their SHA-256, so the clear text
// Redis shows is gone. An unset requirepass reads "", as in Redis.
const requirePassHidden = "(redacted)"

// unauthOutputCap is the most output a client that must authenticate and
// has not may have waiting (CVE-2025-21605): Redis 7.4.3 closes such a
// client when its reply list passes 1 KB beyond its 16 KB reply buffer.
const unauthOutputCap = 16*1024 + 1024

// applyRequirePass sets the default user's password as Redis's
// ACLUpdateDefaultUserPassword: "resetpass" then ">pw", or "nopass" when pw
// is empty. where names the source, for the weak-secret warning.
func (s *Server) applyRequirePass(pw, where string) {
	if pw != "" {
		s.warnWeakSecret(where, defaultUser, []byte(pw))
	}
	rules := []string{"resetpass", "nopass"}
	if pw != "" {
		rules[1] = ">" + pw
	}
	s.users.mu.Lock()
	u := s.users.m[defaultUser].Clone()
	if err := u.SetRules(rules); err != nil {
		// ">" with any bytes is always a valid rule.
		s.users.mu.Unlock()
		panic("server: requirepass: " + err.Error())
	}
	s.users.m[defaultUser] = u
	s.users.gen.Add(1)
	s.users.mu.Unlock()
}

// hideRequirePass replaces a clear-text requirepass in cfg, once applied,
// by what CONFIG GET shows.
func hideRequirePass(cfg *Config) {
	if cfg.RequirePass != "" {
		cfg.RequirePass = requirePassHidden
	}
}

// passwordSet reports whether the default user needs a password: protected
// mode is lifted then, as Redis's DENIED check looks only at the default
// user's nopass flag.
func (s *Server) passwordSet() bool { return !s.user(defaultUser).NoPass() }

// login checks user and pass (AUTH, HELLO AUTH, whose name as typed is
// cmdName: ACL LOG shows it) and, when they match, makes the connection
// authenticated as that user. On failure it writes the
// error reply (or, when loginGate says so, arranges for the connection to
// close without one) and reports false.
func (c *client) login(cmdName, user, pass []byte) bool {
	if !c.loginGate(user) {
		c.closeAfterReply = true
		// Nothing more is written, but inside EXEC, whose reply array
		// has its length already: loginGate wrote this element, and
		// the commands queued after it reply as usual.
		c.mute = !c.inExec
		return false
	}
	u := c.s.authenticate(user, pass)
	c.loginResult(user, u != nil)
	if u == nil {
		c.s.auditEvent(c, "auth", "user", string(user), "result", "fail")
		c.s.aclLog.add(aclReasonAuth, c.aclContext(), string(cmdName), string(user), c)
		c.writeErrorReply(msgWrongPass)
		return false
	}
	c.s.auditEvent(c, "auth", "user", u.Name, "result", "ok")
	c.loginAs(u)
	return true
}

// authPending reports whether c must authenticate before running commands
// other than AUTH, HELLO, QUIT and RESET (Redis's authRequired). An
// authenticated client pays one branch.
func (c *client) authPending() bool {
	return !c.authenticated && c.s.authRequired()
}

// refreshPreAuth switches the reader's pre-authentication limits on or off
// for what c reads next.
func (c *client) refreshPreAuth() {
	if c.authenticated {
		c.rd.Unauthenticated = false
		return
	}
	c.rd.Unauthenticated = c.s.authRequired()
}

// overUnauthOutput reports whether c, not authenticated, has more output
// waiting than unauthOutputCap; it then logs and arranges the close.
func (c *client) overUnauthOutput() bool {
	if c.pendingOutput() <= unauthOutputCap || !c.authPending() {
		return false
	}
	c.s.log.logf(levelWarning, "Client id=%d addr=%s closed: unauthenticated, with more than %d bytes of replies unread",
		c.id, c.nc.RemoteAddr(), unauthOutputCap)
	c.s.stats.clientOutputLimit.Add(1)
	c.close()
	c.closeAfterReply = true
	return true
}

func cmdAuth(c *client, args [][]byte) {
	if len(args) > 3 {
		c.writeErrorReply(msgSyntax)
		return
	}
	user, pass := []byte(defaultUser), args[1]
	if len(args) == 2 {
		// The one-argument form names the default user; Redis refuses it
		// when that user needs no password, as a hint of misconfiguration.
		if c.s.defaultUserNoPass() {
			c.writeErrorReply(msgAuthNoPassword)
			return
		}
	} else {
		user, pass = args[1], args[2]
	}
	if !c.login(args[0], user, pass) {
		return
	}
	c.WriteOK()
}

// cmdHello acts on its options in order, as Redis 7.0's helloCommand: each
// AUTH authenticates at once (a failure replies WRONGPASS and leaves what
// follows undone, but what came before done), each SETNAME names the
// connection at once. Then a connection still not authenticated gets
// NOAUTH, and otherwise the protocol switches and the reply follows.
func cmdHello(c *client, args [][]byte) {
	ver := 0
	if len(args) >= 2 {
		n, ok := num.ParseInt(args[1])
		if !ok {
			c.writeErrorReply(msgHelloProtoNotInt)
			return
		}
		if n < 2 || n > 3 {
			c.writeErrorReply(msgNoProto)
			return
		}
		ver = int(n)
	}
	for j := 2; j < len(args); j++ {
		more := len(args) - 1 - j
		switch {
		case isOpt(args[j], "auth") && more >= 2:
			if !c.login(args[0], args[j+1], args[j+2]) {
				return
			}
			j += 2
		case isOpt(args[j], "setname") && more >= 1:
			if !c.setName(args[j+1]) {
				return
			}
			j++
		default:
			c.writeErrorReply(fmt.Sprintf(msgHelloSyntax, cString(args[j])))
			return
		}
	}
	if !c.authenticated {
		c.writeErrorReply(msgHelloNoAuth)
		return
	}
	if ver != 0 {
		c.setProto(ver)
	}
	c.WriteMap(7)
	c.WriteBulkString("server")
	c.WriteBulkString("redis")
	c.WriteBulkString("version")
	c.WriteBulkString(RedisVersion)
	c.WriteBulkString("proto")
	c.WriteInt(int64(c.proto))
	c.WriteBulkString("id")
	c.WriteInt(c.id)
	c.WriteBulkString("mode")
	c.WriteBulkString("standalone")
	c.WriteBulkString("role")
	c.WriteBulkString("master")
	c.WriteBulkString("modules")
	c.WriteArray(0)
}

// exposedUnprotected is exposedBind for a server whose users are loaded:
// the address it would expose with protected mode on while the default
// user needs no password, or "".
func (s *Server) exposedUnprotected(cfg Config) string {
	if cfg.InsecureDisableProtectedMode || s.passwordSet() {
		return ""
	}
	return exposedAddr(cfg.Bind)
}
