package server

import "github.com/redoubt-db/redoubt/acl"

// Commands of the "connection" group: the client's own session.

func init() {
	registerCommands(
		&Command{Name: "ping", Arity: -1, Flags: Fast, Categories: acl.Connection, Lock: LockNone,
			Group: "connection", Since: "1.0.0", Complexity: "O(1)",
			Summary: "Checks that the server answers; returns PONG or the given message.",
			Tips:    []string{"request_policy:all_shards", "response_policy:all_succeeded"},
			Args:    []Arg{{Name: "message", Type: ArgString, Flags: ArgOptional}},
			Run:     cmdPing},
		&Command{Name: "echo", Arity: 2, Flags: Fast, Categories: acl.Connection, Lock: LockNone,
			Group: "connection", Since: "1.0.0", Complexity: "O(1)",
			Summary: "Returns the given message.",
			Args:    []Arg{{Name: "message", Type: ArgString}},
			Run:     cmdEcho},
		&Command{Name: "quit", Arity: -1, Flags: AllowBusy | NoAuth | NoScript | Loading | Stale | Fast,
			Categories: acl.Connection, Lock: LockNone,
			Group: "connection", Since: "1.0.0", Complexity: "O(1)",
			Summary: "Closes the connection once the pending replies are sent.",
			Run:     cmdQuit},
		&Command{Name: "select", Arity: 2, Flags: Loading | Stale | Fast, Categories: acl.Connection, Lock: LockNone,
			Group: "connection", Since: "1.0.0", Complexity: "O(1)",
			Summary: "Switches the connection to another numbered database.",
			Args:    []Arg{{Name: "index", Type: ArgInteger}},
			Run:     cmdSelect},
	)
}

func cmdPing(c *Conn, args [][]byte) {
	if len(args) > 2 {
		c.writeErrorReply("ERR wrong number of arguments for 'ping' command")
		return
	}
	if len(args) == 1 {
		c.WriteSimple("PONG")
		return
	}
	c.WriteBulk(args[1])
}

func cmdEcho(c *Conn, args [][]byte) { c.WriteBulk(args[1]) }

func cmdQuit(c *Conn, args [][]byte) {
	c.WriteOK()
	c.closeAfterReply = true
}

func cmdSelect(c *Conn, args [][]byte) {
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
func (c *Conn) selectDB(id int) bool {
	db := c.s.store.DB(id)
	if db == nil {
		return false
	}
	c.db = db
	c.dbIndex.Store(int32(id))
	return true
}
