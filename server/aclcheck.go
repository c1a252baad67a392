package server

import (
	"fmt"

	"github.com/redoubt-db/redoubt/acl"
	"github.com/redoubt-db/redoubt/internal/keyspec"
)

// ACL checks: every command a client runs is checked against its user's
// rules (acl.User.Check) before it runs or is queued in MULTI, and again at
// EXEC, as Redis 7.0.15's processCommand and execCommand do. A user whose
// root selector allows everything (the default user as created) is not
// checked at all: the dispatcher tests one cached bool (client.unrestricted).

const (
	msgNoPermCommand = "NOPERM this user has no permissions to run the '%s' command"
	msgNoPermKey     = "NOPERM this user has no permissions to access one of the keys used as arguments"
	msgNoPermChannel = "NOPERM this user has no permissions to access one of the channels used as arguments"
	msgNoPermExec    = "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: %s"

	msgSortByDenied  = "ERR BY option of SORT denied due to insufficient ACL permissions."
	msgSortGetDenied = "ERR GET option of SORT denied due to insufficient ACL permissions."
)

// aclScratch are a client's buffers for building ACL requests, so that the
// checks of a restricted user do not allocate.
type aclScratch struct {
	req   acl.Request
	refs  []keyspec.Ref
	keys  []acl.Key
	chans []acl.Channel
	one   [1]acl.Key
}

// aclKeyPlan says how to find a command's keys for ACL checks: most
// commands have one key spec naming one argument (GET, SET, INCR…), whose
// key is taken directly; the others go through keyspec.Append.
type aclKeyPlan struct {
	pos  int // the one key's position, or 0: use the key specs
	perm acl.Perm
	keys bool // the command can have keys at all (Redis's doesCommandHaveKeys)
}

// aclKeyPlans are the plans of the process's commands, by command.id.
var aclKeyPlans []aclKeyPlan

func buildACLKeyPlans(t *commandTable) []aclKeyPlan {
	plans := make([]aclKeyPlan, t.count)
	plan := func(cmd *command) {
		p := aclKeyPlan{keys: cmd.hasKeys()}
		if len(cmd.KeySpecs) == 1 && cmd.GetKeys == nil {
			ks := &cmd.KeySpecs[0]
			if ks.Index > 0 && ks.LastKey == 0 && !ks.IsKeyNum() && ks.KeyStep >= 1 &&
				ks.Flags&(keyspec.NotKey|keyspec.Incomplete|keyspec.VariableFlags) == 0 {
				p.pos, p.perm = ks.Index, keyPerm(ks.Flags)
			}
		}
		plans[cmd.id] = p
	}
	for _, cmd := range t.list {
		plan(cmd)
		for _, sub := range cmd.Subcommands {
			plan(sub)
		}
	}
	return plans
}

// aclRequest builds the request for cmd with args (the whole command line)
// into sc.
func aclRequest(sc *aclScratch, cmd *command, args [][]byte) *acl.Request {
	r := &sc.req
	r.ID, r.NoAuth, r.FirstArg, r.Keys, r.Channels = cmd.id, cmd.Flags&flagNoAuth != 0, nil, nil, nil
	first := 1
	if cmd.parent != nil {
		first = 2
	}
	if len(args) > first {
		r.FirstArg = args[first]
	}
	switch p := &aclKeyPlans[cmd.id]; {
	case !p.keys:
	case p.pos > 0:
		// The one key spec's span, as keyspec.Append finds it: no key
		// when the argument is missing.
		if p.pos < len(args) {
			sc.one[0] = acl.Key{Name: args[p.pos], Perm: p.perm, Pos: p.pos}
			r.Keys = sc.one[:]
		}
	default:
		sc.refs = cmd.appendKeys(sc.refs[:0], args)
		sc.keys = sc.keys[:0]
		for _, ref := range sc.refs {
			sc.keys = append(sc.keys, acl.Key{Name: args[ref.Pos], Perm: keyPerm(ref.Flags), Pos: ref.Pos})
		}
		r.Keys = sc.keys
	}
	if cmd.Flags&flagPubSub != 0 {
		sc.chans = appendChannels(sc.chans[:0], cmd, args)
		r.Channels = sc.chans
	}
	return r
}

// keyPerm is the access a key spec's flags need, as Redis's
// ACLSelectorCheckKey: ACCESS needs read, INSERT, DELETE and UPDATE write.
// A key with none of them (EXISTS's: the command only learns whether it
// exists) needs no particular access, only a pattern that matches.
func keyPerm(f keyspec.Flags) acl.Perm {
	var p acl.Perm
	if f&keyspec.Access != 0 {
		p |= acl.PermRead
	}
	if f&(keyspec.Insert|keyspec.Delete|keyspec.Update) != 0 {
		p |= acl.PermWrite
	}
	return p
}

// appendChannels appends the channels cmd publishes or subscribes to, as
// Redis's getChannelsFromCommand with the publish and subscribe flags (the
// unsubscribe commands need no permission).
func appendChannels(dst []acl.Channel, cmd *command, args [][]byte) []acl.Channel {
	if cmd.parent != nil {
		return dst
	}
	switch cmd.Name {
	case "publish", "spublish":
		if len(args) > 1 {
			dst = append(dst, acl.Channel{Name: args[1], Pos: 1})
		}
	case "subscribe", "ssubscribe", "psubscribe":
		pattern := cmd.Name == "psubscribe"
		for i := 1; i < len(args); i++ {
			dst = append(dst, acl.Channel{Name: args[i], Pattern: pattern, Pos: i})
		}
	}
	return dst
}

