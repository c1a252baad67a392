package server

import (
	"fmt"
	"slices"
	"strings"

	"github.com/redoubt-db/redoubt/internal/conf"
	"github.com/redoubt-db/redoubt/internal/glob"
)

// The CONFIG container: GET, SET, RESETSTAT, REWRITE and HELP, over the
// directive table of directives.go.

func init() {
	adminFlags := flagAdmin | flagNoScript | flagLoading | flagStale
	registerCommands(
		&command{Name: "config", Arity: -2, Group: "server", Since: "2.0.0",
			Complexity: "Depends on subcommand.",
			Summary:    "Groups the commands that read and change the server's configuration.",
			Subcommands: []*command{
				{Name: "get", Arity: -3, Flags: adminFlags, Lock: lockNone,
					Group: "server", Since: "2.0.0",
					Complexity: "O(N) when N is the number of configuration parameters provided",
					Summary:    "Returns the configuration parameters whose names match any of the glob-style patterns, with their values.",
					Args: []cmdArg{{Name: "parameter", Type: argTypeBlock, Flags: argMultiple, Args: []cmdArg{
						{Name: "parameter", Type: argTypeString},
					}}},
					Run: cmdConfigGet},
				{Name: "set", Arity: -4, Flags: adminFlags, Lock: lockNone,
					Group: "server", Since: "2.0.0",
					Complexity: "O(N) when N is the number of configuration parameters provided",
					Summary:    "Changes configuration parameters at run time, all of them or none.",
					Tips:       []string{"request_policy:all_nodes", "response_policy:all_succeeded"},
					Args: []cmdArg{{Name: "parameter_value", Type: argTypeBlock, Flags: argMultiple, Args: []cmdArg{
						{Name: "parameter", Type: argTypeString},
						{Name: "value", Type: argTypeString},
					}}},
					Run: cmdConfigSet},
				{Name: "resetstat", Arity: 2, Flags: adminFlags, Lock: lockAllDBs,
					Group: "server", Since: "2.0.0", Complexity: "O(1)",
					Summary: "Sets the statistics that INFO reports back to zero.",
					Run:     cmdConfigResetstat},
				{Name: "rewrite", Arity: 2, Flags: adminFlags, Lock: lockNone,
					Group: "server", Since: "2.8.0", Complexity: "O(1)",
					Summary: "Writes the running configuration back to the configuration file.",
					Run:     cmdConfigRewrite},
				{Name: "help", Arity: 2, Flags: flagLoading | flagStale, Lock: lockNone,
					Group: "server", Since: "5.0.0", Complexity: "O(1)",
					Summary: "Lists the CONFIG subcommands and what they do.",
					Run:     cmdConfigHelp},
			}},
	)
}

// configSnapshot returns a copy of the running configuration, as CONFIG
// GET reports it (New has already replaced an ephemeral port by the port
// bound).
func (s *Server) configSnapshot() Config {
	s.cfgMu.RLock()
	defer s.cfgMu.RUnlock()
	return s.cfg
}

// cmdConfigGet is CONFIG GET pattern [pattern …], as Redis 7.0's
// configGetCommand: a name without glob characters is looked up directly
// (hidden directives included) and replied under the name as typed; a
// pattern is matched, ignoring case, against every name and alias but the
// hidden ones. A directive is listed once, under the name first matched. The
// reply is a map (a flat array in RESP2). Directives that Redoubt does not
// implement and does not behave like are left out, and Redoubt's own
// (redoubt-…) answer only patterns that start with their prefix.
func cmdConfigGet(c *client, args [][]byte) {
	cfg := c.s.configSnapshot()
	type match struct {
		name string
		d    *directive
	}
	var matches []match
	seen := map[string]bool{} // lower-case names already listed
	for _, arg := range args[2:] {
		pat := cString(arg)
		if !strings.ContainsAny(pat, "[*?") {
			key := conf.Lower(pat)
			if seen[key] {
				continue
			}
			// Redis looks the name up with its full length: a NUL
			// byte makes it unknown.
			e, ok := lookupDirective(string(arg))
			if ok && e.d.answers() {
				matches = append(matches, match{pat, e.d})
				seen[key] = true
			}
			continue
		}
		own := hasOwnPrefix(pat)
		for _, e := range directiveTable.names {
			if e.d.flags&dirHidden != 0 || seen[e.name] || !e.d.answers() {
				continue
			}
			if !own && strings.HasPrefix(e.name, ownDirectivePrefix) {
				// Redoubt's own directives answer only patterns
				// that name them (redoubt-*), so that any other
				// pattern lists what Redis lists.
				continue
			}
			if glob.MatchString(pat, e.name, true) {
				matches = append(matches, match{e.name, e.d})
				seen[e.name] = true
			}
		}
	}
	c.WriteMap(len(matches))
	for _, m := range matches {
		c.WriteBulkString(m.name)
		c.WriteBulkString(m.d.valueOf(&cfg))
	}
}

