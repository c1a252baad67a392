package server

import (
	"fmt"
	"strings"
)

// DEBUG and MODULE: Redis 7 turns both off by default (enable-debug-command
// and enable-module-command "no"). The commands exist in the table so that
// they answer as Redis does: where refused, DEBUG and MODULE LOAD, LOADEX
// and UNLOAD get Redis's words; MODULE LIST lists no module and MODULE HELP
// helps.
//
// Whether a protected command is refused is each server's setting
// (Config.EnableDebugCommand and EnableModuleCommand, names.go). Where a server allows them, they answer as a
// Redis that has no such debugging subcommand and fails to load any module.

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
			Summary:     "Holds commands for debugging the server.",
			DocFlags:    []string{"syscmd"},
			protectedBy: protectedDebug, Run: cmdDebug},
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
					Args:    loadArgs, protectedBy: protectedModule, Run: cmdModuleLoad},
				{Name: "loadex", Arity: -3, Flags: flagAdmin | flagNoScript | flagNoAsyncLoading, Lock: lockNone,
					Group: "server", Since: "7.0.0", Complexity: "O(1)",
					Summary: "Loads a module from a shared library, with module configuration and arguments.",
					Args:    loadexArgs, protectedBy: protectedModule, Run: cmdModuleLoad},
				{Name: "unload", Arity: 3, Flags: flagAdmin | flagNoScript | flagNoAsyncLoading, Lock: lockNone,
					Group: "server", Since: "4.0.0", Complexity: "O(1)",
					Summary: "Unloads a module.",
					Args:    []cmdArg{{Name: "name", Type: argTypeString}}, protectedBy: protectedModule, Run: cmdModuleUnload},
				{Name: "help", Arity: 2, Flags: flagLoading | flagStale, Lock: lockNone,
					Group: "server", Since: "5.0.0", Complexity: "O(1)",
					Summary: "Lists the MODULE subcommands.",
					Run:     cmdModuleHelp},
			}},
	)
}

// refuseProtected rejects a protected command that the server's
// enable-*-command setting does not allow the client, as Redis's
// processCommand does before running it.
func (c *client) refuseProtected(cmd *command) {
	c.s.cmdStats[cmd.id].rejected.Add(1)
	root := cmd
	if cmd.parent != nil {
		root = cmd.parent
	}
	c.writeErrorReply(fmt.Sprintf(msgCommandDisabled, strings.ToUpper(root.Name), protectionDirectives[cmd.protectedBy]))
}

// cmdDebug is DEBUG where the server allows it. Redoubt has no debugging
// subcommands: HELP lists none, and every other subcommand gets the error
// Redis gives one it does not know.
func cmdDebug(c *client, args [][]byte) {
	if len(args) == 2 && isOpt(args[1], "help") {
		c.writeHelpReply(args[0], nil)
		return
	}
	c.writeErrorReply(fmt.Sprintf(msgSubcommandSyntax, cTrunc(args[1], 128), strings.ToUpper(cString(args[0]))))
}

// cmdModuleLoad is MODULE LOAD and LOADEX where the server allows them: the
// load fails, as it does in Redis for a library that is not a module.
func cmdModuleLoad(c *client, args [][]byte) {
	c.s.log.logf(levelWarning, "Module %s failed to load: Redoubt cannot load modules", cString(args[2]))
	c.writeErrorReply(msgModuleLoad)
}

// cmdModuleUnload is MODULE UNLOAD where the server allows it: no module is
// loaded, so there is none by that name.
func cmdModuleUnload(c *client, args [][]byte) { c.writeErrorReply(msgModuleUnload) }

func cmdModuleList(c *client, args [][]byte) { c.WriteArray(0) }

func cmdModuleHelp(c *client, args [][]byte) { c.writeHelpReply(args[0], moduleHelp) }

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
