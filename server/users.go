package server

import (
	"crypto/sha256"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/redoubt-db/redoubt/acl"
)

// The user registry: every ACL user of one server, the "default" user
// always among them. Users are immutable once stored: a change clones the
// user, changes the clone and stores it, so a connection may keep reading
// the *acl.User it resolved without a lock. Every change bumps gen; a
// connection caches the generation it resolved its user at (client.userGen)
// and, when gen has moved, resolves its user again by name before its next
// command (client.resolveUser), so the dispatcher pays one atomic load per
// command for all of this.

// defaultUser is the name of the user every connection starts as.
const defaultUser = "default"

type users struct {
	mu  sync.RWMutex
	cat *acl.Catalog         // built once from the command table, original names
	m   map[string]*acl.User // always holds "default"
	gen atomic.Uint64        // bumped by every change
}

// aclCat is the catalog of the process's command table, under the commands'
// original names (rename-command changes dispatch, never ACL rules, as in
// Redis). Command ids and catalog ids are the same numbers (buildACLCatalog
// checks), so the dispatcher hands cmd.id to acl.Request as it is.
var (
	aclCatOnce sync.Once
	aclCat     *acl.Catalog
)

func processCatalog() *acl.Catalog {
	aclCatOnce.Do(func() {
		initCommands()
		aclCat = buildACLCatalog(commands)
		aclKeyPlans = buildACLKeyPlans(commands)
	})
	return aclCat
}

// buildACLCatalog numbers t's commands and subcommands for ACL rules, in
// the table's order, which is the order of command.id.
func buildACLCatalog(t *commandTable) *acl.Catalog {
	specs := make([]acl.CommandSpec, 0, len(t.list))
	for _, cmd := range t.list {
		spec := acl.CommandSpec{Name: cmd.Name, Categories: cmd.Categories}
		for _, sub := range cmd.Subcommands {
			spec.Subcommands = append(spec.Subcommands, acl.CommandSpec{Name: sub.Name, Categories: sub.Categories})
		}
		specs = append(specs, spec)
	}
	cat := acl.NewCatalog(specs)
	if cat.Len() != t.count {
		panic("server: the ACL catalog does not number the command table's commands")
	}
	for _, cmd := range t.list {
		if id, ok := cat.ID(cmd.fullName); !ok || id != cmd.id {
			panic("server: ACL catalog id differs from the command id of " + cmd.fullName)
		}
		for _, sub := range cmd.Subcommands {
			if id, ok := cat.ID(sub.fullName); !ok || id != sub.id {
				panic("server: ACL catalog id differs from the command id of " + sub.fullName)
			}
		}
	}
	return cat
}

// initUsers sets up the registry with Redis's default user: on, nopass, every
// key, channel and command.
func (s *Server) initUsers() {
	s.users.cat = processCatalog()
	s.users.m = map[string]*acl.User{defaultUser: s.users.cat.NewDefaultUser(false)}
}

// aclCatalog returns the catalog ACL rules of this server are built on.
func (s *Server) aclCatalog() *acl.Catalog { return s.users.cat }

// user returns the user called name, or nil. The user must not be changed:
// clone it, change the clone, storeUser it.
func (s *Server) user(name string) *acl.User {
	s.users.mu.RLock()
	u := s.users.m[name]
	s.users.mu.RUnlock()
	return u
}

// userNames returns the names of every user, sorted.
func (s *Server) userNames() []string {
	s.users.mu.RLock()
	names := make([]string, 0, len(s.users.m))
	for n := range s.users.m {
		names = append(names, n)
	}
	s.users.mu.RUnlock()
	slices.Sort(names)
	return names
}

// allUsers returns every user, sorted by name (ACL LIST, ACL SAVE, CONFIG
// REWRITE).
func (s *Server) allUsers() []*acl.User {
	s.users.mu.RLock()
	all := make([]*acl.User, 0, len(s.users.m))
	for _, u := range s.users.m {
		all = append(all, u)
	}
	s.users.mu.RUnlock()
	slices.SortFunc(all, func(a, b *acl.User) int {
		switch {
		case a.Name < b.Name:
			return -1
		case a.Name > b.Name:
			return 1
		}
		return 0
	})
	return all
}

// storeUser adds u or replaces the user of its name. u must not change
// afterwards.
func (s *Server) storeUser(u *acl.User) {
	s.users.mu.Lock()
	s.users.m[u.Name] = u
	s.users.gen.Add(1)
	s.users.mu.Unlock()
}