// hasOwnPrefix reports whether a CONFIG GET pattern starts with the prefix
// of Redoubt's own directives, ignoring case.
func hasOwnPrefix(pat string) bool {
	return len(pat) >= len(ownDirectivePrefix) && conf.Lower(pat[:len(ownDirectivePrefix)]) == ownDirectivePrefix
}

// configChange is one name/value pair of CONFIG SET.
type configChange struct {
	e     dirEntry
	value string
}

// cmdConfigSet is CONFIG SET name value [name value …], as Redis 7.0's
// configSetCommand: every name is checked first (unknown, immutable,
// protected, given twice), then every value is applied to a copy of the
// configuration, which replaces the running one only if all of them are
// good. The first failure is reported, in Redis's words.
func cmdConfigSet(c *client, args [][]byte) {
	if len(args)%2 != 0 {
		c.writeErrorReply(msgSyntax)
		return
	}
	changes := make([]configChange, 0, (len(args)-2)/2)
	var unknown, errArg, errStr string
	hasUnknown, invalid := false, false
	for i := 2; i < len(args); i += 2 {
		name := string(args[i])
		e, ok := lookupDirective(name)
		if !ok {
			if !invalid {
				unknown, hasUnknown, invalid = cString(args[i]), true, true
			}
			continue
		}
		if invalid {
			continue
		}
		switch {
		case e.d.flags&dirImmutable != 0:
			errStr, errArg, invalid = msgConfigImmutable, cString(args[i]), true
			continue
		case e.d.flags&dirProtected != 0 && !c.permits(c.s.cmds.configs):
			errStr, errArg, invalid = msgConfigProtected, cString(args[i]), true
			continue
		}
		for _, prev := range changes {
			if prev.e == e {
				errStr, errArg, invalid = msgConfigDuplicate, cString(args[i]), true
				break
			}
		}
		changes = append(changes, configChange{e, string(args[i+1])})
	}
	if hasUnknown {
		c.writeErrorReply(fmt.Sprintf(msgConfigSetUnknown, unknown))
		return
	}
	if invalid {
		c.writeErrorReply(fmt.Sprintf(msgConfigSetFailed, errArg, errStr))
		return
	}
	if name, err := c.s.setConfig(changes); err != nil {
		c.writeErrorReply(fmt.Sprintf(msgConfigSetFailed, name, err.Error()))
		return
	}
	for _, ch := range changes {
		if ch.e.d.flags&dirSensitive != 0 {
			c.s.auditEvent(c, "config-set", "directive", ch.e.d.name)
		} else {
			c.s.auditEvent(c, "config-set", "directive", ch.e.d.name, "value", ch.value)
		}
	}
	c.WriteOK()
}

