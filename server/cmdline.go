package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/redoubt-db/redoubt/internal/conf"
	"github.com/redoubt-db/redoubt/internal/splitargs"
)

// What the redoubt-server binary needs from the server package: the command
// line and config file turned into a Config, and shutdown on a signal.

// Source names of configuration that does not come from a file.
const (
	sourceStdin   = "<stdin>"
	sourceCmdline = "<command line>"
)

// Reasons for directives Redis knows but that are not config parameters.
const (
	msgBadDirective  = "Bad directive or wrong number of arguments"
	msgModuleConfig  = "Module config specified without value"
	msgSentinelNotOn = "sentinel directive while not in sentinel mode"
)

// ConfigError is an error in the configuration: a directive of a config
// file, of standard input or of the command line, or, when Line is 0, the
// configuration as a whole.
type ConfigError struct {
	// Source is the config file's path as given ("redis.conf", or the
	// path of an included file), "<stdin>" or "<command line>".
	Source string
	// Line is the directive's line number in Source, from 1; on the
	// command line, each "--name" option is a line.
	Line int
	// Text is the line as read, trimmed; for a directive whose value is a
	// secret (requirepass), only its name.
	Text string
	// Reason says what is wrong, in Redis's words where Redis has them.
	Reason string
}

func (e *ConfigError) Error() string {
	if e.Line == 0 {
		return "server: configuration: " + e.Reason
	}
	return fmt.Sprintf("server: configuration %s, line %d ('%s'): %s", e.Source, e.Line, e.Text, e.Reason)
}

// Report formats the error as redis-server reports a bad configuration on
// standard error, naming the file as well:
//
//	*** FATAL CONFIG FILE ERROR (Redoubt 0.1.0) ***
//	Reading the configuration file /etc/redis.conf, at line 3
//	>>> 'maxmemory 1gb'
//	not supported yet by Redoubt (…): only 'maxmemory 0' is accepted
func (e *ConfigError) Report() string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n*** FATAL CONFIG FILE ERROR (Redoubt %s) ***\n", Version)
	if e.Line > 0 {
		var where string
		switch e.Source {
		case sourceStdin:
			where = "the configuration from standard input"
		case sourceCmdline:
			where = "the command line options"
		default:
			where = "the configuration file " + e.Source
		}
		fmt.Fprintf(&b, "Reading %s, at line %d\n", where, e.Line)
		fmt.Fprintf(&b, ">>> '%s'\n", e.Text)
	}
	b.WriteString(e.Reason)
	b.WriteByte('\n')
	return b.String()
}

// ParseArgs turns the arguments of redoubt-server (without the program
// name) into a Config, exactly as redis-server takes its arguments:
//
//	redoubt-server [configfile] [-] [--directive value …]
//
// The config file is read first, then standard input if "-" is the first or
// last argument, then the options, each "--name v1 v2" standing for the
// config line `name "v1" "v2"`. For every directive the last value wins
// (save lines add up, as in Redis). The result starts from DefaultConfig,
// and its ConfigFile is the config file's absolute path. Errors are
// *ConfigError. "-v", "--version", "-h" and "--help" are the caller's to
// handle before.
func ParseArgs(args []string) (Config, error) {
	return applyArgs(DefaultConfig(), args, os.Stdin)
}

// ApplyArgs is ParseArgs starting from base instead of DefaultConfig: it
// applies a redis-server command line (a config file, standard input,
// options) on top of base. ApplyArgs(Config{}, []string{"--hz", "100"})
// is an embedded server's defaults with hz 100.
func ApplyArgs(base Config, args []string) (Config, error) {
	return applyArgs(base, args, os.Stdin)
}

func applyArgs(base Config, args []string, stdin io.Reader) (Config, error) {
	cl := conf.ParseCommandLine(args)
	ld := newConfigLoader(base)
	var rd conf.Reader
	if cl.HasFile {
		abs, err := filepath.Abs(cl.File)
		if err != nil {
			return Config{}, &ConfigError{Reason: fmt.Sprintf("can't resolve the config file path '%s': %v", cl.File, err)}
		}
		ld.cfg.ConfigFile = abs
		if err := rd.ReadFile(abs, ld.line); err != nil {
			return Config{}, configError(err)
		}
	}
	if cl.Stdin {
		if err := rd.Read(sourceStdin, stdin, ld.line); err != nil {
			return Config{}, configError(err)
		}
	}
	if err := rd.Parse(sourceCmdline, []byte(cl.Options), ld.line); err != nil {
		return Config{}, configError(err)
	}
	if err := ld.finish(); err != nil {
		return Config{}, err
	}
	return ld.cfg, nil
}

