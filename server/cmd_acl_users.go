package server

import (
	"slices"
	"strings"

	"github.com/redoubt-db/redoubt/acl"
	"github.com/redoubt-db/redoubt/internal/glob"
)

// The ACL subcommands that read and change users, over the registry of
// users.go: SETUSER, GETUSER, DELUSER, LIST, USERS, WHOAMI, LOAD and SAVE.

// cmdACLSetuser is ACL SETUSER name rule…: the rules are applied to a copy
// of the user (a new one, off and with no permissions, if there is none)
// and the copy replaces it only when every rule is valid. Subscribers of
// the user that lose a channel are closed, as Redis 7.0's
// ACLKillPubsubClientsIfNeeded.
func cmdACLSetuser(c *client, args [][]byte) {
	name := string(args[2])
	if !acl.ValidUsername(name) {
		c.writeErrorReply(msgACLBadUsername)
		return
	}
	rules := make([]string, len(args)-3)
	for i, a := range args[3:] {
		rules[i] = string(a)
		if len(a) > 0 && a[0] == '>' {
			c.s.warnWeakSecret("acl setuser", name, a[1:])
		}
	}
	s := c.s
	all := s.pubsubAllChannels()
	u, old, err := s.changeUser(name, func(u *acl.User) error {
		u.SetPubsubDefault(all)
		return u.SetRules(rules)
	}, all)
	if err != nil {
		c.writeErrorReply("ERR " + replyText(err.Error()))
		return
	}
	if old != nil {
		s.killRevokedSubscribers(c, u, old)
	}
	s.auditEvent(c, "acl", "op", "setuser", "user", name)
	c.WriteOK()
}

// changeUser applies change to a copy of the user called name, or to a
// new user (off, no permissions, every channel when allChannels) if there
// is none, and stores the copy unless change fails. It holds the
// registry's lock from the read to the store, so that changes to one user
// (ACL SETUSER, requirepass) never start from a user another has just
// replaced. It returns the stored user and the one it replaced (nil for a
// new user).
func (s *Server) changeUser(name string, change func(u *acl.User) error, allChannels bool) (u, old *acl.User, err error) {
	s.users.mu.Lock()
	defer s.users.mu.Unlock()
	old = s.users.m[name]
	if old != nil {
		u = old.Clone()
	} else {
		u = s.users.cat.NewUser(name, allChannels)
	}
	if err := change(u); err != nil {
		return nil, nil, err
	}
	s.users.m[name] = u
	s.users.gen.Add(1)
	return u, old, nil
}

// replyText makes text safe for an error reply, as Redis's
// addReplyErrorSdsSafe: carriage returns and newlines become spaces.
func replyText(text string) string {
	if !strings.ContainsAny(text, "\r\n") {
		return text
	}
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(text)
}

// pubsubAllChannels reports whether new users get every channel
// (acl-pubsub-default allchannels).
func (s *Server) pubsubAllChannels() bool {
	s.cfgMu.RLock()
	defer s.cfgMu.RUnlock()
	return s.cfg.ACLPubsubDefaultAll
}

// killRevokedSubscribers closes the subscribers authenticated as the user
// old was that subscribe to a channel, pattern or shard channel the new
// rules no longer allow, as Redis 7.0's ACLKillPubsubClientsIfNeeded: the
// new rules are reduced to the list of every selector's channel patterns
// and nothing is done when any selector allows every channel or when that
// list holds every pattern the old rules had.
func (s *Server) killRevokedSubscribers(self *client, u, old *acl.User) {
	newAll, upcoming := u.ChannelPatterns()
	if newAll {
		return
	}
	oldAll, previous := old.ChannelPatterns()
	if !oldAll {
		superset := true
		for _, p := range previous {
			if !slices.Contains(upcoming, p) {
				superset = false
				break
			}
		}
		if superset {
			return
		}
	}
	allowed := func(name string, pattern bool) bool {
		for _, p := range upcoming {
			if pattern && p == name || !pattern && glob.MatchString(p, name, false) {
				return true
			}
		}
		return false
	}
	for _, other := range s.liveConns() {
		if other.clientType() != clientPubSub || other.authUserName() != u.Name {
			continue
		}
		kill := false
		s.ps.mu.RLock()
		for k := range other.ps.byName {
			for topic := range other.ps.byName[k] {
				if !allowed(topic, subKind(k) == subPattern) {
					kill = true
					break
				}
			}
			if kill {
				break
			}
		}
		s.ps.mu.RUnlock()
		if !kill {
			continue
		}
		if other == self {
			self.closeAfterReply = true
		} else {
			other.close()
		}
	}
}

