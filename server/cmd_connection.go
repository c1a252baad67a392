package server

import (
	"sync/atomic"

	"github.com/redoubt-db/redoubt/acl"
)

// Commands of the "connection" group: the client's own session.

func init() {
	registerCommands(
		&command{Name: "ping", Arity: -1, Flags: flagFast, Categories: acl.Connection, Lock: lockNone,
			Group: "connection", Since: "1.0.0", Complexity: "O(1)",
			Summary: "Checks that the server answers; returns PONG or the given message.",
			Tips:    []string{"request_policy:all_shards", "response_policy:all_succeeded"},
			Args:    []cmdArg{{Name: "message", Type: argTypeString, Flags: argOptional}},
			Run:     cmdPing},
		&command{Name: "echo", Arity: 2, Flags: flagLoading | flagStale | flagFast, Categories: acl.Connection, Lock: lockNone,
			Group: "connection", Since: "1.0.0", Complexity: "O(1)",
			Summary: "Returns the given message.",
			Args:    []cmdArg{{Name: "message", Type: argTypeString}},
			Run:     cmdEcho},
		&command{Name: "quit", Arity: -1, Flags: flagAllowBusy | flagNoAuth | flagNoScript | flagLoading | flagStale | flagFast,
			Categories: acl.Connection, Lock: lockNone,
			Group: "connection", Since: "1.0.0", Complexity: "O(1)",
			Summary: "Closes the connection once the pending replies are sent.",
			Run:     cmdQuit},
		&command{Name: "select", Arity: 2, Flags: flagLoading | flagStale | flagFast, Categories: acl.Connection, Lock: lockNone,
			Group: "connection", Since: "1.0.0", Complexity: "O(1)",
			Summary: "Switches the connection to another numbered database.",
			Args:    []cmdArg{{Name: "index", Type: argTypeInteger}},
			Run:     cmdSelect},
		&command{Name: "hello", Arity: -1, Flags: flagNoScript | flagLoading | flagStale | flagFast | flagNoAuth | flagAllowBusy,
			Categories: acl.Connection, Lock: lockNone,
			Group: "connection", Since: "6.0.0", Complexity: "O(1)",
			Summary: "Chooses the protocol version (RESP2 or RESP3), optionally authenticating and naming the connection, and describes the server.",
			Args: []cmdArg{{Name: "arguments", Type: argTypeBlock, Flags: argOptional, Args: []cmdArg{
				{Name: "protover", Type: argTypeInteger},
				{Name: "username_password", Type: argTypeBlock, Token: "AUTH", Flags: argOptional, Args: []cmdArg{
					{Name: "username", Type: argTypeString},
					{Name: "password", Type: argTypeString},
				}},
				{Name: "clientname", Type: argTypeString, Token: "SETNAME", Flags: argOptional},
			}}},
			Run: cmdHello},
		&command{Name: "auth", Arity: -2, Flags: flagNoScript | flagLoading | flagStale | flagFast | flagNoAuth | flagAllowBusy,
			Categories: acl.Connection, Lock: lockNone,
			Group: "connection", Since: "1.0.0",
			Complexity: "O(N) where N is the number of passwords defined for the user",
			Summary:    "Authenticates the connection as a user, the default user when no name is given.",
			Args: []cmdArg{
				{Name: "username", Type: argTypeString, Since: "6.0.0", Flags: argOptional},
				{Name: "password", Type: argTypeString},
			},
			Run: cmdAuth},
		&command{Name: "reset", Arity: 1, Flags: flagNoScript | flagLoading | flagStale | flagFast | flagNoAuth | flagAllowBusy,
			Categories: acl.Connection, Lock: lockNone,
			Group: "connection", Since: "6.2.0", Complexity: "O(1)",
			Summary: "Returns the connection to the state of a new one: database 0, RESP2, no name, replies on.",
			Run:     cmdReset},
	)
}

func cmdPing(c *client, args [][]byte) {
	if len(args) > 2 {
		c.writeWrongArgs(c.lastCmd.Load())
		return
	}
	if c.subs.Load() != 0 && c.proto == 2 {
		c.writeSubscribedPong(args)
		return
	}
	if len(args) == 1 {
		c.WriteSimple("PONG")
		return
	}
	c.WriteBulk(args[1])
}

func cmdEcho(c *client, args [][]byte) { c.WriteBulk(args[1]) }

func cmdQuit(c *client, args [][]byte) {
	c.WriteOK()
	c.closeAfterReply = true
}

func cmdSelect(c *client, args [][]byte) {
	id, ok := c.argInt32(args[1])
	if !ok {
		return
	}
	if !c.selectDB(id) {
		c.writeErrorReply(msgDBIndexRange)
		return
	}
	c.WriteOK()
}

// selectDB makes database id the connection's current one.
func (c *client) selectDB(id int) bool {
	db := c.s.store.DB(id)
	if db == nil {
		return false
	}
	c.db = db
	c.dbIndex.Store(int32(id))
	return true
}

func cmdReset(c *client, args [][]byte) {
	c.resetState()
	c.WriteSimple("RESET")
}

// resetState returns the connection to the state of a new one, as RESET:
// no transaction and no watched keys, database 0, RESP2, the default user (authenticated only if it needs no password), no name, replies on,
// no-evict and no-touch off. The library name and version stay: they still
// describe the client behind the connection. A CLIENT REPLY SKIP given just
// before still silences RESET's own reply, as in Redis.
func (c *client) resetState() {
	c.leaveMulti()
	c.s.unsubscribeAll(c)
	c.selectDB(0)
	c.setProto(2)
	c.name.Store(nil)
	c.replyOff = false
	c.skipNext = false
	c.mute = c.replySkip
	c.noEvict.Store(false)
	c.noTouch.Store(false)
	c.stopMonitor()
	c.trackingOff()
	c.initUser() // as a new connection: the default user, authenticated if it needs no password
}

// setProto switches the connection to RESP version v (2 or 3).
func (c *client) setProto(v int) {
	c.proto = v
	c.resp.Store(int32(v))
}

// setName validates and sets the connection name as Redis's
// clientSetNameOrReply: only printable ASCII without spaces; an empty name
// clears it. It replies with the error and returns false if name is invalid.
func (c *client) setName(name []byte) bool {
	if !storeAttr(&c.name, name) {
		c.writeErrorReply(msgClientNameBad)
		return false
	}
	return true
}

// storeAttr sets a client attribute (the name, library name or version) to
// val, or clears it when val is empty. It reports false, changing nothing,
// when validClientAttr refuses val.
func storeAttr(dst *atomic.Pointer[string], val []byte) bool {
	if !validClientAttr(val) {
		return false
	}
	if len(val) == 0 {
		dst.Store(nil)
		return true
	}
	s := string(val)
	dst.Store(&s)
	return true
}

// validClientAttr reports whether a client name, library name or version
// may be shown in CLIENT LIST, whose fields are split on spaces: every byte
// must be printable ASCII other than space ('!' through '~').
func validClientAttr(b []byte) bool {
	for _, ch := range b {
		if ch < '!' || ch > '~' {
			return false
		}
	}
	return true
}
