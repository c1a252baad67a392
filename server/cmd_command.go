package server

import (
	"bytes"
	"fmt"

	"github.com/redoubt-db/redoubt/internal/keyspec"

	"github.com/redoubt-db/redoubt/acl"
	"github.com/redoubt-db/redoubt/internal/glob"
)

// The COMMAND command: what the command table says about itself. Every reply
// is built from the table (server/command.go and the cmd_<group>.go files),
// in the shapes and field orders of Redis 7.0's COMMAND INFO and COMMAND
// DOCS, so that clients that discover commands at start-up (redis-cli's
// hints, cluster-aware clients' key positions) see what Redoubt implements.
//
// Where Redis iterates a hash table (the command list, a container's
// subcommands), the order is not part of the contract: Redis's own order
// changes from one start to the next. Redoubt lists commands in registration
// order.
//
// As in Redis, COMMAND sees the server's own names (names.go): a removed
// command is not counted, listed or found, and a renamed one is found by
// its new name only, while the replies show its table name.

func init() {
	noKeysLoading := flagLoading | flagStale
	registerCommands(
		&command{Name: "command", Arity: -1, Flags: noKeysLoading, Categories: acl.Connection, Lock: lockNone,
			Group: "server", Since: "2.8.13", Complexity: "O(N), N being the number of commands",
			Summary: "Describes every command the server implements: arity, flags, key positions, ACL categories.",
			Tips:    []string{"nondeterministic_output_order"},
			Run:     cmdCommand,
			Subcommands: []*command{
				{Name: "count", Arity: 2, Flags: noKeysLoading, Categories: acl.Connection, Lock: lockNone,
					Group: "server", Since: "2.8.13", Complexity: "O(1)",
					Summary: "Tells how many top-level commands the server implements.",
					Run:     cmdCommandCount},
				{Name: "docs", Arity: -2, Flags: noKeysLoading, Categories: acl.Connection, Lock: lockNone,
					Group: "server", Since: "7.0.0", Complexity: "O(N), N being the number of commands asked about",
					Summary: "Documents the named commands, or all of them: group, version, arguments and their syntax.",
					Tips:    []string{"nondeterministic_output_order"},
					Args:    []cmdArg{{Name: "command-name", Type: argTypeString, Flags: argOptional | argMultiple}},
					Run:     cmdCommandDocs},
				{Name: "getkeys", Arity: -4, Flags: noKeysLoading, Categories: acl.Connection, Lock: lockNone,
					Group: "server", Since: "2.8.13", Complexity: "O(N), N being the length of the command line",
					Summary: "Tells which arguments of a complete command line are keys.",
					Run:     cmdCommandGetKeys},
				{Name: "getkeysandflags", Arity: -4, Flags: noKeysLoading, Categories: acl.Connection, Lock: lockNone,
					Group: "server", Since: "7.0.0", Complexity: "O(N), N being the length of the command line",
					Summary: "Tells which arguments of a complete command line are keys, and how the command uses each.",
					Run:     cmdCommandGetKeysAndFlags},
				{Name: "help", Arity: 2, Flags: noKeysLoading, Categories: acl.Connection, Lock: lockNone,
					Group: "server", Since: "5.0.0", Complexity: "O(1)",
					Summary: "Lists the COMMAND subcommands.",
					Run:     cmdCommandHelp},
				{Name: "info", Arity: -2, Flags: noKeysLoading, Categories: acl.Connection, Lock: lockNone,
					Group: "server", Since: "2.8.13", Complexity: "O(N), N being the number of commands asked about",
					Summary: "Describes the named commands (or all of them): arity, flags, key positions, ACL categories.",
					Tips:    []string{"nondeterministic_output_order"},
					Args:    []cmdArg{{Name: "command-name", Type: argTypeString, Flags: argOptional | argMultiple}},
					Run:     cmdCommandInfo},
				{Name: "list", Arity: -2, Flags: noKeysLoading, Categories: acl.Connection, Lock: lockNone,
					Group: "server", Since: "7.0.0", Complexity: "O(N), N being the number of commands",
					Summary: "Lists command names, subcommands included, optionally only those of an ACL category or matching a pattern.",
					Tips:    []string{"nondeterministic_output_order"},
					Args: []cmdArg{{Name: "filterby", Type: argTypeOneOf, Token: "FILTERBY", Flags: argOptional, Args: []cmdArg{
						{Name: "module-name", Type: argTypeString, Token: "MODULE"},
						{Name: "category", Type: argTypeString, Token: "ACLCAT"},
						{Name: "pattern", Type: argTypePattern, Token: "PATTERN"},
					}}},
					Run: cmdCommandList},
			}},
	)
}