// deleteUser removes the user called name and reports whether there was
// one. The default user is never removed (false): refusing with Redis's
// error is the caller's part. The user's clients close when they next run a
// command; killUserClients closes them at once.
func (s *Server) deleteUser(name string) bool {
	if name == defaultUser {
		return false
	}
	s.users.mu.Lock()
	_, ok := s.users.m[name]
	if ok {
		delete(s.users.m, name)
		s.users.gen.Add(1)
	}
	s.users.mu.Unlock()
	return ok
}

// replaceUsers replaces every user at once (ACL LOAD, start-up). all must
// hold a user called "default"; it panics otherwise, as that is a bug of
// the caller. A later user of the same name replaces an earlier one.
func (s *Server) replaceUsers(all []*acl.User) {
	m := make(map[string]*acl.User, len(all))
	for _, u := range all {
		m[u.Name] = u
	}
	if m[defaultUser] == nil {
		panic("server: replaceUsers without the default user")
	}
	s.users.mu.Lock()
	s.users.m = m
	s.users.gen.Add(1)
	s.users.mu.Unlock()
}

// killUserClients closes every client authenticated as name. Each one
// closes from its own goroutine (as soon as it is woken): a client that
// runs the command that called this writes that command's reply first, as
// Redis closes the current client after its command.
func (s *Server) killUserClients(name string) {
	for _, c := range s.liveConns() {
		if p := c.authName.Load(); p != nil && *p == name {
			c.userKilled.Store(true)
			c.wake()
		}
	}
}

// userExists reports whether an ACL user called name exists (CLIENT KILL
// USER).
func (s *Server) userExists(name []byte) bool { return s.user(string(name)) != nil }

// defaultUserNoPass reports whether the default user has the nopass flag,
// which makes the one-argument AUTH an error.
func (s *Server) defaultUserNoPass() bool { return s.user(defaultUser).NoPass() }

// authRequired reports whether a connection that has not authenticated must
// do so before running commands, as Redis's authRequired: the default user
// has a password or is off.
func (s *Server) authRequired() bool {
	u := s.user(defaultUser)
	return !u.NoPass() || !u.Enabled()
}

// authenticate checks a user name and password as Redis's
// ACLAuthenticateUser does and returns the user, or nil. An unknown user, a
// wrong password and a disabled user all fail alike, so that user names
// cannot be probed.
func (s *Server) authenticate(user, pass []byte) *acl.User {
	u := s.user(string(user))
	if u == nil {
		// Spend the time a password check takes, so that an unknown
		// user does not answer faster than a known one.
		sha256.Sum256(pass)
		return nil
	}
	if !u.CheckPassword(string(pass)) || !u.Enabled() {
		return nil
	}
	return u
}

// initUser sets a new connection's user as Redis's clientSetDefaultAuth:
// the default user, authenticated when it is on and nopass.
func (c *client) initUser() {
	gen := c.s.users.gen.Load() // before reading: a later change moves it
	u := c.s.user(defaultUser)
	c.setUser(u, gen)
	c.authenticated = u.NoPass() && u.Enabled()
	c.refreshPreAuth()
}

// setUser makes u the connection's user, as resolved at generation gen.
func (c *client) setUser(u *acl.User, gen uint64) {
	if c.userName != u.Name {
		name := u.Name
		c.authName.Store(&name)
	}
	c.userName, c.user, c.userGen = u.Name, u, gen
	c.unrestricted = u.Unrestricted()
}

// loginAs makes the connection authenticated as u.
func (c *client) loginAs(u *acl.User) {
	gen := c.s.users.gen.Load()
	// u was read before gen: if it changed since, the next command
	// resolves it again, as userGen is older than gen then.
	c.setUser(u, gen-1)
	c.authenticated = true
	c.rd.Unauthenticated = false
	c.disarmLoginDeadline() // logintimeout.go
}

// resolveUser finds the connection's user again after the registry changed
// (gen). It reports false, and arranges for the connection to close after
// what it has written, when the user is gone.
func (c *client) resolveUser(gen uint64) bool {
	u := c.s.user(c.userName)
	if u == nil {
		c.closeAfterReply = true
		return false
	}
	c.setUser(u, gen)
	return true
}

// authUserName returns the name of the user c is authenticated as, from any
// goroutine.
func (c *client) authUserName() string {
	if p := c.authName.Load(); p != nil {
		return *p
	}
	return defaultUser
}
