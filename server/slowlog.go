package server

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
)

// SLOWLOG: the calls that took at least slowlog-log-slower-than
// microseconds, newest first, up to slowlog-max-len of them, as Redis's
// slowlog.c. An entry keeps what Redis keeps: an id, the Unix time, the
// duration, the arguments (at most slowlogMaxArgs, each cut at
// slowlogMaxArgLen bytes, secrets redacted), the client's address and name.
// The dispatcher logs through afterCall (introspect.go).

func init() {
	adminFlags := flagAdmin | flagLoading | flagStale
	registerCommands(&command{Name: "slowlog", Arity: -2, Group: "server", Since: "2.2.12",
		Complexity: "Depends on subcommand.",
		Summary:    "Groups the commands that read and clear the slow log.",
		Subcommands: []*command{
			{Name: "get", Arity: -2, Flags: adminFlags, Lock: lockNone,
				Group: "server", Since: "2.2.12",
				Complexity: "O(N) where N is the number of entries returned",
				Tips:       []string{"request_policy:all_nodes", "nondeterministic_output"},
				Summary:    "Returns the newest entries of the slow log.",
				Args:       []cmdArg{{Name: "count", Type: argTypeInteger, Flags: argOptional}},
				Run:        cmdSlowlogGet},
			{Name: "help", Arity: 2, Flags: flagLoading | flagStale, Lock: lockNone,
				Group: "server", Since: "6.2.0", Complexity: "O(1)",
				Summary: "Lists the SLOWLOG subcommands.",
				Run:     cmdSlowlogHelp},
			{Name: "len", Arity: 2, Flags: adminFlags, Lock: lockNone,
				Group: "server", Since: "2.2.12", Complexity: "O(1)",
				Tips:    []string{"request_policy:all_nodes", "response_policy:agg_sum", "nondeterministic_output"},
				Summary: "Returns how many entries the slow log holds.",
				Run:     cmdSlowlogLen},
			{Name: "reset", Arity: 2, Flags: adminFlags, Lock: lockNone,
				Group: "server", Since: "2.2.12",
				Complexity: "O(N) where N is the number of entries in the slowlog",
				Tips:       []string{"request_policy:all_nodes", "response_policy:all_succeeded"},
				Summary:    "Empties the slow log.",
				Run:        cmdSlowlogReset},
		}})
}

// Redis's limits on what an entry keeps (SLOWLOG_ENTRY_MAX_ARGC,
// SLOWLOG_ENTRY_MAX_STRING).
const (
	slowlogMaxArgs   = 32
	slowlogMaxArgLen = 128
	// slowlogDefaultGet is how many entries SLOWLOG GET returns without
	// a count.
	slowlogDefaultGet = 10
)

const msgSlowlogCount = "ERR count should be greater than or equal to -1"

// slowEntry is one entry of the slow log.
type slowEntry struct {
	id, unix, micros int64
	args             [][]byte
	peer, name       string
}

// slowlog holds the entries in a ring, oldest first from start.
type slowlog struct {
	mu     sync.Mutex
	ring   []*slowEntry
	start  int   // index of the oldest entry
	n      int   // entries held
	maxLen int64 // slowlog-max-len
	nextID int64
	// overLen is set when maxLen went below the entries held: as in
	// Redis, they are dropped at the next call while the log is on
	// (trimNow), logged or not.
	overLen atomic.Bool
}

func (l *slowlog) setMaxLen(n int64) {
	l.mu.Lock()
	l.maxLen = n
	if int64(l.n) > n {
		l.overLen.Store(true)
	}
	l.mu.Unlock()
}

// trimNow drops the entries past maxLen.
func (l *slowlog) trimNow() {
	l.mu.Lock()
	l.trim()
	l.overLen.Store(false)
	l.mu.Unlock()
}

// trim drops the oldest entries past maxLen.
func (l *slowlog) trim() {
	for l.n > 0 && int64(l.n) > l.maxLen {
		l.ring[l.start] = nil
		l.start = (l.start + 1) % len(l.ring)
		l.n--
	}
}

// push logs a call of cmd with args by c that took micros microseconds.
func (l *slowlog) push(c *client, cmd *command, args [][]byte, micros int64) {
	l.pushEntry(newSlowEntry(c, cmd, args, micros))
}

