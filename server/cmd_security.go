package server

// The SECURITY container, Redoubt's own (Redis has no such command): AUDIT
// runs the security audit of secaudit.go on the running server; HELP lists
// the subcommands.

func init() {
	registerCommands(
		&command{Name: "security", Arity: -2, Group: "server", Since: "0.1.0",
			Complexity: "Depends on subcommand.",
			Summary:    "Groups Redoubt's commands that judge the server's security.",
			Subcommands: []*command{
				{Name: "audit", Arity: 2, Flags: flagAdmin | flagNoScript | flagLoading | flagStale, Lock: lockNone,
					Group: "server", Since: "0.1.0", Complexity: "O(U*C) where U is the number of ACL users and C the number of commands",
					Summary: "Judges the running configuration against the maturity levels basic, standard, high and paranoid: each check with its result and remedy, and the level reached.",
					Tips:    []string{"nondeterministic_output"},
					Run:     cmdSecurityAudit},
				{Name: "help", Arity: 2, Flags: flagLoading | flagStale, Lock: lockNone,
					Group: "server", Since: "0.1.0", Complexity: "O(1)",
					Summary: "Lists the SECURITY subcommands and what they do.",
					Run:     cmdSecurityHelp},
			}},
	)
}

// cmdSecurityAudit is SECURITY AUDIT: a map of the level reached, what it
// is for, and the checks, each a map of its name, level, status (pass,
// fail or n/a), what it asks for, what it found and, when it failed, the
// remedy ("" otherwise). RESP2 gets flat arrays.
func cmdSecurityAudit(c *client, args [][]byte) {
	r := c.s.SecurityAudit()
	c.WriteMap(3)
	c.writeStringField("level", r.Level.String())
	c.writeStringField("purpose", r.Level.Purpose())
	c.WriteBulkString("checks")
	c.WriteArray(len(r.Checks))
	for _, ch := range r.Checks {
		c.WriteMap(6)
		c.writeStringField("name", ch.Name)
		c.writeStringField("level", ch.Level.String())
		c.writeStringField("status", string(ch.Status))
		c.writeStringField("check", ch.Title)
		c.writeStringField("found", ch.Found)
		c.writeStringField("remedy", ch.Remedy)
	}
}

func cmdSecurityHelp(c *client, args [][]byte) { c.writeHelpReply(args[0], securityHelp) }

// securityHelp is the body of SECURITY HELP.
var securityHelp = []string{
	"AUDIT",
	"    Judge the running server against the maturity levels basic, standard, high",
	"    and paranoid: every check with its result and, when it fails, its remedy;",
	"    then the level reached.",
}