// configError turns a conf error into a *ConfigError.
func configError(err error) error {
	var ce *ConfigError
	if errors.As(err, &ce) {
		return ce
	}
	var e *conf.Error
	if errors.As(err, &e) {
		return &ConfigError{Source: e.Source, Line: e.Num, Text: e.Text, Reason: e.Reason}
	}
	return &ConfigError{Reason: err.Error()}
}

// configLoader applies configuration lines to a Config.
type configLoader struct {
	cfg Config
	// pending holds the value set for each directive that is not
	// implemented, and the line that set it last: whether Redoubt accepts
	// it is decided once every line is read, so that a later line (a
	// command-line option after a stock config file) may still correct
	// it.
	pending map[*directive]pendingDirective
	seq     int
	// names are the command names after the rename-command lines read so
	// far, built at the first one.
	names map[string]*command
	// users are the names of the "user" lines read so far.
	users map[string]bool
}

type pendingDirective struct {
	value string
	line  conf.Line
	seq   int
}

func newConfigLoader(base Config) *configLoader {
	cfg := base.withDefaults()
	cfg.Bind = slices.Clone(cfg.Bind) // not shared with base
	cfg.RenameCommands = slices.Clone(cfg.RenameCommands)
	return &configLoader{cfg: cfg, pending: map[*directive]pendingDirective{}}
}

// configLineError is an error at line l; a secret value is not shown.
func configLineError(l conf.Line, d *directive, reason string) error {
	text := l.Text
	if d != nil && d.flags&dirSensitive != 0 {
		text = l.Args[0] + " (redacted)"
	}
	return &ConfigError{Source: l.Source, Line: l.Num, Text: text, Reason: reason}
}

// line applies one directive, as Redis's loadServerConfigFromString.
func (ld *configLoader) line(l conf.Line) error {
	name, argc := l.Args[0], len(l.Args)
	if e, ok := lookupDirective(name); ok {
		d := e.d
		if d.flags&dirMultiArg == 0 && argc != 2 {
			return configLineError(l, d, msgWrongArgCount)
		}
		args := l.Args[1:]
		if d.flags&dirMultiArg != 0 && len(args) == 1 && args[0] != "" {
			// "--bind '127.0.0.1 ::1'": one argument holding several.
			parts, err := splitargs.Split([]byte(args[0]))
			args = nil
			if err == nil {
				for _, p := range parts {
					args = append(args, string(p))
				}
			}
		}
		v, err := d.parse(args, ld.current(d), true)
		if err != nil {
			return configLineError(l, d, err.Error())
		}
		if d.implemented() {
			d.set(&ld.cfg, v)
			return nil
		}
		ld.seq++
		ld.pending[d] = pendingDirective{value: v, line: l, seq: ld.seq}
		return nil
	}
	if deprecatedDirectives[name] && argc == 2 {
		return nil
	}
	switch {
	case name == "rename-command" && argc == 3:
		if reason := ld.rename(l.Args[1], l.Args[2]); reason != "" {
			return configLineError(l, nil, reason)
		}
		return nil
	case name == "user" && argc >= 2:
		if ld.users == nil {
			ld.users = map[string]bool{}
		}
		if reason := checkUserLine(processCatalog(), ld.users, l.Args[1:]); reason != "" {
			// The line may hold passwords: only its user's name is shown.
			return &ConfigError{Source: l.Source, Line: l.Num, Text: "user " + redactedRule(l.Args[1]) + " " + redactedText, Reason: reason}
		}
		ld.cfg.ACLUsers = append(ld.cfg.ACLUsers, slices.Clone(l.Args[1:]))
		return nil
	case name == "loadmodule" && argc >= 2:
		return configLineError(l, nil, "not supported yet by Redoubt (modules)")
	case strings.Contains(name, "."):
		if argc != 2 {
			return configLineError(l, nil, msgModuleConfig)
		}
		return configLineError(l, nil, "not supported yet by Redoubt (modules)")
	case name == "sentinel":
		if argc != 1 {
			return configLineError(l, nil, msgSentinelNotOn)
		}
		return configLineError(l, nil, "not supported yet by Redoubt (Redis Sentinel)")
	}
	return configLineError(l, nil, msgBadDirective)
}