// cmdCommand is COMMAND with no subcommand: every command's INFO.
func cmdCommand(c *client, args [][]byte) {
	c.WriteArray(len(c.s.cmds.list))
	for _, cmd := range c.s.cmds.list {
		c.writeCommandInfo(cmd)
	}
}

func cmdCommandCount(c *client, args [][]byte) { c.WriteInt(int64(len(c.s.cmds.list))) }

// cmdCommandInfo is COMMAND INFO [name ...]; an unknown name gets a null.
func cmdCommandInfo(c *client, args [][]byte) {
	if len(args) == 2 {
		cmdCommand(c, args)
		return
	}
	c.WriteArray(len(args) - 2)
	for _, name := range args[2:] {
		c.writeCommandInfo(c.s.cmds.lookupFullName(name))
	}
}

// cmdCommandDocs is COMMAND DOCS [name ...]: a map from each known name to
// its documentation; unknown names are left out.
func cmdCommandDocs(c *client, args [][]byte) {
	found := c.s.cmds.list
	if len(args) > 2 {
		found = make([]*command, 0, len(args)-2)
		for _, name := range args[2:] {
			if cmd := c.s.cmds.lookupFullName(name); cmd != nil {
				found = append(found, cmd)
			}
		}
	}
	c.WriteMap(len(found))
	for _, cmd := range found {
		c.WriteBulkString(cmd.fullName)
		c.writeCommandDocs(cmd)
	}
}

// cmdCommandList is COMMAND LIST [FILTERBY MODULE m|ACLCAT cat|PATTERN p].
func cmdCommandList(c *client, args [][]byte) {
	keep := func(*command) bool { return true }
	for i := 2; i < len(args); i++ {
		// FILTERBY must come with exactly its two arguments, and last.
		if !isOpt(args[i], "filterby") || len(args)-1-i != 2 {
			c.writeErrorReply(msgSyntax)
			return
		}
		kind, arg := args[i+1], args[i+2]
		switch {
		case isOpt(kind, "module"):
			// No modules can be loaded, so no command belongs to one.
			keep = func(*command) bool { return false }
		case isOpt(kind, "aclcat"):
			cat, ok := acl.ParseCategory(cString(arg))
			keep = func(cmd *command) bool { return ok && cmd.Categories&cat != 0 }
		case isOpt(kind, "pattern"):
			pattern := string(arg)
			keep = func(cmd *command) bool { return glob.MatchString(pattern, cmd.fullName, true) }
		default:
			c.writeErrorReply(msgSyntax)
			return
		}
		i += 2
	}
	var names []string
	for _, cmd := range c.s.cmds.list {
		if keep(cmd) {
			names = append(names, cmd.fullName)
		}
		for _, sub := range cmd.Subcommands {
			if keep(sub) {
				names = append(names, sub.fullName)
			}
		}
	}
	c.WriteArray(len(names))
	for _, n := range names {
		c.WriteBulkString(n)
	}
}

func cmdCommandGetKeys(c *client, args [][]byte)         { c.commandGetKeys(args[2:], false) }
func cmdCommandGetKeysAndFlags(c *client, args [][]byte) { c.commandGetKeys(args[2:], true) }

// commandGetKeys replies with the keys of the command line line, checked as
// Redis's getKeysSubcommandImpl checks it.
func (c *client) commandGetKeys(line [][]byte, withFlags bool) {
	var buf [maxNameLen]byte
	cmd := c.s.cmds.lookup(line, &buf)
	switch {
	case cmd == nil:
		c.writeErrorReply(msgInvalidCommand)
		return
	case !cmd.hasKeys():
		c.writeErrorReply(msgNoKeyArguments)
		return
	case !cmd.arityOK(len(line)):
		c.writeErrorReply(msgInvalidArgCount)
		return
	}
	keys := cmd.Keys(line)
	if len(keys) == 0 {
		if cmd.Flags&flagNoMandatoryKeys != 0 {
			c.WriteArray(0)
		} else {
			c.writeErrorReply(msgInvalidArguments)
		}
		return
	}
	c.WriteArray(len(keys))
	for _, k := range keys {
		if !withFlags {
			c.WriteBulk(line[k.Pos])
			continue
		}
		c.WriteArray(2)
		c.WriteBulk(line[k.Pos])
		c.writeStatusSet(k.Flags.Names())
	}
}

func cmdCommandHelp(c *client, args [][]byte) { c.writeHelpReply(args[0], commandHelpLines) }

