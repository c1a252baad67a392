package server

import (
	"strconv"
	"sync/atomic"
	"time"
)

// The login deadline, beyond Redis (SECURITY.md §3, "limit the total
// duration of a login attempt"): a connection that must authenticate and
// has not done so within Config.AuthTimeout of connecting is closed, so that
// unauthenticated connections cannot be held open to wait out a lockout,
// to spread guesses over time on many idle sockets, or to use up
// maxclients. A timer is armed only for a connection that starts
// unauthenticated (a password is required); it is stopped by the login and
// by the end of the connection, so it costs nothing otherwise.

// AuthTimeoutNone as Config.AuthTimeout lets an unauthenticated connection
// stay as long as it likes ("redoubt-auth-timeout 0").
const AuthTimeoutNone = -1

// defaultAuthTimeout is the login deadline a zero Config.AuthTimeout means.
const defaultAuthTimeout = time.Minute

// maxAuthTimeoutS bounds redoubt-auth-timeout, in seconds.
const maxAuthTimeoutS = 24 * 3600

// authTimeout is the login deadline cfg asks for, 0 for none.
func (cfg *Config) authTimeout() time.Duration {
	switch {
	case cfg.AuthTimeout == AuthTimeoutNone:
		return 0
	case cfg.AuthTimeout == 0:
		return defaultAuthTimeout
	}
	return cfg.AuthTimeout
}

// authTimeoutDirective is "redoubt-auth-timeout SECONDS" (0: none).
var authTimeoutDirective = implDirective("redoubt-auth-timeout", 0, parseIntRange(0, maxAuthTimeoutS),
	func(c *Config) string { return strconv.FormatInt(int64(c.authTimeout()/time.Second), 10) },
	func(c *Config, v string) {
		if c.AuthTimeout = time.Duration(dirAtoi64(v)) * time.Second; c.AuthTimeout == 0 {
			c.AuthTimeout = AuthTimeoutNone
		}
	})

// loginDeadline is a connection's login timer.
type loginDeadline struct {
	timer *time.Timer // nil when none is armed; the owner's
	done  atomic.Bool // the connection logged in (or ended): the timer does nothing
}

// armLoginDeadline starts the login timer of a connection that starts
// unauthenticated. It runs on the connection's goroutine before its first
// read.
func (c *client) armLoginDeadline() {
	d := time.Duration(c.s.thr.authTimeout.Load())
	if c.authenticated || d <= 0 {
		return
	}
	c.ld.timer = time.AfterFunc(d, func() { // runs once, d after the connection began
		if c.ld.done.Load() || c.closed.Load() {
			return
		}
		c.s.thr.authTimeouts.Add(1)
		c.s.log.logf(levelVerbose, "Closing client that did not authenticate within %v: id=%d addr=%s", d, c.id, addrString(c.remoteAddr()))
		c.s.auditEvent(c, "auth-timeout", "seconds", strconv.FormatInt(int64(d/time.Second), 10))
		c.close()
	})
}

// disarmLoginDeadline stops the login timer: the connection logged in or
// ended.
func (c *client) disarmLoginDeadline() {
	c.ld.done.Store(true)
	if c.ld.timer != nil {
		c.ld.timer.Stop()
		c.ld.timer = nil
	}
}