// setConfig applies changes all together or not at all. On failure it
// returns the name of the directive at fault and the reason.
func (s *Server) setConfig(changes []configChange) (string, error) {
	s.cfgMu.Lock()
	defer s.cfgMu.Unlock()
	work := s.cfg
	for _, ch := range changes {
		d := ch.e.d
		vals := []string{ch.value}
		if d.flags&dirMultiArg != 0 {
			vals = splitConfigValue(ch.value)
		}
		v, err := d.parse(vals, d.valueOf(&work), false)
		switch {
		case err != nil:
			return ch.e.name, err
		case !d.implemented():
			if v != d.fixedValue() {
				return ch.e.name, d.notSupported()
			}
		default:
			d.set(&work, v)
		}
	}
	// exposedBind judges by the running default user, unless requirepass
	// is among the changes.
	reqChanged := slices.ContainsFunc(changes, func(ch configChange) bool { return ch.e.d.name == "requirepass" })
	work.running, work.authKnown = true, !reqChanged && s.passwordSet()
	if err := work.Validate(); err != nil {
		return changes[len(changes)-1].e.name, err
	}
	work.running, work.authKnown = false, false
	if work.MaxClients > s.cfg.MaxClients {
		// As Redis's updateMaxclients: more clients need more open
		// files, which the system may refuse.
		fit := processNofile.fitOpenFiles(work.MaxClients)
		s.logFit(fit, work.MaxClients)
		if fit.clients != work.MaxClients {
			return s.applyFailed("maxclients", fmt.Errorf(msgMaxClientsOS, fit.clients))
		}
	}
	bindChanged := !slices.Equal(work.Bind, s.cfg.Bind)
	if bindChanged || work.Port != s.cfg.Port {
		// As Redis's changeBindAddr and changeListenPort: the old
		// listeners stay if the new ones cannot all be bound.
		if err := s.rebind(work.Bind, work.Port); err != nil {
			if bindChanged {
				return s.applyFailed("bind", reasonError(msgListenBind))
			}
			return s.applyFailed("port", reasonError(msgListenPort))
		}
	}
	if reqChanged {
		s.applyRequirePass(work.RequirePass, "config set")
		hideRequirePass(&work)
	}
	s.cfg = work
	s.applyHotConfig(work)
	return "", nil
}

// applyFailed logs, as Redis does, that applying directive name failed and
// the previous configuration stays, and returns name and reason for
// setConfig's caller.
func (s *Server) applyFailed(name string, reason error) (string, error) {
	s.log.logf(levelWarning, "Failed applying new configuration. Possibly related to new %s setting. Restoring previous settings.", name)
	return name, reason
}

// splitConfigValue splits a CONFIG SET value of a directive taking several
// arguments at every single space, as Redis's sdssplitlen: "" is no
// argument, and two spaces in a row make an empty one.
func splitConfigValue(v string) []string {
	if v == "" {
		return nil
	}
	return strings.Split(v, " ")
}

func cmdConfigResetstat(c *client, args [][]byte) {
	c.syncStats()
	c.s.resetStats()
	c.WriteOK()
}

func cmdConfigRewrite(c *client, args [][]byte) {
	if c.s.configSnapshot().ConfigFile == "" {
		c.writeErrorReply(msgConfigNoFile)
		return
	}
	if err := c.s.rewriteConfig(); err != nil {
		c.s.auditEvent(c, "config-rewrite", "result", "fail", "error", strerrorOf(err))
		c.s.log.logf(levelWarning, "CONFIG REWRITE failed: %s", strerrorOf(err))
		c.writeErrorReply(fmt.Sprintf(msgRewriteFailed, strerrorOf(err)))
		return
	}
	c.s.log.logf(levelWarning, "CONFIG REWRITE executed with success.")
	c.s.auditEvent(c, "config-rewrite")
	c.WriteOK()
}

func cmdConfigHelp(c *client, args [][]byte) {
	c.writeHelpReply(args[0], configHelp)
}

// configHelp is the body of CONFIG HELP, as Redis 7.0 words it
// (writeHelpReply adds the header and the lines about HELP).
var configHelp = []string{
	"GET <pattern>",
	"    Return parameters matching the glob-like <pattern> and their values.",
	"SET <directive> <value>",
	"    Set the configuration <directive> to <value>.",
	"RESETSTAT",
	"    Reset statistics reported by the INFO command.",
	"REWRITE",
	"    Rewrite the configuration file.",
}
