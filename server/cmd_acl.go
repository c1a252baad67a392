package server

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/redoubt-db/redoubt/acl"
	"github.com/redoubt-db/redoubt/internal/num"
)

// The ACL container: users (SETUSER, GETUSER, DELUSER, LIST, USERS,
// WHOAMI), the ACL file (LOAD, SAVE), the log of denials (LOG), what a user
// may run (DRYRUN, CAT) and GENPASS, as Redis 7.0.15's aclCommand. The
// users live in the registry of users.go; the file format is aclfile.go's.

// Reply texts of the ACL command, in Redis 7.0.15's words.
const (
	msgACLUnknownCategory = "ERR Unknown category '%s'"
	msgACLGenpassBits     = "ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096"
	msgACLBadUsername     = "ERR Usernames can't contain spaces or null characters"
	msgACLDeleteDefault   = "ERR The 'default' user cannot be removed"
	msgACLNoFile          = "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration."
	msgACLSaveFailed      = "ERR There was an error trying to save the ACLs. Please check the server logs for more information"
	msgACLDryrunNoUser    = "ERR User '%s' not found"
	msgACLDryrunNoCommand = "ERR Command '%s' not found"
)

// genpassMaxBits bounds ACL GENPASS's argument, as Redis.
const genpassMaxBits = 4096

func init() {
	const base = flagNoScript | flagLoading | flagStale | flagSentinel
	const admin = flagAdmin | base
	sub := func(name string, arity int, flags cmdFlags, since, complexity, summary string, args []cmdArg, run func(*client, [][]byte)) *command {
		return &command{Name: name, Arity: arity, Flags: flags, Lock: lockNone,
			Group: "server", Since: since, Complexity: complexity, Summary: summary, Args: args, Run: run}
	}
	const perUser = "O(N). Where N is the number of configured users."
	username := cmdArg{Name: "username", Type: argTypeString}
	registerCommands(
		&command{Name: "acl", Arity: -2, Flags: flagSentinel, Group: "server", Since: "6.0.0",
			Complexity: "Depends on subcommand.",
			Summary:    "Groups the commands that manage ACL users and inspect access control.",
			Subcommands: []*command{
				sub("cat", -2, base, "6.0.0", "O(1) since the categories and commands are a fixed set.",
					"Lists the ACL categories, or the commands and subcommands of one category.",
					[]cmdArg{{Name: "categoryname", Type: argTypeString, Flags: argOptional}}, cmdACLCat),
				sub("deluser", -3, admin, "6.0.0", "O(1) amortized time considering the typical user.",
					"Deletes users and closes the connections authenticated as them.",
					[]cmdArg{{Name: "username", Type: argTypeString, Flags: argMultiple}}, cmdACLDeluser),
				sub("dryrun", -4, admin, "7.0.0", "O(1).",
					"Tells whether a user could run a command with the given arguments, without running it.",
					[]cmdArg{username, {Name: "command", Type: argTypeString},
						{Name: "arg", Type: argTypeString, Flags: argOptional | argMultiple}}, cmdACLDryrun),
				sub("genpass", -2, base, "6.0.0", "O(1)",
					"Returns a random password, as hexadecimal digits, for use as an ACL user's secret.",
					[]cmdArg{{Name: "bits", Type: argTypeInteger, Flags: argOptional}}, cmdACLGenpass),
				sub("getuser", 3, admin, "6.0.0", "O(N). Where N is the number of password, command and pattern rules that the user has.",
					"Describes one user: flags, password hashes, commands, keys, channels and selectors.",
					[]cmdArg{username}, cmdACLGetuser),
				sub("help", 2, flagLoading|flagStale|flagSentinel, "6.0.0", "O(1)",
					"Lists the ACL subcommands and what they do.", nil, cmdACLHelp),
				sub("list", 2, admin, "6.0.0", perUser,
					"Lists every user as a rule line of the ACL file format.", nil, cmdACLList),
				sub("load", 2, admin, "6.0.0", perUser,
					"Replaces every user by those of the ACL file, all of them or none.", nil, cmdACLLoad),
				sub("log", -2, admin, "6.0.0", "O(N) with N being the number of entries shown.",
					"Lists the latest commands and logins refused by access control, or clears the list.",
					[]cmdArg{{Name: "operation", Type: argTypeOneOf, Flags: argOptional, Args: []cmdArg{
						{Name: "count", Type: argTypeInteger},
						{Name: "reset", Type: argTypePureToken, Token: "RESET"},
					}}}, cmdACLLog),
				sub("save", 2, admin, "6.0.0", perUser,
					"Writes every user to the ACL file.", nil, cmdACLSave),
				sub("setuser", -3, admin, "6.0.0", "O(N). Where N is the number of rules provided.",
					"Creates a user or changes its rules, all rules or none.",
					[]cmdArg{username, {Name: "rule", Type: argTypeString, Flags: argOptional | argMultiple}}, cmdACLSetuser),
				sub("users", 2, admin, "6.0.0", perUser,
					"Lists the names of every user.", nil, cmdACLUsers),
				sub("whoami", 2, base, "6.0.0", "O(1)",
					"Returns the name of the user the connection is authenticated as.", nil, cmdACLWhoami),
			}},
	)
}

