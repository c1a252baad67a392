package server

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/redoubt-db/redoubt/internal/keyspec"

	"github.com/redoubt-db/redoubt/acl"
)

// command is one entry of the command table. The table alone drives dispatch,
// arity errors, COMMAND (INFO, DOCS, COUNT, LIST, GETKEYS) and, later, ACL
// checks, so everything Redis reports about a command lives here.
type command struct {
	// Name is the lowercase command name; a subcommand's is its own word
	// ("get" under "config").
	Name string
	// Arity counts the name itself; -N means at least N arguments. A
	// subcommand's arity counts the container's name too.
	Arity int
	// Flags are the command's flags, as COMMAND INFO reports them.
	Flags cmdFlags
	// Categories are the ACL categories not implied by Flags.
	Categories acl.Category
	// KeySpecs say where the command's keys are, as Redis 7 key specs.
	KeySpecs []keyspec.Spec
	// GetKeys finds the keys of a command whose key positions depend on its
	// arguments; nil means the key specs suffice.
	GetKeys func(args [][]byte) ([]int, error)
	// Group is the documentation group ("string", "generic", "server"…).
	Group string
	// Since is the Redis version that introduced the command.
	Since string
	// Complexity is the time complexity, for COMMAND DOCS.
	Complexity string
	// Summary says what the command does, in our own words.
	Summary string
	// DocFlags are COMMAND DOCS's doc_flags ("deprecated", "syscmd").
	DocFlags []string
	// DeprecatedSince and ReplacedBy document a deprecated command.
	DeprecatedSince, ReplacedBy string
	// History are the changes Redis made to the command, for COMMAND DOCS.
	// The table leaves it empty: buildCommandTable fills it from
	// commandHistory (history.go).
	History []historyEntry
	// Tips are the command tips COMMAND INFO reports
	// ("nondeterministic_output", "request_policy:all_shards"…).
	Tips []string
	// Args describe the arguments, for COMMAND DOCS and redis-cli's hints.
	Args []cmdArg
	// Run executes the command. It is nil for a container whose work is done
	// by its Subcommands.
	Run func(c *client, args [][]byte)
	// Subcommands are the container's subcommands (CONFIG GET, CLIENT ID…).
	Subcommands []*command
	// Lock says which store transaction Run needs. The default, lockAuto,
	// opens one on the selected database for commands with keys.
	Lock lockMode

	// protectedBy names the directive that guards the command
	// (enable-debug-command, enable-module-command); each server's
	// setting of it decides whether the command runs (names.go).
	protectedBy protection

	// Set when the table is built.
	parent   *command
	fullName string // "get", "config|get"
	subs     map[string]*command
	movable  bool // key positions need GetKeys or a non-range key spec
	// keyFlags is Redis's per-command procedure for the flags of keys that
	// depend on the arguments (keyspec.ProcFlags), or nil.
	keyFlags func(args [][]byte) keyspec.Flags
	// keyFlagsAt is the procedure's flags of each key it finds, when they
	// differ from key to key (keyspec.ProcKeyFlags), or nil.
	keyFlagsAt func(args [][]byte, pos int) keyspec.Flags
	lockDB     bool // Run is called inside a store transaction (client.tx)
	allDBs     bool // … that may use every database
	id         int  // index of the command's statistics in Server.cmdStats
}

// FullName returns the name Redis uses in replies and statistics: the name,
// or "container|sub" for a subcommand.
func (cmd *command) FullName() string { return cmd.fullName }

// lockMode says which store transaction a command runs in. Handlers never
// lock: the dispatcher opens the transaction the table declares (client.call).
type lockMode uint8

const (
	// lockAuto runs commands with key specs in a transaction on the
	// selected database, and others in none.
	lockAuto lockMode = iota
	// lockAlways always runs in a transaction on the selected database
	// (DBSIZE, KEYS, SCAN…).
	lockAlways
	// lockNone runs the command outside any transaction: it does not
	// touch the store (PING, CLIENT, CONFIG GET, SELECT…).
	lockNone
	// lockAllDBs runs in a transaction that may use every database (MOVE,
	// COPY, SWAPDB, FLUSHALL, INFO, CONFIG RESETSTAT).
	lockAllDBs
)

