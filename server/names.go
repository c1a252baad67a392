package server

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"strings"
)

// Per-server command names. The command table (command.go) describes every
// command once for the whole process; each Server dispatches through its own
// commandNames, built by New from the table and the Config, so that embedded
// servers sharing a process can rename, remove or enable commands
// differently. As in Redis after rename-command, everything that finds a
// command by name goes through it: dispatch, the "unknown command" and
// "unknown subcommand" errors, COMMAND (COUNT, LIST, INFO, DOCS, GETKEYS)
// and the commands INFO commandstats and latencystats list. A renamed
// command keeps its table name where Redis shows its fullname: COMMAND's
// replies, INFO's statistics, arity errors, CLIENT LIST's cmd field.

// maxNameLen is the longest name rename-command may give a command: names
// are lower-cased into a buffer of this size on every lookup (lowerName).
const maxNameLen = 64

// commandNames is one server's view of the command table. It never changes
// once New has built it, so connections read it without a lock.
type commandNames struct {
	// byName holds the top-level commands by the name this server's
	// clients call them. Subcommands cannot be renamed, so a container's
	// subs serve as they are.
	byName map[string]*command
	// list holds the top-level commands this server has, in table order.
	list []*command
	// names holds each command's name on this server, by command.id: ""
	// for a removed command and its subcommands.
	names []string
	// allow says, for each protection, who may run the commands it guards.
	allow [numProtections]Allowance
	// configs says who may CONFIG SET the protected directives (dir,
	// dbfilename): enable-protected-configs.
	configs Allowance
}

// commandOptions are the per-server command settings of a Config
// (Config.commandOptions): Redis's rename-command, enable-*-command and
// enable-protected-configs directives.
type commandOptions struct {
	// renames are applied in order, as rename-command lines: the command
	// called from is called to instead, or removed when to is "". Only
	// top-level commands can be renamed.
	renames []CommandRename
	// allow is who may run protected commands, by protection. The
	// default, AllowNo, is nobody.
	allow [numProtections]Allowance
	// configs is who may CONFIG SET protected directives
	// (enable-protected-configs); AllowNo by default.
	configs Allowance
}

// CommandRename is one rename-command directive: the command called From
// (a top-level command, by its name after the renames before it, ignoring
// ASCII case) is called To instead, or removed when To is "".
type CommandRename struct{ From, To string }

// protection names the directive that guards a protected command (Redis's
// CMD_PROTECTED): such a command is refused unless its directive allows the
// client to run it.
type protection uint8

const (
	unprotected     protection = iota
	protectedDebug             // enable-debug-command guards DEBUG
	protectedModule            // enable-module-command guards MODULE LOAD, LOADEX and UNLOAD
	numProtections
)

var protectionDirectives = [numProtections]string{"", "enable-debug-command", "enable-module-command"}

// Allowance says who may take a protected action: the value of the
// enable-debug-command, enable-module-command and enable-protected-configs
// directives, as Redis's PROTECTED_ACTION_ALLOWED_*.
type Allowance uint8

const (
	AllowNo  Allowance = iota // nobody ("no")
	AllowYes                  // every client ("yes")
	// AllowLocal allows the clients on this host ("local"): Unix socket
	// clients and TCP clients at 127.0.0.1 or ::1 (localPeer).
	AllowLocal
)

