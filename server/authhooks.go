package server

// Hooks for login hardening beyond Redis (throttling, the audit log, weak
// secret warnings). These are no-ops; the hardening work replaces this file
// whole with the same signatures.

// loginGate runs before a password is checked (AUTH, HELLO AUTH). It may sleep (only this
// connection waits) and returns false when the connection must be closed instead.
func (c *client) loginGate(user []byte) bool { return true }

// loginResult reports every password check's outcome.
func (c *client) loginResult(user []byte, ok bool) {}

// auditEvent records a security event for the audit log (no-op without one). fields are
// key/value pairs, already redacted.
func (s *Server) auditEvent(c *client, event string, fields ...string) {}

// warnWeakSecret is called with each new password set by requirepass (start-up or
// CONFIG SET) or ACL SETUSER >pass, before it is hashed; where names the source.
func (s *Server) warnWeakSecret(where, user string, password []byte) {}