// Reasons for a bad rename-command line, Redis's words but the last.
const (
	msgRenameNoSuch  = "No such command in rename-command"
	msgRenameExists  = "Target command name already exists"
	msgRenameTooLong = "A command name has at most 64 bytes in Redoubt"
)

// rename applies a rename-command line as Redis's config loader does: the
// command named from (ignoring case, by its name after the lines before)
// loses that name, and takes to unless to is empty. It returns the reason a
// line is refused, or "". Only top-level commands can be renamed: Redis
// finds "config|get" and then fails an assertion; Redoubt finds no command.
func (ld *configLoader) rename(from, to string) string {
	if ld.names == nil {
		initCommands()
		ld.names = make(map[string]*command, len(commands.byName))
		if n, err := newCommandNames(commands, ld.cfg.commandOptions()); err == nil {
			maps.Copy(ld.names, n.byName)
		} else {
			maps.Copy(ld.names, commands.byName) // New reports the base's error
		}
	}
	lfrom, lto := strings.ToLower(from), strings.ToLower(to)
	cmd := ld.names[lfrom]
	if len(from) > maxNameLen || cmd == nil {
		return msgRenameNoSuch
	}
	if len(to) > maxNameLen {
		return msgRenameTooLong
	}
	delete(ld.names, lfrom)
	if to != "" {
		if ld.names[lto] != nil {
			return msgRenameExists
		}
		ld.names[lto] = cmd
	}
	ld.cfg.RenameCommands = append(ld.cfg.RenameCommands, CommandRename{from, to})
	return ""
}

// current is a directive's value before the line being read.
// Only directives that are not implemented are pending.
func (ld *configLoader) current(d *directive) string {
	if p, ok := ld.pending[d]; ok {
		return p.value
	}
	return d.valueOf(&ld.cfg)
}

// finish checks what only the whole configuration tells: the final value of
// each directive that is not implemented, and that the log file can be
// opened, as Redis checks at the end of its config file.
func (ld *configLoader) finish() error {
	var first *ConfigError
	firstSeq := 0
	for d, p := range ld.pending {
		if p.value == d.fixedValue() || (first != nil && p.seq > firstSeq) {
			continue
		}
		first, firstSeq = configLineError(p.line, d, d.notSupported().Error()).(*ConfigError), p.seq
	}
	if first != nil {
		return first
	}
	if ld.cfg.LogFile != "" {
		f, err := os.OpenFile(ld.cfg.LogFile, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			return &ConfigError{Reason: "Can't open the log file: " + strerrorOf(err)}
		}
		f.Close()
	}
	return nil
}

// ErrInterrupted is returned by ShutdownOnSignal for a second SIGINT while
// the server is shutting down: the caller should exit at once, with a
// failure status, as redis-server does.
var ErrInterrupted = errors.New("server: interrupted again while shutting down")

// ShutdownOnSignal shuts the server down gracefully because the process
// received sig (SIGTERM or SIGINT), logging as redis-server does:
//
//	1234:signal-handler (1700000000) Received SIGTERM scheduling shutdown...
//	1234:M 21 Nov 2026 06:25:39.919 # User requested shutdown...
//
// then Shutdown(ctx). A SIGINT while a shutdown is already under way logs
// "You insist... exiting now." and returns ErrInterrupted at once.
func (s *Server) ShutdownOnSignal(ctx context.Context, sig os.Signal) error {
	name := sig.String()
	if n, ok := sig.(syscall.Signal); ok {
		switch n {
		case syscall.SIGTERM:
			name = "SIGTERM"
		case syscall.SIGINT:
			name = "SIGINT"
		}
	}
	if s.closing.Load() && name == "SIGINT" {
		s.log.logSignal("You insist... exiting now.")
		return ErrInterrupted
	}
	s.log.logSignal("Received " + name + " scheduling shutdown...")
	if !s.closing.Load() {
		s.log.logf(levelWarning, "User requested shutdown...")
	}
	return s.Shutdown(ctx)
}

// logSignal writes a line as Redis's serverLogFromHandler, at warning level:
// "pid:signal-handler (unixtime) msg".
func (l *logger) logSignal(msg string) {
	if !l.enabled(levelWarning) {
		return
	}
	var b bytes.Buffer
	b.WriteString(strconv.Itoa(l.pid))
	b.WriteString(":signal-handler (")
	b.WriteString(strconv.FormatInt(l.clock().Unix(), 10))
	b.WriteString(") ")
	b.WriteString(msg)
	b.WriteByte('\n')
	l.mu.Lock()
	l.w.Write(b.Bytes())
	l.mu.Unlock()
}