// writeHelpReply writes a container's HELP reply as Redis's addReplyHelp:
// a header naming the container in capitals, the given lines, and the
// lines about HELP itself, each a simple string.
func (c *client) writeHelpReply(container []byte, lines []string) {
	c.WriteArray(len(lines) + 3)
	c.WriteSimple(fmt.Sprintf(msgHelpHeader, bytes.ToUpper(container)))
	for _, l := range lines {
		c.WriteSimple(l)
	}
	c.WriteSimple(msgHelpFooter1)
	c.WriteSimple(msgHelpFooter2)
}

// infoFlags returns the flags COMMAND INFO shows: the table's flags less
// those Redis hides (may_replicate, sentinel, only_sentinel), plus
// movablekeys when the key positions depend on the arguments.
func (cmd *command) infoFlags() cmdFlags {
	f := cmd.Flags &^ (flagMayReplicate | flagSentinel | flagOnlySentinel | flagMovableKeys)
	if cmd.movable {
		f |= flagMovableKeys
	}
	return f
}

// writeCommandInfo writes one element of COMMAND INFO: a null for an unknown
// command, else ten fields, the last being the subcommands' own INFO.
func (c *client) writeCommandInfo(cmd *command) {
	if cmd == nil {
		c.WriteNull()
		return
	}
	first, last, step, _ := keyspec.LegacyRange(cmd.KeySpecs)
	c.WriteArray(10)
	c.WriteBulkString(cmd.fullName)
	c.WriteInt(int64(cmd.Arity))
	c.writeStatusSet(cmd.infoFlags().Names())
	c.WriteInt(int64(first))
	c.WriteInt(int64(last))
	c.WriteInt(int64(step))
	cats := cmd.Categories.Names()
	c.WriteSet(len(cats))
	for _, name := range cats {
		c.WriteSimple("@" + name)
	}
	c.WriteSet(len(cmd.Tips))
	for _, tip := range cmd.Tips {
		c.WriteBulkString(tip)
	}
	c.WriteSet(len(cmd.KeySpecs))
	for i := range cmd.KeySpecs {
		c.writeKeySpec(&cmd.KeySpecs[i])
	}
	if len(cmd.Subcommands) == 0 {
		c.WriteSet(0)
		return
	}
	c.WriteArray(len(cmd.Subcommands))
	for _, sub := range cmd.Subcommands {
		c.writeCommandInfo(sub)
	}
}

// writeKeySpec writes a key spec as a map of notes (when there are any),
// flags, begin_search and find_keys.
func (c *client) writeKeySpec(ks *keyspec.Spec) {
	if ks.Notes != "" {
		c.WriteMap(4)
		c.WriteBulkString("notes")
		c.WriteBulkString(ks.Notes)
	} else {
		c.WriteMap(3)
	}
	c.WriteBulkString("flags")
	c.writeStatusSet(ks.Flags.Names())

	c.WriteBulkString("begin_search")
	c.WriteMap(2)
	c.WriteBulkString("type")
	switch {
	case ks.Index > 0:
		c.WriteBulkString("index")
		c.WriteBulkString("spec")
		c.WriteMap(1)
		c.writeIntField("index", ks.Index)
	case ks.Keyword != "":
		c.WriteBulkString("keyword")
		c.WriteBulkString("spec")
		c.WriteMap(2)
		c.WriteBulkString("keyword")
		c.WriteBulkString(ks.Keyword)
		c.writeIntField("startfrom", ks.StartFrom)
	default:
		c.WriteBulkString("unknown")
		c.WriteBulkString("spec")
		c.WriteMap(0)
	}

	c.WriteBulkString("find_keys")
	c.WriteMap(2)
	c.WriteBulkString("type")
	switch {
	case ks.Index <= 0 && ks.Keyword == "":
		c.WriteBulkString("unknown")
		c.WriteBulkString("spec")
		c.WriteMap(0)
		return
	case ks.IsKeyNum():
		c.WriteBulkString("keynum")
		c.WriteBulkString("spec")
		c.WriteMap(3)
		c.writeIntField("keynumidx", ks.KeyNumIdx)
		c.writeIntField("firstkey", ks.FirstKey)
		c.writeIntField("keystep", ks.KeyStep)
		return
	}
	c.WriteBulkString("range")
	c.WriteBulkString("spec")
	c.WriteMap(3)
	c.writeIntField("lastkey", ks.LastKey)
	c.writeIntField("keystep", ks.KeyStep)
	c.writeIntField("limit", ks.Limit)
}

