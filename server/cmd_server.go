package server

import (
	"errors"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/redoubt-db/redoubt/acl"
	"github.com/redoubt-db/redoubt/internal/num"
)

// Commands of the "server" group (and WAIT, which Redis files under
// "generic"): database-wide operations and the server's lifecycle.

func init() {
	flushArgs := []cmdArg{{Name: "async", Type: argTypeOneOf, Flags: argOptional, Args: []cmdArg{
		{Name: "async", Type: argTypePureToken, Token: "ASYNC", Since: "4.0.0"},
		{Name: "sync", Type: argTypePureToken, Token: "SYNC", Since: "6.2.0"},
	}}}
	allShards := []string{"request_policy:all_shards", "response_policy:all_succeeded"}
	registerCommands(
		&command{Name: "dbsize", Arity: 1, Flags: flagReadOnly | flagFast, Categories: acl.Keyspace, Lock: lockAlways,
			Group: "server", Since: "1.0.0", Complexity: "O(1)",
			Summary: "Returns the number of keys in the selected database.",
			Tips:    []string{"request_policy:all_shards", "response_policy:agg_sum"},
			Run:     cmdDbsize},
		&command{Name: "flushdb", Arity: -1, Flags: flagWrite, Categories: acl.Keyspace | acl.Dangerous, Lock: lockAlways,
			Group: "server", Since: "1.0.0",
			Complexity: "O(N) where N is the number of keys in the selected database",
			Summary:    "Deletes every key of the selected database.",
			Tips:       allShards, Args: flushArgs,
			Run: cmdFlushdb},
		&command{Name: "flushall", Arity: -1, Flags: flagWrite, Categories: acl.Keyspace | acl.Dangerous, Lock: lockAllDBs,
			Group: "server", Since: "1.0.0",
			Complexity: "O(N) where N is the total number of keys in all databases",
			Summary:    "Deletes every key of every database.",
			Tips:       allShards, Args: flushArgs,
			Run: cmdFlushall},
		&command{Name: "swapdb", Arity: 3, Flags: flagWrite | flagFast, Categories: acl.Keyspace | acl.Dangerous, Lock: lockAllDBs,
			Group: "server", Since: "4.0.0",
			Complexity: "O(N) where N is the count of clients watching or blocking on keys from both databases.",
			Summary:    "Exchanges the contents of two databases, as every client sees them.",
			Args:       []cmdArg{{Name: "index1", Type: argTypeInteger}, {Name: "index2", Type: argTypeInteger}},
			Run:        cmdSwapdb},
		&command{Name: "time", Arity: 1, Flags: flagLoading | flagStale | flagFast, Lock: lockNone,
			Group: "server", Since: "2.6.0", Complexity: "O(1)",
			Summary: "Returns the server's clock as Unix seconds and microseconds.",
			Tips:    []string{"nondeterministic_output"},
			Run:     cmdTime},
		&command{Name: "shutdown", Arity: -1, Flags: flagAdmin | flagNoScript | flagLoading | flagStale | flagNoMulti | flagAllowBusy, Lock: lockNone,
			Group: "server", Since: "1.0.0",
			Complexity: "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)",
			Summary:    "Stops the server, saving a snapshot first when asked or configured to.",
			Args: []cmdArg{
				{Name: "nosave_save", Type: argTypeOneOf, Flags: argOptional, Args: []cmdArg{
					{Name: "nosave", Type: argTypePureToken, Token: "NOSAVE"},
					{Name: "save", Type: argTypePureToken, Token: "SAVE"},
				}},
				{Name: "now", Type: argTypePureToken, Token: "NOW", Since: "7.0.0", Flags: argOptional},
				{Name: "force", Type: argTypePureToken, Token: "FORCE", Since: "7.0.0", Flags: argOptional},
				{Name: "abort", Type: argTypePureToken, Token: "ABORT", Since: "7.0.0", Flags: argOptional},
			},
			Run: cmdShutdown},
		&command{Name: "wait", Arity: 3, Flags: flagNoScript, Categories: acl.Connection, Lock: lockAlways,
			Group: "generic", Since: "3.0.0", Complexity: "O(1)",
			Summary: "Waits until the given number of replicas have acknowledged the connection's writes, or for a timeout in milliseconds.",
			Tips:    []string{"request_policy:all_shards", "response_policy:agg_min"},
			Args:    []cmdArg{{Name: "numreplicas", Type: argTypeInteger}, {Name: "timeout", Type: argTypeInteger}},
			Run:     cmdWait},
	)
}

func cmdDbsize(c *client, args [][]byte) { c.WriteInt(int64(c.db.Len())) }