// newCommandNames applies opts to the table t. Its errors are those Redis
// reports for rename-command lines, plus names too long for lookups.
func newCommandNames(t *commandTable, opts commandOptions) (*commandNames, error) {
	n := &commandNames{byName: make(map[string]*command, len(t.byName)), allow: opts.allow, configs: opts.configs}
	for name, cmd := range t.byName {
		n.byName[name] = cmd
	}
	var errs []error
	for _, r := range opts.renames {
		from, to := strings.ToLower(r.From), strings.ToLower(r.To)
		bad := func(why string) {
			errs = append(errs, fmt.Errorf("server: rename-command %q %q: %s", r.From, r.To, why))
		}
		cmd := n.byName[from]
		switch {
		case cmd == nil:
			bad("no such command")
			continue
		case len(to) > maxNameLen:
			bad(fmt.Sprintf("a command name has at most %d bytes", maxNameLen))
			continue
		}
		delete(n.byName, from)
		if to == "" {
			continue
		}
		if n.byName[to] != nil {
			bad("target command name already exists")
			continue
		}
		n.byName[to] = cmd
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	n.names = make([]string, t.count)
	for name, cmd := range n.byName {
		n.names[cmd.id] = name
		for _, sub := range cmd.Subcommands {
			n.names[sub.id] = sub.Name
		}
	}
	for _, cmd := range t.list {
		if n.names[cmd.id] != "" {
			n.list = append(n.list, cmd)
		}
	}
	return n, nil
}

// lookup finds the command for args as Redis's lookupCommand does: a
// container with at least two arguments resolves to its subcommand, or nil.
// buf is scratch space for lower-casing, so that lookups do not allocate.
func (n *commandNames) lookup(args [][]byte, buf *[maxNameLen]byte) *command {
	cmd := n.byName[string(lowerName(args[0], buf))]
	if cmd == nil || cmd.subs == nil || len(args) == 1 {
		return cmd
	}
	return cmd.subs[string(lowerName(args[1], buf))]
}

// lookupFullName finds a command by the name Redis reports, with this
// server's name for a top-level command: "name" or "container|sub", as
// Redis's lookupCommandBySds, ignoring ASCII case. Anything else, a
// subcommand of a command without subcommands included, is nil.
func (n *commandNames) lookupFullName(name []byte) *command {
	var buf [maxNameLen]byte
	parent, sub, hasSub := bytes.Cut(name, []byte("|"))
	cmd := n.byName[string(lowerName(parent, &buf))]
	if !hasSub || cmd == nil {
		return cmd
	}
	if bytes.IndexByte(sub, '|') >= 0 {
		return nil // one level of subcommands only
	}
	return cmd.subs[string(lowerName(sub, &buf))]
}

// isContainer reports whether name is a command with subcommands.
func (n *commandNames) isContainer(name []byte) bool {
	var buf [maxNameLen]byte
	cmd := n.byName[string(lowerName(name, &buf))]
	return cmd != nil && cmd.subs != nil
}

// each calls fn for every command this server has, subcommands after their
// container.
func (n *commandNames) each(fn func(*command)) {
	for _, cmd := range n.list {
		fn(cmd)
		for _, sub := range cmd.Subcommands {
			fn(sub)
		}
	}
}

// lowerName lower-cases a command name into buf; a name longer than buf
// cannot be a command (maxNameLen) and is returned as is.
func lowerName(b []byte, buf *[maxNameLen]byte) []byte {
	if len(b) > len(buf) {
		return b
	}
	n := copy(buf[:], b)
	for i := 0; i < n; i++ {
		buf[i] = lowerASCII(buf[i])
	}
	return buf[:n]
}

// allowed reports whether the client may run cmd, as Redis's
// allowProtectedAction: an unprotected command always, a protected one as
// its directive says.
func (c *client) allowed(cmd *command) bool {
	if cmd.protectedBy == unprotected {
		return true
	}
	return c.permits(c.s.cmds.allow[cmd.protectedBy])
}

// permits reports whether an Allowance lets the client act, as Redis's
// allowProtectedAction: yes lets everyone, local the clients on this host.
func (c *client) permits(a Allowance) bool {
	switch a {
	case AllowYes:
		return true
	case AllowLocal:
		return c.isLocal()
	}
	return false
}

// allowanceNames are the values of the enable-* directives, by Allowance.
var allowanceNames = [...]string{AllowNo: "no", AllowYes: "yes", AllowLocal: "local"}

// parseAllowance reads a value that parseEnum("no", "yes", "local")
// returned.
func parseAllowance(v string) Allowance {
	for a, name := range allowanceNames {
		if name == v {
			return Allowance(a)
		}
	}
	return AllowNo
}

// isLocal reports whether the client is on this host (localPeer).
func (c *client) isLocal() bool {
	return c.nc != nil && localPeer(c.nc.RemoteAddr())
}

// localPeer reports whether a peer at addr is on this host as Redis 7.0.15's
// islocalClient judges it, for protected mode and the "local" setting of
// the enable-*-command directives: a Unix socket, or a TCP peer at 127.0.0.1
// or ::1. Redis compares those two strings, so a peer at 127.0.0.2, though
// on the loopback network, is not local.
func localPeer(addr net.Addr) bool {
	switch a := addr.(type) {
	case *net.TCPAddr:
		return a.IP.Equal(net.IPv4(127, 0, 0, 1)) || a.IP.Equal(net.IPv6loopback)
	case *net.UnixAddr:
		return true
	}
	return false
}