// aclCheck checks whether u may run cmd with args, the whole command line
// (args[0] is the command's name, args[1] a subcommand's), for ACL DRYRUN
// and the dispatcher. On denial pos is the index in args of the key or
// channel at fault (0 for a command denial).
func (s *Server) aclCheck(u *acl.User, cmd *command, args [][]byte) (res acl.Result, pos int) {
	var sc aclScratch
	return u.Check(aclRequest(&sc, cmd, args))
}

// aclDenyText is ACL DRYRUN's reply for a denial returned by aclCheck, in
// Redis 7.0.15's words.
func aclDenyText(res acl.Result, cmd *command, args [][]byte, pos int) string {
	switch res {
	case acl.DeniedCommand:
		return fmt.Sprintf("This user has no permissions to run the '%s' command", cmd.fullName)
	case acl.DeniedKey:
		return fmt.Sprintf("This user has no permissions to access the '%s' key", argText(args, pos))
	case acl.DeniedChannel:
		return fmt.Sprintf("This user has no permissions to access the '%s' channel", argText(args, pos))
	}
	return ""
}

// argText is args[pos] as C's "%s" prints it, or "" out of range.
func argText(args [][]byte, pos int) string {
	if pos < 0 || pos >= len(args) {
		return ""
	}
	return cString(args[pos])
}

// aclReason is the ACL LOG reason of a denial.
func aclReason(res acl.Result) string {
	switch res {
	case acl.DeniedKey:
		return aclReasonKey
	case acl.DeniedChannel:
		return aclReasonChannel
	}
	return aclReasonCommand
}

// aclObject is the ACL LOG object of a denial: the command's full name, or
// the key or channel at fault.
func aclObject(res acl.Result, cmd *command, args [][]byte, pos int) string {
	if res == acl.DeniedCommand || pos < 0 || pos >= len(args) {
		return cmd.fullName
	}
	return string(args[pos])
}

// checkACL checks cmd against c's user; on denial it logs it (ACL LOG and
// the audit log) and returns the result and position, for the caller's
// reply.
func (c *client) checkACL(cmd *command, args [][]byte, context string) (acl.Result, int) {
	res, pos := c.user.Check(aclRequest(&c.aclScratch, cmd, args))
	if res != acl.Allowed {
		// The entry's client-info names the command as Redis's does: the
		// refused one, or EXEC while EXEC runs.
		if c.inExec {
			c.showCmd(commands.byName["exec"])
		} else {
			c.showCmd(cmd)
		}
		reason := aclReason(res)
		c.s.aclLog.add(reason, context, aclObject(res, cmd, args, pos), c.user.Name, c)
		c.s.auditEvent(c, "denied", "user", c.user.Name, "command", cmd.fullName, "reason", reason)
	}
	return res, pos
}

// aclRefused is the dispatcher's check: it reports whether cmd is refused
// to c's user, having replied NOPERM as Redis's processCommand.
func (c *client) aclRefused(cmd *command, args [][]byte) bool {
	res, _ := c.checkACL(cmd, args, c.aclContext())
	switch res {
	case acl.Allowed:
		return false
	case acl.DeniedKey:
		c.reject(cmd, msgNoPermKey)
	case acl.DeniedChannel:
		c.reject(cmd, msgNoPermChannel)
	default:
		c.reject(cmd, fmt.Sprintf(msgNoPermCommand, cmd.fullName))
	}
	return true
}

// execRefused is EXEC's check of a queued command, in case the rules
// changed since it was queued: it reports whether cmd is refused, having
// replied as Redis's execCommand.
func (c *client) execRefused(cmd *command, args [][]byte) bool {
	if g := c.s.users.gen.Load(); g != c.userGen {
		c.resolveUser(g) // a user gone: the connection closes after EXEC
	}
	if c.unrestricted {
		return false
	}
	res, _ := c.checkACL(cmd, args, aclContextMulti)
	var reason string
	switch res {
	case acl.Allowed:
		return false
	case acl.DeniedKey:
		reason = "no permission to touch the specified keys"
	case acl.DeniedChannel:
		reason = "no permission to access one of the channels used as arguments"
	default:
		reason = "no permission to execute the command or subcommand"
	}
	c.writeErrorReply(fmt.Sprintf(msgNoPermExec, reason))
	return true
}

// reject refuses cmd before it runs, as Redis's rejectCommand: the
// transaction, if any, is doomed, the command's rejected calls counted, and
// a refused EXEC discards the transaction with the refusal as its reason.
func (c *client) reject(cmd *command, msg string) {
	c.showCmd(cmd)
	c.s.cmdStats[cmd.id].rejected.Add(1)
	c.flagTransaction()
	if cmd.fullName == "exec" {
		c.abortExec(msg)
		return
	}
	c.writeErrorReply(msg)
}

// sortFullKeyAccess reports whether c's user may run cmd (SORT or SORT_RO
// with args) with read access to every key, which SORT's BY and GET
// patterns need, as Redis's ACLUserCheckCmdWithUnrestrictedKeyAccess.
func (c *client) sortFullKeyAccess(cmd *command, args [][]byte) bool {
	if c.unrestricted {
		return true
	}
	return c.user.CheckUnrestricted(aclRequest(&c.aclScratch, cmd, args), acl.PermRead)
}

// showCmd makes CLIENT LIST's cmd field show cmd, as Redis sets
// c->lastcmd when it looks a command up, whether it then runs or not.
func (c *client) showCmd(cmd *command) {
	if c.run.shown != cmd {
		c.run.shown = cmd
		c.lastCmd.Store(cmd)
	}
}