// flushMode parses FLUSHDB's and FLUSHALL's optional ASYNC|SYNC; without
// one, lazyfree-lazy-user-flush decides, as Redis's getFlushCommandFlags.
// Both modes swap in an empty table, which is O(1), and leave the old one
// to the store's background freer; ASYNC also counts its keys as lazily
// freed objects, as Redis does.
func (c *client) flushMode(args [][]byte) (async, ok bool) {
	switch {
	case len(args) == 1:
		return c.s.lazyUserFlush.Load(), true
	case len(args) == 2 && isOpt(args[1], "async"):
		return true, true
	case len(args) == 2 && isOpt(args[1], "sync"):
		return false, true
	}
	c.writeErrorReply(msgSyntax)
	return false, false
}

func cmdFlushdb(c *client, args [][]byte) {
	async, ok := c.flushMode(args)
	if !ok {
		return
	}
	if async {
		c.db.FlushAsync()
	} else {
		c.db.Flush()
	}
	c.s.trackingFlushed(c)
	c.s.auditEvent(c, "flushdb", "db", strconv.Itoa(c.db.ID()), "mode", flushModeName(async))
	c.WriteOK()
}

func cmdFlushall(c *client, args [][]byte) {
	async, ok := c.flushMode(args)
	if !ok {
		return
	}
	if async {
		c.s.store.FlushAllAsync()
	} else {
		c.s.store.FlushAll()
	}
	c.s.trackingFlushed(c)
	c.s.auditEvent(c, "flushall", "mode", flushModeName(async))
	c.WriteOK()
}

// flushModeName names a flush's mode for the audit log.
func flushModeName(async bool) string {
	if async {
		return "async"
	}
	return "sync"
}

func cmdSwapdb(c *client, args [][]byte) {
	a, ok := c.argDBIndex(args[1], msgFirstDBIndex)
	if !ok {
		return
	}
	b, ok := c.argDBIndex(args[2], msgSecondDBIndex)
	if !ok {
		return
	}
	st := c.s.store
	if st.DB(a) == nil || st.DB(b) == nil {
		c.writeErrorReply(msgDBIndexRange)
		return
	}
	st.Swap(a, b)
	c.WriteOK()
}

// argDBIndex parses a database index as getIntFromObjectOrReply with a
// custom message, which Redis uses both for a non-integer and for a value
// outside the C int range.
func (c *client) argDBIndex(b []byte, msg string) (int, bool) {
	n, ok := c.argRange(b, math.MinInt32, math.MaxInt32, msg)
	return int(n), ok
}

// cmdTime reads the store's clock, so that a server embedded with a manual
// clock reports the same time its TTLs are computed from.
func cmdTime(c *client, args [][]byte) {
	now := c.s.store.Clock().Now()
	c.WriteArray(2)
	c.WriteBulkInt(now.Unix())
	c.WriteBulkInt(int64(now.Nanosecond() / 1000))
}

// cmdShutdown stops the server as Redis's SHUTDOWN does. There are no
// replicas to wait for, so NOW changes nothing and no shutdown is ever left
// in progress for ABORT to cancel. Snapshots do not exist yet: with no save
// points configured (the default `save ""`), plain SHUTDOWN and NOSAVE stop
// at once; SAVE fails the way Redis fails when its final save fails, unless
// FORCE says to exit anyway.
func cmdShutdown(c *client, args [][]byte) {
	var noSave, save, now, force, abort bool
	for _, a := range args[1:] {
		switch {
		case isOpt(a, "nosave"):
			noSave = true
		case isOpt(a, "save"):
			save = true
		case isOpt(a, "now"):
			now = true // there are no replicas to wait for anyway
		case isOpt(a, "force"):
			force = true
		case isOpt(a, "abort"):
			abort = true
		default:
			c.writeErrorReply(msgSyntax)
			return
		}
	}
	if (abort && (noSave || save || now || force)) || (noSave && save) {
		c.writeErrorReply(msgSyntax)
		return
	}
	if abort {
		c.writeErrorReply(msgNoShutdown)
		return
	}
	log := c.s.log
	if save {
		log.logf(levelWarning, "User requested shutdown...")
		log.logf(levelNotice, "Saving the final RDB snapshot before exiting.")
		log.logf(levelWarning, "Failed to save the DB: snapshots are not available yet in this version of Redoubt")
		if !force {
			log.logf(levelWarning, "Error trying to save the DB, can't exit.")
			log.logf(levelWarning, "Errors trying to shut down the server. Check the logs for more information.")
			c.writeErrorReply(msgShutdownFailed)
			return
		}
		log.logf(levelWarning, "Error trying to save the DB. Exit anyway.")
	}
	var opts []string
	for _, a := range args[1:] {
		opts = append(opts, strings.ToLower(string(a)))
	}
	c.s.auditEvent(c, "shutdown", "options", strings.Join(opts, " "))
	// Redis exits without replying; nothing after SHUTDOWN in the pipeline
	// runs.
	c.closeAfterReply = true
	c.s.shutdownFromCommand()
}

