package server

import (
	"fmt"
	"strings"
)

// DEBUG and MODULE: Redis 7 turns both off by default (enable-debug-command
// and enable-module-command "no"), and Redoubt has neither debugging
// commands nor modules, so those directives accept only "no". The commands
// exist in the table so that they answer as a default Redis does: DEBUG and
// MODULE LOAD, LOADEX and UNLOAD are refused with Redis's words, MODULE
// LIST lists no module and MODULE HELP helps.

func init() {
	loadArgs := []cmdArg{
		{Name: "path", Type: argTypeString},
		{Name: "arg", Type: argTypeString, Flags: argOptional | argMultiple},
	}
	loadexArgs := []cmdArg{
		{Name: "path", Type: argTypeString},
		{Name: "configs", Type: argTypeBlock, Token: "CONFIG", Flags: argOptional | argMultiple | argMultipleToken, Args: []cmdArg{
			{Name: "name", Type: argTypeString},
			{Name: "value", Type: argTypeString},
		}},
		{Name: "args", Type: argTypeBlock, Token: "ARGS", Flags: argOptional | argMultiple, Args: []cmdArg{
			{Name: "arg", Type: argTypeString},
		}},
	}
	registerCommands(
		&command{Name: "debug", Arity: -2, Flags: flagAdmin | flagNoScript | flagLoading | flagStale, Lock: lockNone,
			Group: "server", Since: "1.0.0", Complexity: "Depends on subcommand.",
			Summary:    "Holds commands for debugging the server.",
			DocFlags:   []string{"syscmd"},
			disabledBy: "enable-debug-command"},
		&command{Name: "module", Arity: -2, Group: "server", Since: "4.0.0",
			Complexity: "Depends on subcommand.",
			Summary:    "Holds the commands that manage modules.",
			Subcommands: []*command{
				{Name: "list", Arity: 2, Flags: flagAdmin | flagNoScript, Lock: lockNone,
					Group: "server", Since: "4.0.0", Complexity: "O(N) where N is the number of loaded modules.",
					Summary: "Lists the modules the server has loaded.",
					Tips:    []string{"nondeterministic_output_order"},
					Run:     cmdModuleList},
				{Name: "load", Arity: -3, Flags: flagAdmin | flagNoScript | flagNoAsyncLoading, Lock: lockNone,
					Group: "server", Since: "4.0.0", Complexity: "O(1)",
					Summary: "Loads a module from a shared library.",
					Args:    loadArgs, disabledBy: "enable-module-command"},
				{Name: "loadex", Arity: -3, Flags: flagAdmin | flagNoScript | flagNoAsyncLoading, Lock: lockNone,
					Group: "server", Since: "7.0.0", Complexity: "O(1)",
					Summary: "Loads a module from a shared library, with module configuration and arguments.",
					Args:    loadexArgs, disabledBy: "enable-module-command"},
				{Name: "unload", Arity: 3, Flags: flagAdmin | flagNoScript | flagNoAsyncLoading, Lock: lockNone,
					Group: "server", Since: "4.0.0", Complexity: "O(1)",
					Summary: "Unloads a module.",
					Args:    []cmdArg{{Name: "name", Type: argTypeString}}, disabledBy: "enable-module-command"},
				{Name: "help", Arity: 2, Flags: flagLoading | flagStale, Lock: lockNone,
					Group: "server", Since: "5.0.0", Complexity: "O(1)",
					Summary: "Lists the MODULE subcommands.",
					Run:     cmdModuleHelp},
			}},
	)
}

// refuseDisabled rejects a command that its enable-*-command directive
// turns off, as Redis's processCommand does before running it.
func (c *Conn) refuseDisabled(cmd *command) {
	c.s.cmdStats[cmd.id].rejected.Add(1)
	root := cmd
	if cmd.parent != nil {
		root = cmd.parent
	}
	c.writeErrorReply(fmt.Sprintf(msgCommandDisabled, strings.ToUpper(root.Name), cmd.disabledBy))
}

func cmdModuleList(c *Conn, args [][]byte) { c.WriteArray(0) }

func cmdModuleHelp(c *Conn, args [][]byte) { c.writeHelpReply(args[0], moduleHelp) }

// moduleHelp is the body of MODULE HELP, as Redis 7.0 words it.
var moduleHelp = []string{
	"LIST",
	"    Return a list of loaded modules.",
	"LOAD <path> [<arg> ...]",
	"    Load a module library from <path>, passing to it any optional arguments.",
	"LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
	"    Load a module library from <path>, while passing it module configurations and optional arguments.",
	"UNLOAD <name>",
	"    Unload a module.",
}
