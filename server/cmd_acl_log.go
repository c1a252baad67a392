package server

import (
	"fmt"
	"math"
	"strings"

	"github.com/redoubt-db/redoubt/acl"
)

// ACL DRYRUN and ACL LOG, over the dispatcher's check (aclcheck.go) and the
// ACL log (acllog.go).

// cmdACLDryrun is ACL DRYRUN user command arg…: whether the user could run
// the command, checked as the dispatcher checks it, without running it.
func cmdACLDryrun(c *client, args [][]byte) {
	s := c.s
	u := s.user(string(args[2]))
	if u == nil {
		c.writeErrorReply(fmt.Sprintf(msgACLDryrunNoUser, cString(args[2])))
		return
	}
	// The command is looked up by this server's names, renamed ones
	// included, as Redis's lookupCommand; the check uses its table id.
	var buf [maxNameLen]byte
	cmd := s.cmds.lookup(args[3:], &buf)
	if cmd == nil {
		c.writeErrorReply(fmt.Sprintf(msgACLDryrunNoCommand, cString(args[3])))
		return
	}
	if !cmd.arityOK(len(args) - 3) {
		c.writeErrorReply(fmt.Sprintf(msgWrongArgs, cmd.fullName))
		return
	}
	if res, pos := s.aclCheck(u, cmd, args[3:]); res != acl.Allowed {
		c.WriteBulkString(aclDenyText(res, cmd, args[3:], pos))
		return
	}
	c.WriteOK()
}

// cmdACLLog is ACL LOG [count | RESET]: the newest count entries of the
// ACL log (10 by default), newest first, or RESET to empty it.
func cmdACLLog(c *client, args [][]byte) {
	if len(args) > 3 {
		c.writeACLSyntaxError(args)
		return
	}
	count := int64(10)
	if len(args) == 3 {
		if strings.EqualFold(cString(args[2]), "reset") {
			c.s.aclLog.reset()
			c.WriteOK()
			return
		}
		n, ok := c.argInt(args[2])
		if !ok {
			return
		}
		count = max(n, 0)
	}
	entries := c.s.aclLogEntries(int(min(count, math.MaxInt32)))
	now := c.s.aclLog.clock()
	c.WriteArray(len(entries))
	for i := range entries {
		e := &entries[i]
		c.WriteMap(7)
		c.WriteBulkString("count")
		c.WriteInt(e.Count)
		c.WriteBulkString("reason")
		c.WriteBulkString(e.Reason)
		c.WriteBulkString("context")
		c.WriteBulkString(e.Context)
		c.WriteBulkString("object")
		c.WriteBulkString(e.Object)
		c.WriteBulkString("username")
		c.WriteBulkString(e.Username)
		c.WriteBulkString("age-seconds")
		c.WriteDouble(e.AgeSeconds(now))
		c.WriteBulkString("client-info")
		c.WriteBulkString(e.ClientInfo)
	}
}