// cmdWait waits for replicas to acknowledge this connection's writes. There
// are no replicas, so the count is always 0: WAIT returns at once when it
// asks for none, and otherwise blocks for its timeout (forever for 0), as
// Redis does with no replicas attached, then replies 0.
func cmdWait(c *client, args [][]byte) {
	numReplicas, ok := c.argInt(args[1])
	if !ok {
		return
	}
	timeout, ok := c.argTimeoutMs(args[2])
	if !ok {
		return
	}
	const acked = 0
	if acked >= numReplicas {
		c.WriteInt(acked)
		return
	}
	if c.denyBlocking {
		c.WriteInt(acked)
		return
	}
	// Parked as any blocked client (blocking.go), so that CLIENT UNBLOCK
	// can release it.
	switch c.park(&waiter{kind: waitReplicas}, nil, timeout) {
	case parkGone: // the client went away
	case parkErrored:
		c.writeErrorReply(msgUnblocked)
	default:
		c.WriteInt(acked)
	}
}

// argTimeoutMs parses a timeout in milliseconds as Redis's
// getTimeoutFromObjectOrReply; 0 means no timeout.
func (c *client) argTimeoutMs(b []byte) (time.Duration, bool) {
	ms, ok := num.ParseInt(b)
	if !ok {
		c.writeErrorReply(msgTimeoutNotInt)
		return 0, false
	}
	if ms < 0 {
		c.writeErrorReply(msgTimeoutNegative)
		return 0, false
	}
	if ms > math.MaxInt64/int64(time.Millisecond) {
		return 0, true // beyond any deadline: the same as no timeout
	}
	return time.Duration(ms) * time.Millisecond, true
}

// block parks the connection for d (forever if d is 0) until the client
// disconnects, the server stops, or another goroutine ends the block
// (client.unblock, after posting the command's reply to the outbox). It holds
// no store transaction while it waits and first sends the replies already
// produced, as Redis writes them before a client blocks. Meanwhile it keeps
// reading the client's input into the reader, as Redis keeps reading a
// blocked client's socket, which is how it sees a disconnect; commands that
// arrive run after the block. What other goroutines post meanwhile
// (pushes) is written at once, and what they posted for the blocked command
// lands in c.out, in order, before block returns. It reports whether the
// client is still connected; if not, the connection is closing and nothing
// must be written.
//
// The command's arguments alias the read buffer, which the reads refill:
// block first gives them a private copy (ownArgs), so the command, and the
// waiter lists that hold its keys, can use them during and after the block.
func (c *client) block(d time.Duration) (alive bool) {
	s := c.s
	c.passTurn() // a command released by CLIENT PAUSE lets the next one go
	c.endTx()
	c.ownArgs()
	if c.pendingOutput() > 0 && !c.flush() {
		c.closeAfterReply = true
		return false
	}
	s.info.setBlocked(c, true, d > 0)
	defer s.info.setBlocked(c, false, false)

	var deadline time.Time
	if d > 0 {
		deadline = time.Now().Add(d)
	}
	defer func() {
		c.nc.SetReadDeadline(time.Time{})
		c.ob.unblocked.Store(false)
		c.drainOutbox()
	}()
	for {
		// The order matters (see client.wake): the deadline is set before
		// the flags a waker sets are read.
		c.nc.SetReadDeadline(deadline)
		if c.shutdown.Load() || c.ob.unblocked.Load() {
			return true // stopping, or served: finish the command
		}
		if c.userKilled.Load() {
			c.closeAfterReply = true // its user was deleted
			return false
		}
		if c.ob.pending.Load() {
			c.drainOutbox()
			if c.pendingOutput() > 0 && !c.flush() {
				c.closeAfterReply = true
				return false
			}
		}
		n, err := c.rd.Fill(c.nc)
		if n > 0 {
			s.stats.netInput.Add(int64(n))
			c.lastInteraction.Store(s.unixTime.Load())
			c.qbuf.Store(int64(c.rd.Buffered()))
			c.qbufCap.Store(int64(c.rd.BufferCap()))
		}
		switch {
		case err == nil:
		case !errors.Is(err, os.ErrDeadlineExceeded):
			c.closeAfterReply = true
			return false
		case !deadline.IsZero() && !time.Now().Before(deadline):
			return true
		}
	}
}

// ownArgs gives the current command's arguments a private copy, in one
// allocation, so that they outlive the read buffer they alias. The handler's
// args slice shares its backing array with c.argv and so sees the copies.
func (c *client) ownArgs() {
	n := 0
	for _, a := range c.argv {
		n += len(a)
	}
	buf := make([]byte, 0, n)
	for i, a := range c.argv {
		buf = append(buf, a...)
		c.argv[i] = buf[len(buf)-len(a) : len(buf) : len(buf)]
	}
}
