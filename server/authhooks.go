package server

import (
	"bytes"
	"net"
	"strconv"
	"strings"
	"time"
)

// Hooks for login hardening beyond Redis, called by AUTH, HELLO … AUTH,
// CONFIG SET, ACL SETUSER and the other commands that change security
// state: brute-force throttling (throttle.go), the audit log (audit.go) and
// weak-password warnings (below). Their signatures are the contract with
// the authentication code; each costs one load and a branch when its
// feature is off, and none of them runs on the path of ordinary commands.

// loginGate runs before a password is checked (AUTH, HELLO AUTH). It may
// sleep (only this connection waits) and returns false when the connection
// must be closed instead: its source is locked out, the wait was cut short
// by a close or a shutdown, or the attempt would have to wait inside EXEC,
// which holds the store's lock.
func (c *client) loginGate(user []byte) bool {
	t := &c.s.thr
	p := t.params.Load()
	if p.InsecureDisable {
		return true
	}
	src := throttleSource(c.remoteAddr())
	delay, locked, n := t.admit(p, src, user)
	if locked {
		t.refused.Add(1)
		c.logLockout(user)
		if c.inExec {
			// EXEC has written its array's length: an element keeps
			// the reply well formed before the connection closes.
			c.writeErrorReply(msgLoginLockedOutInExec)
		}
		return false
	}
	if delay == 0 {
		return true
	}
	if c.inExec || c.tx != nil {
		// EXEC has written its array's length: an element keeps the
		// reply well formed before the connection closes.
		t.release(p, src)
		t.refused.Add(1)
		c.s.log.logf(levelVerbose, "Refusing a throttled login inside a transaction from %s: id=%d", sourceString(src), c.id)
		c.writeErrorReply(msgLoginThrottledInExec)
		return false
	}
	t.delayed.Add(1)
	c.s.log.logf(levelVerbose, "Delaying a login from %s by %v after %d failures or attempts in flight: id=%d", sourceString(src), delay, n, c.id)
	if !c.throttleWait(delay) {
		t.release(p, src)
		return false
	}
	return true
}

// msgLoginLockedOutInExec answers a login inside EXEC from a source locked
// out; the connection closes after it (outside EXEC it closes without a
// reply).
const msgLoginLockedOutInExec = "ERR too many failed logins from this address: the connection closes"

// msgLoginThrottledInExec answers a login inside EXEC that would have to
// wait; the connection closes after it.
const msgLoginThrottledInExec = "ERR too many failed logins from this address: a login inside MULTI cannot wait, the connection closes"

// loginResult reports every password check's outcome.
func (c *client) loginResult(user []byte, ok bool) {
	t := &c.s.thr
	p := t.params.Load()
	if ok {
		if !p.InsecureDisable {
			t.release(p, throttleSource(c.remoteAddr()))
		}
		return
	}
	t.failures.Add(1)
	if p.InsecureDisable {
		return
	}
	src := throttleSource(c.remoteAddr())
	n := t.fail(p, src, user)
	if n == p.After {
		c.s.log.logf(levelWarning, "Throttling logins from %s after %d failed attempts: each further attempt waits, from %v up to %v.",
			sourceString(src), n, p.Delay, p.MaxDelay)
		c.s.auditEvent(c, "auth-throttle", "source", sourceString(src), "failures", strconv.Itoa(n))
	}
	if p.LockoutAfter > 0 && n == p.LockoutAfter {
		t.lockouts.Add(1)
		c.s.log.logf(levelWarning, "Locking out logins from %s after %d failed attempts, until it has tried none for %v: its login attempts close the connection.",
			sourceString(src), n, p.Window)
		c.s.auditEvent(c, "auth-lockout", "source", sourceString(src), "failures", strconv.Itoa(n),
			"seconds", strconv.FormatInt(int64(p.Window/time.Second), 10))
		c.logLockout(user)
		// The failed attempt gets its reply, then the connection ends.
		c.closeAfterReply = true
	}
}

// logLockout records in ACL LOG that a login for user was refused, or its
// source locked out: reason "auth" as a failed AUTH, with the object
// "lockout", so that these entries are not counted with the wrong
// passwords (Redis's aggregation: the same reason, context, object and user
// within 60 seconds count in one entry).
func (c *client) logLockout(user []byte) {
	c.s.aclLog.add(aclReasonAuth, c.aclContext(), "lockout", string(user), c)
}