// writeCommandDocs writes a command's COMMAND DOCS map: summary, since,
// group, then what the command has of complexity, doc_flags,
// deprecated_since, replaced_by, history (history.go), arguments and
// subcommands, in Redis's order.
func (c *client) writeCommandDocs(cmd *command) {
	n := 1 // group is always there
	for _, present := range []bool{cmd.Summary != "", cmd.Since != "", cmd.Complexity != "",
		len(cmd.DocFlags) > 0, cmd.DeprecatedSince != "", cmd.ReplacedBy != "",
		len(cmd.History) > 0, len(cmd.Args) > 0, len(cmd.Subcommands) > 0} {
		if present {
			n++
		}
	}
	c.WriteMap(n)
	if cmd.Summary != "" {
		c.writeStringField("summary", cmd.Summary)
	}
	if cmd.Since != "" {
		c.writeStringField("since", cmd.Since)
	}
	c.writeStringField("group", cmd.Group)
	if cmd.Complexity != "" {
		c.writeStringField("complexity", cmd.Complexity)
	}
	if len(cmd.DocFlags) > 0 {
		c.WriteBulkString("doc_flags")
		c.writeStatusSet(cmd.DocFlags)
	}
	if cmd.DeprecatedSince != "" {
		c.writeStringField("deprecated_since", cmd.DeprecatedSince)
	}
	if cmd.ReplacedBy != "" {
		c.writeStringField("replaced_by", cmd.ReplacedBy)
	}
	if len(cmd.History) > 0 {
		// A set of [version, change] pairs, as Redis writes it.
		c.WriteBulkString("history")
		c.WriteSet(len(cmd.History))
		for _, h := range cmd.History {
			c.WriteArray(2)
			c.WriteBulkString(h.Version)
			c.WriteBulkString(h.Change)
		}
	}
	if len(cmd.Args) > 0 {
		c.WriteBulkString("arguments")
		c.writeArgs(cmd.Args)
	}
	if len(cmd.Subcommands) > 0 {
		c.WriteBulkString("subcommands")
		c.WriteMap(len(cmd.Subcommands))
		for _, sub := range cmd.Subcommands {
			c.WriteBulkString(sub.fullName)
			c.writeCommandDocs(sub)
		}
	}
}

// writeArgs writes an argument list of COMMAND DOCS: an array with a map per
// argument, holding name and type, then only what the argument has of
// key_spec_index, token, since, deprecated_since, flags and, for oneof and
// block, its own arguments. Redis 7.0 has no display_text field; cmdArg's
// DisplayText is not shown.
func (c *client) writeArgs(args []cmdArg) {
	c.WriteArray(len(args))
	for i := range args {
		a := &args[i]
		// A key always names its key spec; SORT's BY and GET patterns also
		// refer to one (index 1), so other types show a non-zero index.
		hasSpec := a.Type == argTypeKey || a.KeySpecIndex > 0
		nested := a.Type == argTypeOneOf || a.Type == argTypeBlock
		n := 2
		for _, present := range []bool{hasSpec, a.Token != "", a.Since != "", a.DeprecatedSince != "", a.Flags != 0, nested} {
			if present {
				n++
			}
		}
		c.WriteMap(n)
		c.writeStringField("name", a.Name)
		c.writeStringField("type", a.Type.String())
		if hasSpec {
			c.writeIntField("key_spec_index", a.KeySpecIndex)
		}
		if a.Token != "" {
			c.writeStringField("token", a.Token)
		}
		if a.Since != "" {
			c.writeStringField("since", a.Since)
		}
		if a.DeprecatedSince != "" {
			c.writeStringField("deprecated_since", a.DeprecatedSince)
		}
		if a.Flags != 0 {
			c.WriteBulkString("flags")
			c.writeStatusSet(a.Flags.Names())
		}
		if nested {
			c.WriteBulkString("arguments")
			c.writeArgs(a.Args)
		}
	}
}

var argFlagNames = [...]string{"optional", "multiple", "multiple_token"}

// Names returns the flag names in COMMAND DOCS's order.
func (f argFlags) Names() []string {
	var names []string
	for i, n := range argFlagNames {
		if f&(1<<i) != 0 {
			names = append(names, n)
		}
	}
	return names
}

// writeStatusSet writes names as a set of simple strings, as Redis writes
// every list of flags.
func (c *client) writeStatusSet(names []string) {
	c.WriteSet(len(names))
	for _, n := range names {
		c.WriteSimple(n)
	}
}

func (c *client) writeStringField(name, value string) {
	c.WriteBulkString(name)
	c.WriteBulkString(value)
}

func (c *client) writeIntField(name string, value int) {
	c.WriteBulkString(name)
	c.WriteInt(int64(value))
}