// commandStats are the counters INFO commandstats reports, one per command
// and server (Server.cmdStats), so embedded servers sharing a process keep
// their own figures.
type commandStats struct {
	calls    atomic.Int64
	nanos    atomic.Int64 // time spent in the command, in nanoseconds
	rejected atomic.Int64
	failed   atomic.Int64
	latency  atomic.Pointer[latencyHist] // nil until the first call (stats.go)
}

// cmdFlags are command flags. The order of the constants is the order in which
// COMMAND INFO lists them.
type cmdFlags uint32

const (
	// flagWrite commands may modify the keyspace.
	flagWrite cmdFlags = 1 << iota
	// flagReadOnly commands only read keys.
	flagReadOnly
	// flagDenyOOM commands may grow memory and are refused when over maxmemory.
	flagDenyOOM
	flagModule
	// flagAdmin commands administer the server.
	flagAdmin
	// flagPubSub commands are pub/sub related.
	flagPubSub
	// flagNoScript commands cannot run in scripts.
	flagNoScript
	// flagBlocking commands may block the client.
	flagBlocking
	// flagLoading commands are allowed while the dataset loads.
	flagLoading
	// flagStale commands are allowed on a replica with stale data.
	flagStale
	// flagSkipMonitor commands are not shown to MONITOR.
	flagSkipMonitor
	// flagSkipSlowlog commands are not logged to SLOWLOG.
	flagSkipSlowlog
	// flagAsking is cluster-related.
	flagAsking
	// flagFast commands run in O(1) or O(log N).
	flagFast
	// flagNoAuth commands may run before authentication.
	flagNoAuth
	// flagMayReplicate commands may replicate even when read-only.
	flagMayReplicate
	// flagSentinel commands exist in sentinel mode.
	flagSentinel
	// flagOnlySentinel commands exist only in sentinel mode.
	flagOnlySentinel
	// flagNoMandatoryKeys commands may have no keys although they have key specs.
	flagNoMandatoryKeys
	// flagNoAsyncLoading commands are refused during asynchronous loading.
	flagNoAsyncLoading
	// flagNoMulti commands cannot be queued in MULTI.
	flagNoMulti
	// flagMovableKeys is computed from the key specs, never set by hand.
	flagMovableKeys
	// flagAllowBusy commands may run while a script is busy.
	flagAllowBusy

	numFlags = iota
)

var flagNames = [numFlags]string{
	"write", "readonly", "denyoom", "module", "admin", "pubsub", "noscript",
	"blocking", "loading", "stale", "skip_monitor", "skip_slowlog", "asking",
	"fast", "no_auth", "may_replicate", "sentinel", "only_sentinel",
	"no_mandatory_keys", "no_async_loading", "no_multi", "movablekeys",
	"allow_busy",
}

// Names returns the flag names in COMMAND INFO's order.
func (f cmdFlags) Names() []string {
	var names []string
	for i, n := range flagNames {
		if f&(1<<i) != 0 {
			names = append(names, n)
		}
	}
	return names
}

// argType is the type of a command argument in COMMAND DOCS.
type argType uint8

// Argument types.
const (
	argTypeString argType = iota
	argTypeInteger
	argTypeDouble
	argTypeKey
	argTypePattern
	argTypeUnixTime
	argTypePureToken
	argTypeOneOf
	argTypeBlock
)

var argTypeNames = [...]string{"string", "integer", "double", "key", "pattern", "unix-time", "pure-token", "oneof", "block"}

func (t argType) String() string { return argTypeNames[t] }

// argFlags qualify an argument in COMMAND DOCS.
type argFlags uint8

// Argument flags.
const (
	argOptional argFlags = 1 << iota
	argMultiple
	argMultipleToken
)

