package server

// The authentication model of this release, kept in this one file so that
// the access-control work can replace it whole: Redis 7.0 with its default
// configuration. There is a single user, "default", flagged nopass, so
// every connection starts authenticated as it, any password is accepted for
// it, and every other user name is unknown.

// defaultUser is the name of the user every connection is authenticated as.
const defaultUser = "default"

// userExists reports whether an ACL user called name exists (CLIENT KILL
// USER).
func (s *Server) userExists(name []byte) bool { return string(name) == defaultUser }

// defaultUserNoPass reports whether the default user has the nopass flag,
// which makes the one-argument AUTH an error.
func (s *Server) defaultUserNoPass() bool { return true }

// authenticate checks a user name and password as Redis's
// ACLAuthenticateUser does. An unknown user, a wrong password and a disabled
// user all fail alike, so that user names cannot be probed.
func (s *Server) authenticate(user, pass []byte) bool {
	_ = pass // the default user has nopass: any password matches
	return string(user) == defaultUser
}

// userName returns the name of the user c is authenticated as.
func (c *client) userName() string { return defaultUser }