// cmdACLGetuser is ACL GETUSER name: a map of the user's flags, password
// hashes, root selector (commands, keys, channels) and further selectors,
// or a null for no such user.
func cmdACLGetuser(c *client, args [][]byte) {
	u := c.s.user(string(args[2]))
	if u == nil {
		c.WriteNull()
		return
	}
	c.WriteMap(6)
	c.WriteBulkString("flags")
	flags := u.Flags()
	c.WriteSet(len(flags))
	for _, f := range flags {
		c.WriteBulkString(f)
	}
	c.WriteBulkString("passwords")
	hashes := u.PasswordHashes()
	c.WriteArray(len(hashes))
	for _, h := range hashes {
		c.WriteBulkString(h)
	}
	root, selectors := u.Describe()
	c.writeSelectorDescription(root)
	c.WriteBulkString("selectors")
	c.WriteArray(len(selectors))
	for _, d := range selectors {
		c.WriteMap(3)
		c.writeSelectorDescription(d)
	}
}

func (c *client) writeSelectorDescription(d acl.SelectorDescription) {
	c.WriteBulkString("commands")
	c.WriteBulkString(d.Commands)
	c.WriteBulkString("keys")
	c.WriteBulkString(d.Keys)
	c.WriteBulkString("channels")
	c.WriteBulkString(d.Channels)
}

// cmdACLDeluser is ACL DELUSER name…: it refuses all of it if one name is
// "default", and otherwise deletes the users that exist, closes their
// connections, and replies how many it deleted.
func cmdACLDeluser(c *client, args [][]byte) {
	for _, a := range args[2:] {
		// Redis compares with strcmp: what follows a NUL byte is not
		// looked at.
		if cString(a) == defaultUser {
			c.writeErrorReply(msgACLDeleteDefault)
			return
		}
	}
	s := c.s
	deleted := 0
	for _, a := range args[2:] {
		name := string(a)
		if s.deleteUser(name) {
			s.killUserClients(name)
			s.auditEvent(c, "acl", "op", "deluser", "user", name)
			deleted++
		}
	}
	c.WriteInt(int64(deleted))
}

// cmdACLList is ACL LIST: each user, in name order, as a line of the ACL
// file.
func cmdACLList(c *client, args [][]byte) {
	users := c.s.allUsers()
	c.WriteArray(len(users))
	for _, u := range users {
		c.WriteBulkString("user " + u.Name + " " + u.String())
	}
}

// cmdACLUsers is ACL USERS: the names of the users, sorted.
func cmdACLUsers(c *client, args [][]byte) {
	names := c.s.userNames()
	c.WriteArray(len(names))
	for _, n := range names {
		c.WriteBulkString(n)
	}
}

// cmdACLWhoami is ACL WHOAMI: the name of the connection's user.
func cmdACLWhoami(c *client, args [][]byte) { c.WriteBulkString(c.userName) }

// aclFileName returns the configured ACL file, or "".
func (s *Server) aclFileName() string {
	s.cfgMu.RLock()
	defer s.cfgMu.RUnlock()
	return s.cfg.ACLFile
}

// cmdACLLoad is ACL LOAD: every user is replaced by the ACL file's, or, on
// any error in the file, nothing changes and the reply lists the errors.
// As in Redis, the connections of every user but "default" are closed,
// whether the file changed the user or not.
func cmdACLLoad(c *client, args [][]byte) {
	s := c.s
	path := s.aclFileName()
	if path == "" {
		c.writeErrorReply(msgACLNoFile)
		return
	}
	all := s.pubsubAllChannels()
	s.aclMu.Lock()
	defer s.aclMu.Unlock()
	if msg := s.loadACLFile(path, all); msg != "" {
		c.writeErrorReply("ERR " + replyText(msg))
		return
	}
	s.auditEvent(c, "acl", "op", "load")
	c.WriteOK()
}

// loadACLFile replaces the users by those of the ACL file path (new users
// get every channel when allChannels) and closes the connections of the
// users it replaced, but the default user's. It returns the errors, as ACL
// LOAD replies them, or "". The caller holds aclMu.
func (s *Server) loadACLFile(path string, allChannels bool) string {
	data, msg := readACLFile(path)
	if msg != "" {
		return msg
	}
	users, msg := parseACLFile(s.aclCatalog(), allChannels, path, data)
	if msg != "" {
		return msg
	}
	old := s.userNames()
	s.replaceUsers(users)
	for _, name := range old {
		if name != defaultUser {
			s.killUserClients(name)
		}
	}
	return ""
}

// cmdACLSave is ACL SAVE: every user is written to the ACL file
// (aclfile.go's writeACLFile: atomic, mode 0600).
func cmdACLSave(c *client, args [][]byte) {
	s := c.s
	path := s.aclFileName()
	if path == "" {
		c.writeErrorReply(msgACLNoFile)
		return
	}
	s.aclMu.Lock()
	defer s.aclMu.Unlock()
	if step, err := writeACLFile(path, aclFileText(s.allUsers())); err != nil {
		s.log.logf(levelWarning, "%s: %s", step, errnoText(err))
		c.writeErrorReply(msgACLSaveFailed)
		return
	}
	s.auditEvent(c, "acl", "op", "save")
	c.WriteOK()
}