// cmdArg describes one argument of a command, for COMMAND DOCS.
type cmdArg struct {
	Name            string
	Type            argType
	DisplayText     string
	KeySpecIndex    int // for argTypeKey: index into KeySpecs
	Token           string
	Since           string
	DeprecatedSince string
	Flags           argFlags
	Args            []cmdArg // for ArgOneOf and ArgBlock
}

// commandTable is the description of every command. It is built once, at
// package initialisation, and never changes afterwards; each server
// dispatches through its own commandNames, built from it (names.go).
type commandTable struct {
	byName map[string]*command // top-level commands by their table name
	list   []*command          // top-level commands in registration order
	count  int                 // commands and subcommands: the next command.id
}

// commandGroups lists the per-group tables (cmd_<group>.go). Each group adds
// its table to this list in its file's init function.
var commandGroups [][]*command

func registerCommands(cmds ...*command) { commandGroups = append(commandGroups, cmds) }

var commands *commandTable

func buildCommandTable() *commandTable {
	t := &commandTable{byName: map[string]*command{}}
	for _, group := range commandGroups {
		for _, cmd := range group {
			if _, dup := t.byName[cmd.Name]; dup {
				panic(fmt.Sprintf("server: command %q registered twice", cmd.Name))
			}
			t.add(cmd, nil)
			t.byName[cmd.Name] = cmd
			t.list = append(t.list, cmd)
			if len(cmd.Subcommands) > 0 {
				cmd.subs = map[string]*command{}
				for _, sub := range cmd.Subcommands {
					t.add(sub, cmd)
					cmd.subs[sub.Name] = sub
				}
			}
		}
	}
	return t
}

// add gives cmd, a top-level command (parent nil) or a subcommand of
// parent, its full name and statistics index, and finishes it; the caller
// files it under its name.
func (t *commandTable) add(cmd, parent *command) {
	cmd.parent = parent
	cmd.fullName = cmd.Name
	if parent != nil {
		cmd.fullName = parent.Name + "|" + cmd.Name
	}
	cmd.id = t.count
	t.count++
	cmd.History = commandHistory[cmd.fullName]
	cmd.finish()
}

// finish derives what the table leaves implicit: the implied ACL categories
// (as Redis's setImplicitACLCategories) and whether keys are movable.
func (cmd *command) finish() {
	if cmd.Flags&flagWrite != 0 {
		cmd.Categories |= acl.Write
	}
	if cmd.Flags&flagReadOnly != 0 && cmd.Categories&acl.Scripting == 0 {
		cmd.Categories |= acl.Read
	}
	if cmd.Flags&flagAdmin != 0 {
		cmd.Categories |= acl.Admin | acl.Dangerous
	}
	if cmd.Flags&flagPubSub != 0 {
		cmd.Categories |= acl.PubSub
	}
	if cmd.Flags&flagFast != 0 {
		cmd.Categories |= acl.Fast
	}
	if cmd.Flags&flagBlocking != 0 {
		cmd.Categories |= acl.Blocking
	}
	if cmd.Categories&acl.Fast == 0 {
		cmd.Categories |= acl.Slow
	}
	cmd.lockDB = cmd.Lock == lockAlways || cmd.Lock == lockAllDBs || (cmd.Lock == lockAuto && len(cmd.KeySpecs) > 0)
	cmd.allDBs = cmd.Lock == lockAllDBs
	_, _, _, movable := keyspec.LegacyRange(cmd.KeySpecs)
	cmd.movable = cmd.GetKeys != nil || movable
	if cmd.parent == nil {
		cmd.keyFlags = keyspec.ProcFlags(cmd.Name)
		cmd.keyFlagsAt = keyspec.ProcKeyFlags(cmd.Name)
	}
}

// arityOK reports whether n arguments, the name included, suit the
// command's arity: exactly Arity, or at least -Arity when it is negative.
func (cmd *command) arityOK(n int) bool {
	if cmd.Arity > 0 {
		return n == cmd.Arity
	}
	return n >= -cmd.Arity
}

var commandsOnce sync.Once

// initCommands builds the command table once, after every group's init has
// registered its commands.
func initCommands() { commandsOnce.Do(func() { commands = buildCommandTable() }) }