// remoteAddr is the client's address, nil without a connection.
func (c *client) remoteAddr() net.Addr {
	if c.nc == nil {
		return nil
	}
	return c.nc.RemoteAddr()
}

// auditEvent records a security event for the audit log (no-op without
// one). fields are key/value pairs, already redacted. c may be nil for the
// server's own events.
func (s *Server) auditEvent(c *client, event string, fields ...string) {
	if s.audit == nil || (c != nil && !s.audit.admit()) {
		return
	}
	s.audit.write(auditRecord(s.audit.now(), c, event, fields))
}

// auditUserOf is the user c is authenticated as, for the audit log.
func auditUserOf(c *client) string { return c.authUserName() }

// warnWeakSecret is called with each new password set by requirepass
// (start-up or CONFIG SET) or ACL SETUSER >pass, before it is hashed; where
// names the source. A weak one is logged (never the password itself) with
// the remedy, and recorded in the audit log.
func (s *Server) warnWeakSecret(where, user string, password []byte) {
	why := weakSecretReason(user, password)
	if why == "" {
		return
	}
	s.thr.weakSecrets.Add(1)
	s.weakHashes.note(password, why) // secaudit.go
	s.log.logf(levelWarning, "WARNING: weak password for user %s set by %s: %s. Use a long random password: ACL GENPASS makes one (256 bits).",
		quotedName(user), where, why)
	s.auditEvent(nil, "weak-secret", "source", where, "user", user, "reason", why)
}

// warnWeakRules warns about each weak ">password" among the rules of user
// name, given by where (a "user" line at start-up).
func (s *Server) warnWeakRules(where, name string, rules []string) {
	for _, r := range rules {
		if strings.HasPrefix(r, ">") {
			s.warnWeakSecret(where, name, []byte(r[1:]))
		}
	}
}

// warnWeakFile warns about each weak ">password" of an ACL file read at
// start-up (its lines as Redis splits them: "user NAME RULE…" on single
// spaces). Passwords kept as "#hash", which ACL SAVE writes, cannot be
// judged.
func (s *Server) warnWeakFile(path string, data []byte) {
	for _, line := range strings.Split(string(data), "\n") {
		argv := strings.Split(strings.Trim(line, " \t\r\n"), " ")
		if len(argv) >= 3 && argv[0] == "user" {
			s.warnWeakRules("aclfile "+path, argv[1], argv[2:])
		}
	}
}

// minSecretLen is the shortest password not called weak: 32 bytes, as
// SECURITY.md asks (GENPASS gives 64 hex digits).
const minSecretLen = 32

// sampleSecrets are passwords found in examples, defaults and the top of
// leaked-password lists, compared ignoring ASCII case. foobared is
// redis.conf's own example.
var sampleSecrets = []string{
	"foobared", "password", "passw0rd", "p@ssw0rd", "password1", "redis", "redispass", "redispassword",
	"admin", "root", "secret", "changeme", "letmein", "default", "guest", "test", "pass", "qwerty",
	"123456", "1234567", "12345678", "123456789", "1234567890", "111111", "000000", "abc123",
	"iloveyou", "welcome", "mypassword", "yourpassword", "requirepass",
}

// weakSecretReason says why password is weak, or "" if it is not.
func weakSecretReason(user string, password []byte) string {
	for _, s := range sampleSecrets {
		if bytes.EqualFold(password, []byte(s)) {
			return "it is a well-known sample password"
		}
	}
	if len(password) > 0 && bytes.EqualFold(password, []byte(user)) {
		return "it is the user's name"
	}
	if len(password) < minSecretLen {
		return "it is shorter than " + strconv.Itoa(minSecretLen) + " bytes"
	}
	var seen [256]bool
	distinct := 0
	for _, b := range password {
		if !seen[b] {
			seen[b] = true
			distinct++
		}
	}
	if distinct < 8 {
		return "it uses fewer than 8 different characters"
	}
	return ""
}

// quotedName shows a user name in a log line: quoted, and cut if long.
func quotedName(name string) string {
	if len(name) > 128 {
		return strconv.Quote(name[:128]) + "…"
	}
	return strconv.Quote(name)
}