// writeACLSyntaxError is Redis's reply to a subcommand whose argument count
// aclCommand refuses although the arity allowed it.
func (c *client) writeACLSyntaxError(args [][]byte) {
	c.writeErrorReply(fmt.Sprintf(msgSubcommandSyntax, cTrunc(args[1], 128), strings.ToUpper(cString(args[0]))))
}

// cmdACLCat is ACL CAT [category]: every category name, or the commands and
// subcommands of one category, by their table names (rename-command does
// not change them), in table order (Redis lists them in its hash table's
// order).
func cmdACLCat(c *client, args [][]byte) {
	switch len(args) {
	case 2:
		names := acl.AllCategories()
		c.WriteArray(len(names))
		for _, n := range names {
			c.WriteBulkString(n)
		}
	case 3:
		cat, ok := acl.ParseCategory(cString(args[2]))
		if !ok {
			c.writeErrorReply(fmt.Sprintf(msgACLUnknownCategory, cTrunc(args[2], 128)))
			return
		}
		names := categoryCommands(cat)
		c.WriteArray(len(names))
		for _, n := range names {
			c.WriteBulkString(n)
		}
	default:
		c.writeACLSyntaxError(args)
	}
}

// categoryCommands returns the full names of the table's commands and
// subcommands in cat, in table order.
func categoryCommands(cat acl.Category) []string {
	initCommands()
	var names []string
	for _, cmd := range commands.list {
		if cmd.Categories&cat != 0 {
			names = append(names, cmd.fullName)
		}
		for _, sub := range cmd.Subcommands {
			if sub.Categories&cat != 0 {
				names = append(names, sub.fullName)
			}
		}
	}
	return names
}

// cmdACLGenpass is ACL GENPASS [bits]: bits random bits (256 by default,
// at most 4096) as ceil(bits/4) hexadecimal digits, from the operating
// system's cryptographic source.
func cmdACLGenpass(c *client, args [][]byte) {
	if len(args) > 3 {
		c.writeACLSyntaxError(args)
		return
	}
	bits := int64(256)
	if len(args) == 3 {
		n, ok := num.ParseInt(args[2])
		if !ok {
			c.writeErrorReply(msgNotInteger)
			return
		}
		bits = n
	}
	if bits <= 0 || bits > genpassMaxBits {
		c.writeErrorReply(msgACLGenpassBits)
		return
	}
	c.WriteBulkString(genpass(int(bits)))
}

// genpass returns bits random bits as (bits+3)/4 lower-case hex digits.
func genpass(bits int) string {
	chars := (bits + 3) / 4
	buf := make([]byte, (chars+1)/2)
	if _, err := rand.Read(buf); err != nil {
		// crypto/rand does not fail on the systems Go supports; a
		// password that is not random must never be handed out.
		panic("server: no randomness for ACL GENPASS: " + err.Error())
	}
	return hex.EncodeToString(buf)[:chars]
}

// cmdACLHelp is ACL HELP.
func cmdACLHelp(c *client, args [][]byte) { c.writeHelpReply(args[0], aclHelp) }

// aclHelp is the body of ACL HELP, as Redis 7.0.15 words it
// (writeHelpReply adds the header and the lines about HELP).
var aclHelp = []string{
	"CAT [<category>]",
	"    List all commands that belong to <category>, or all command categories",
	"    when no category is specified.",
	"DELUSER <username> [<username> ...]",
	"    Delete a list of users.",
	"DRYRUN <username> <command> [<arg> ...]",
	"    Returns whether the user can execute the given command without executing the command.",
	"GETUSER <username>",
	"    Get the user's details.",
	"GENPASS [<bits>]",
	"    Generate a secure 256-bit user password. The optional `bits` argument can",
	"    be used to specify a different size.",
	"LIST",
	"    Show users details in config file format.",
	"LOAD",
	"    Reload users from the ACL file.",
	"LOG [<count> | RESET]",
	"    Show the ACL log entries.",
	"SAVE",
	"    Save the current config to the ACL file.",
	"SETUSER <username> <attribute> [<attribute> ...]",
	"    Create or modify a user with the specified attributes.",
	"USERS",
	"    List all the registered usernames.",
	"WHOAMI",
	"    Return the current connection username.",
}