// pushEntry adds e as the newest entry, giving it the next id.
func (l *slowlog) pushEntry(e *slowEntry) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e.id = l.nextID
	l.nextID++
	if l.maxLen == 0 {
		l.trim()
		l.overLen.Store(false)
		return
	}
	if l.n == len(l.ring) {
		// Grow: the ring holds as many entries as were logged, up to
		// maxLen, never maxLen in advance.
		size := min(max(2*len(l.ring), 16), int(min(l.maxLen, 1<<30)))
		if size <= l.n {
			// Full at maxLen: the oldest entry goes.
			l.ring[l.start] = e
			l.start = (l.start + 1) % len(l.ring)
			l.trim()
			l.overLen.Store(false)
			return
		}
		ring := make([]*slowEntry, size)
		for i := 0; i < l.n; i++ {
			ring[i] = l.ring[(l.start+i)%len(l.ring)]
		}
		l.ring, l.start = ring, 0
	}
	l.ring[(l.start+l.n)%len(l.ring)] = e
	l.n++
	l.trim()
	l.overLen.Store(false)
}

// newSlowEntry copies what an entry keeps of a call.
func newSlowEntry(c *client, cmd *command, args [][]byte, micros int64) *slowEntry {
	e := &slowEntry{unix: c.s.unixNow(), micros: micros, peer: peerAddr(c)}
	if name := c.name.Load(); name != nil {
		e.name = *name
	}
	e.args = slowlogArgs(cmd, args)
	return e
}

// slowlogArgs returns the arguments an entry keeps: secrets redacted, at
// most slowlogMaxArgs of them, the last one then saying how many more there
// were, and each cut at slowlogMaxArgLen bytes with a note of the bytes
// left out.
func slowlogArgs(cmd *command, args [][]byte) [][]byte {
	secret := secretArgs(cmd, args)
	n := min(len(args), slowlogMaxArgs)
	out := make([][]byte, n)
	for i := range n {
		if n != len(args) && i == n-1 {
			out[i] = fmt.Appendf(nil, "... (%d more arguments)", len(args)-n+1)
			continue
		}
		a := redactedArg(secret, args, i)
		if len(a) > slowlogMaxArgLen {
			b := make([]byte, 0, slowlogMaxArgLen+32)
			b = append(b, a[:slowlogMaxArgLen]...)
			out[i] = fmt.Appendf(b, "... (%d more bytes)", len(a)-slowlogMaxArgLen)
			continue
		}
		out[i] = append([]byte(nil), a...)
	}
	return out
}

// newest returns up to count entries, newest first.
func (l *slowlog) newest(count int64) []*slowEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := int(min(count, int64(l.n)))
	out := make([]*slowEntry, k)
	for i := range k {
		out[i] = l.ring[(l.start+l.n-1-i)%len(l.ring)]
	}
	return out
}

func (l *slowlog) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n
}

func (l *slowlog) reset() {
	l.mu.Lock()
	l.ring, l.start, l.n = nil, 0, 0
	l.mu.Unlock()
}

// cmdSlowlogGet is SLOWLOG GET [count]: count -1 means every entry.
func cmdSlowlogGet(c *client, args [][]byte) {
	if len(args) > 3 {
		c.introSyntaxError(args)
		return
	}
	count := int64(slowlogDefaultGet)
	if len(args) == 3 {
		n, ok := c.argRange(args[2], -1, longMax, msgSlowlogCount)
		if !ok {
			return
		}
		count = n
		if count == -1 {
			count = longMax
		}
	}
	entries := c.s.intro.slow.newest(count)
	c.WriteArray(len(entries))
	for _, e := range entries {
		c.WriteArray(6)
		c.WriteInt(e.id)
		c.WriteInt(e.unix)
		c.WriteInt(e.micros)
		c.WriteArray(len(e.args))
		for _, a := range e.args {
			c.WriteBulk(a)
		}
		c.WriteBulkString(e.peer)
		c.WriteBulkString(e.name)
	}
}

func cmdSlowlogLen(c *client, args [][]byte) { c.WriteInt(int64(c.s.intro.slow.len())) }

func cmdSlowlogReset(c *client, args [][]byte) {
	c.s.intro.slow.reset()
	c.WriteOK()
}

func cmdSlowlogHelp(c *client, args [][]byte) { c.writeHelpReply(args[0], slowlogHelp) }

// slowlogHelp is the body of SLOWLOG HELP, as Redis 7.0 words it.
var slowlogHelp = []string{
	"GET [<count>]",
	"    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
	"    Entries are made of:",
	"    id, timestamp, time in microseconds, arguments array, client IP and port,",
	"    client name",
	"LEN",
	"    Return the length of the slowlog.",
	"RESET",
	"    Reset the slowlog.",
}

// introSyntaxError replies as Redis's addReplySubcommandSyntaxError.
func (c *client) introSyntaxError(args [][]byte) {
	c.writeErrorReply(fmt.Sprintf(msgSubcommandSyntax, cTrunc(args[1], 128), strings.ToUpper(cString(args[0]))))
}
