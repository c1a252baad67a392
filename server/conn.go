package server

import (
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redoubt-db/redoubt/acl"
	"github.com/redoubt-db/redoubt/internal/resp"
	"github.com/redoubt-db/redoubt/store"
)

const (
	// flushThreshold is the output size at which a batch flushes before it
	// ends, so a long pipeline does not build up an unbounded reply.
	flushThreshold = 64 * 1024
	// maxLockHold is how many commands a batch may run in one store
	// transaction before letting other clients in.
	maxLockHold = 128
)

// client is one client connection. Its goroutine (serve) owns every field
// that is not atomic; other goroutines (CLIENT LIST, CLIENT KILL, INFO, the
// cron) read only the atomic ones and call close.
type client struct {
	s  *Server
	nc net.Conn
	id int64 // set by accept before serve starts, then constant

	rd *resp.Reader
	// The replies not yet written (output.go): the segments of segs, then
	// out[outHead:]. segsLen is the bytes of segs; spills counts the
	// times something was queued to segs; chunked is the size of the
	// chunks of big replies among them; iov is scratch for writev.
	out     []byte
	outHead int
	segs    net.Buffers
	segsLen int
	spills  int
	chunked int
	iov     net.Buffers
	ob      outbox           // replies and pushes from other goroutines (outbox.go)
	argv    [][]byte         // the current command's arguments, aliasing rd's buffer
	nameBuf [maxNameLen]byte // scratch for lower-casing command names
	// lastLookup is the last command looked up, if it has no subcommands,
	// and lastName the name it has on this server: a pipeline usually
	// repeats a command, and comparing its name is cheaper than a lookup.
	lastLookup *command
	lastName   string
	// run is the current run: consecutive calls of one fast command in a
	// batch, under one lock hold, or a single call of any other command. A
	// run is timed as a whole and its statistics reach the server's shared
	// counters when it ends (endRun), so a pipeline of N GETs costs two
	// clock reads and a few atomic adds, not N of each, while each call of
	// a slow command has its own duration, as SLOWLOG and LATENCY need.
	//
	// A run that ends at a call's return leaves its end time in mark, and
	// the next call of the batch starts from it rather than reading the
	// clock again, so a pipeline of N slow commands costs N+1 clock reads.
	// Anything that waits (a lock, the end of a batch) clears mark.
	//
	// A run of a slow command (no fast flag) times each call: callStart is
	// where the running call began, and the calls' latencies go to the
	// histogram one by one, while the totals (calls, time) are added once
	// when the run ends. While the slow log or the latency monitor is on,
	// afterCall (introspect.go) times the calls of a fast run the same way,
	// from callStart, one by one or in short windows.
	run struct {
		cmd           *command
		start         time.Duration // since created, on the monotonic clock
		callStart     time.Duration // slow runs: the running call's start
		callTime      time.Duration // slow runs: the last call's duration
		unchecked     int           // fast calls since afterCall last read the clock
		mark          time.Duration // the last run's end, or 0
		calls, failed int64
		shown         *command // what lastCmd holds, to store it only on change
	}

	// The connection's user (users.go): its name, the user as resolved at
	// generation userGen of the registry, whether that user may run
	// everything (acl.User.Unrestricted, cached for the dispatcher's fast
	// path), and whether the connection has authenticated (Redis's
	// c->authenticated). Other goroutines read authName.
	userName      string
	user          *acl.User
	userGen       uint64
	unrestricted  bool
	authenticated bool
	aclScratch    aclScratch // buffers for ACL checks (aclcheck.go)

	db *store.DB // the selected database
	// tx is the store transaction the current batch holds, nil when none
	// is open. Consecutive commands of a batch share it, up to
	// maxLockHold of them (held counts them), each committed as a step
	// of its own.
	tx      *store.Tx
	txAll   bool // tx was opened for every database
	held    int
	proto   int // 2 or 3, set by HELLO
	errors  int // error replies written, for failed_calls
	created time.Time

	// denyBlocking makes blocking commands reply at once, as if their
	// timeout had passed, instead of blocking (Redis's
	// CLIENT_DENY_BLOCKING): set while EXEC or a script runs commands.
	denyBlocking bool

	// replyMark is where the running command's reply starts, noted
	// (replyMarked) only for a client with subscriptions: keyspace events
	// the command fires for the client itself go there (notify.go).
	replyMark   deferredLen
	replyMarked bool
	// monitorFed is the monitoring generation in which the running
	// command was shown before it blocked, or 0 (monitor.go).
	monitorFed uint64

	// multi is the MULTI state (multi.go): nil outside MULTI … EXEC.
	// inExec is set while EXEC runs the queued commands, in EXEC's store
	// transaction. watching are the keys WATCHed, guarded by the store's
	// lock, like the server's watch table.
	multi      *multiState
	spareMulti *multiState // the last one, emptied, for the next MULTI
	inExec     bool
	watching   []*watchedKey

	// ps is the client's side of its pub/sub subscriptions (pubsub.go).
	ps clientSubs

	// pause is the client's part in CLIENT PAUSE (pause.go).
	pause clientPause

	// trk is the client-side caching state (tracking.go).
	trk clientTracking

	// ld is the login deadline of a connection that must authenticate
	// (logintimeout.go).
	ld loginDeadline

	// closeAfterReply ends the connection once the pending replies are
	// written (QUIT, a protocol error, CLIENT KILL of oneself).
	closeAfterReply bool

	// CLIENT REPLY state: replies are dropped while replyOff, and for one
	// command when replySkip; skipNext arms replySkip for the next one.
	// mute is replyOff || replySkip, which the reply writers test first:
	// while it is set they build nothing.
	replyOff, replySkip, skipNext, mute bool

	// State other goroutines read.
	// authName is userName for other goroutines (CLIENT LIST, CLIENT
	// KILL USER, killUserClients); userKilled asks the connection to close
	// after its current command, its user being gone.
	authName   atomic.Pointer[string]
	userKilled atomic.Bool

	dbIndex         atomic.Int32
	resp            atomic.Int32 // proto, for CLIENT LIST
	name            atomic.Pointer[string]
	libName, libVer atomic.Pointer[string]
	lastCmd         atomic.Pointer[command]
	lastInteraction atomic.Int64 // Unix seconds of the last input
	noEvict         atomic.Bool
	noTouch         atomic.Bool
	shutdown        atomic.Bool // the server is shutting down gracefully
	closed          atomic.Bool
	// subs counts the client's subscriptions: channels, patterns and
	// shard channels (pubsub.go). Non-zero makes it a pubsub client for
	// client-output-buffer-limit and RESP2's subscribed mode.
	subs atomic.Int32
	// The transaction's figures for CLIENT LIST (multi.go): the commands
	// queued (-1 outside MULTI), what they take, the keys watched, and
	// whether a watched key changed (the "d" flag; EXEC will fail).
	multiCount  atomic.Int32
	multiArgMem atomic.Int64
	multiSlots  atomic.Int64
	watchCount  atomic.Int64
	dirtyCAS    atomic.Bool
	qbuf        atomic.Int64 // unread input bytes, for CLIENT LIST
	qbufCap     atomic.Int64 // the input buffer's size, for CLIENT LIST
	// The output's figures, published by its writes (output.go): CLIENT
	// LIST's obl, oll, omem and rbs.
	outBuf, outList, outMem, outCap atomic.Int64
	// monitoring is set while the client is in MONITOR (monitor.go).
	monitoring atomic.Bool
	// softSince is the cached Unix time at which the client's output was
	// first seen at or over its class's soft limit, 0 when it is under
	// (outlimit.go); obufLogPending says that a post closed it for its
	// output limit and its goroutine is to log it.
	softSince      atomic.Int64
	obufLogPending atomic.Bool
}

func newConn(s *Server, nc net.Conn) *client {
	c := &client{
		s:       s,
		nc:      nc,
		rd:      resp.NewReader(),
		db:      s.store.DB(0),
		proto:   2,
		created: time.Now(),
	}
	c.lastInteraction.Store(s.unixTime.Load())
	c.resp.Store(2)
	c.multiCount.Store(-1)
	c.initUser()
	return c
}

// ID returns the client id (CLIENT ID).
func (c *client) ID() int64 { return c.id }

// close closes the connection from any goroutine; serve then exits.
func (c *client) close() {
	if c.closed.CompareAndSwap(false, true) {
		c.nc.Close()
	}
}

// serve reads and executes commands until the client goes away, the
// connection is closed, or a protocol error. A panic while executing closes
// this connection only.
func (c *client) serve() {
	defer c.s.wg.Done()
	defer c.cleanup()
	defer func() {
		if r := recover(); r != nil {
			c.s.log.logf(levelWarning, "Closing client id=%d after an internal error: %v\n%s", c.id, r, debug.Stack())
		}
	}()
	c.armLoginDeadline() // logintimeout.go: only while a password is required
	for {
		c.rd.MaxBulk = c.s.maxBulk.Load()
		c.rd.MaxQuery = c.s.maxQuery.Load()
		if !c.authenticated {
			c.refreshPreAuth() // requirepass may have changed meanwhile
		}
		n, err := c.rd.Fill(c.nc)
		if n > 0 {
			c.s.stats.netInput.Add(int64(n))
			c.lastInteraction.Store(c.s.unixTime.Load())
		}
		if err != nil && errors.Is(err, os.ErrDeadlineExceeded) && c.wakeHandled() {
			// Another goroutine posted to the outbox: processInput
			// runs what is buffered, if anything, and writes it.
			err = nil
		}
		if err != nil {
			if errors.Is(err, resp.ErrQueryBufferLimit) {
				c.s.stats.clientQueryLimit.Add(1)
				c.s.log.logf(levelWarning, "Closing client that reached max query buffer length: id=%d addr=%s (qbuf initial bytes: %s)",
					c.id, c.nc.RemoteAddr(), redactedInput(c.rd.Peek(64)))
			}
			return
		}
		if c.processInput() {
			return
		}
		if c.shutdown.Load() {
			return
		}
	}
}

// wakeHandled is called when a read returns at its deadline outside block:
// it clears the deadline a wake-up set and reports whether the connection
// goes on (false when the server is shutting down or the connection is
// closed, whose deadlines end reads too).
func (c *client) wakeHandled() bool {
	c.nc.SetReadDeadline(time.Time{})
	// Let the goroutines that are ready to run go first, as Redis writes
	// to its clients only once the event loop has run every ready one:
	// the waker readied this goroutine to run next, and a subscriber
	// woken by each PUBLISH of fifty publishers would otherwise write one
	// message at a time. Yielding lets the other publishers add theirs,
	// so that one write carries them all.
	runtime.Gosched()
	return !c.shutdown.Load() && !c.closed.Load()
}

// cleanup releases everything the connection holds.
func (c *client) cleanup() {
	c.disarmLoginDeadline()
	c.endTx()
	c.logPendingOutputLimit()
	c.leave()
	c.closeOutbox()
	c.close()
	// A client gone in the middle of a big argument leaves its buffer to
	// the collector: say so, so that the memory goes back soon (memory.go).
	c.s.noteFreed(c.rd.BufferCap() + cap(c.out) + c.segsLen)
}

// leave takes the client out of everything other clients see: monitors,
// watched keys, subscriptions, tracking, the client list. A client closing
// after its reply (QUIT) leaves before the reply is written, so that a
// client that read it and asks, say, PUBSUB NUMPAT sees it gone, as in Redis,
// which frees such a client before it serves anyone else. The caller holds no
// store transaction. Doing it twice is harmless.
func (c *client) leave() {
	c.stopMonitor()
	c.dropWatches()
	c.s.unsubscribeAll(c)
	c.trackingOff()
	c.s.removeConn(c)
}

// processInput executes every complete command buffered and writes the
// replies. It reports whether the connection must close.
func (c *client) processInput() (stop bool) {
	c.run.mark = 0 // the read before this batch is no command's time
	if c.userKilled.Load() {
		return true // its user was deleted (killUserClients)
	}
	// What others posted before this batch goes before its replies, as
	// it would in Redis (a message to oneself among them).
	if c.ob.pending.Load() {
		c.drainOutbox()
	}
	defer c.endTx()
	defer c.endRun()
	for !c.closeAfterReply {
		args, err := c.rd.ReadCommand(c.argv[:0])
		c.argv = args
		if err != nil {
			if err == resp.ErrIncomplete {
				break
			}
			var pe *resp.ProtocolError
			if errors.As(err, &pe) {
				c.s.log.logf(levelVerbose, "Protocol error (%s) from client: id=%d addr=%s", pe.Error(), c.id, c.nc.RemoteAddr())
				c.endTx()
				c.writeErrorReply("ERR " + pe.Error())
				c.closeAfterReply = true
				break
			}
			return true
		}
		c.execute(args)
		if !c.authenticated && c.overUnauthOutput() {
			return true
		}
		if c.pendingOutput() >= flushThreshold {
			c.endRun()
			c.endTx()
			// The write may wait for the client: meanwhile CLIENT LIST
			// shows the commands still to run.
			c.qbuf.Store(int64(c.rd.Buffered()))
			if !c.flush() {
				return true
			}
			c.run.mark = 0 // nor is the write's
		}
	}
	c.qbuf.Store(int64(c.rd.Buffered()))
	if n := int64(c.rd.BufferCap()); n != c.qbufCap.Load() {
		c.qbufCap.Store(n)
	}
	// The batch's statistics are counted before its replies go out, as
	// Redis counts each call before the client can read its reply: a
	// client that got a reply and asks INFO on another connection sees it.
	c.endRun()
	c.endTx()
	c.drainOutbox()
	if c.userKilled.Load() {
		// This batch deleted the user's own user: its replies go out,
		// then the connection closes.
		c.closeAfterReply = true
	}
	if c.closeAfterReply {
		c.leave()
	}
	if c.pendingOutput() > 0 && !c.flush() {
		return true
	}
	// Drop the batch's arguments: a big one is a buffer of its own (see
	// resp.Reader), which must not stay alive while the client is idle.
	if cap(c.argv) > 1024 {
		c.argv = nil
	} else {
		clear(c.argv[:cap(c.argv)])
	}
	c.rd.Release()
	return c.closeAfterReply
}

// beginTx makes sure the batch holds a store transaction for cmd, opening
// one from what the table declares about it.
func (c *client) beginTx(cmd *command) {
	if c.tx != nil && cmd.allDBs && !c.txAll {
		// The transaction declared one database and this command uses
		// several: declare it truthfully, for a finer lock to come.
		c.endTx()
	}
	if c.tx != nil {
		if c.held++; c.held < maxLockHold {
			c.tx.SetNoTouch(c.noTouch.Load())
			return
		}
		// Let other clients in between long runs.
		c.endTx()
	}
	c.endRun() // time waiting for the lock is no command's
	c.run.mark = 0
	c.tx = c.s.store.Begin(store.TxOptions{DB: c.db.ID(), AllDBs: cmd.allDBs, NoTouch: c.noTouch.Load(), Owner: c})
	c.txAll = cmd.allDBs
	c.held = 0
}

// frame returns the allocation of a big argument of the running command,
// which the store may take over instead of copying the argument (see
// resp.Reader.Frame), or nil. A handler passes it only for an argument it
// stores whole and does not use after the store call.
func (c *client) frame(arg []byte) []byte {
	if len(arg) < resp.BigArg {
		return nil
	}
	f, _ := c.rd.Frame(arg)
	return f
}

// endTx ends the batch's store transaction, if one is open.
func (c *client) endTx() {
	if c.tx != nil {
		c.tx.End()
		c.tx = nil
	}
}

// execute looks up and runs one command, as Redis's processCommand.
func (c *client) execute(args [][]byte) {
	if g := c.s.users.gen.Load(); g != c.userGen && !c.resolveUser(g) {
		return // the user is gone: the connection closes (users.go)
	}
	cmd := c.lastLookup
	if cmd == nil || !equalLower(args[0], c.lastName) {
		cmd = c.s.cmds.lookup(args, &c.nameBuf)
		if cmd != nil && cmd.parent == nil && cmd.subs == nil {
			c.lastLookup, c.lastName = cmd, c.s.cmds.names[cmd.id]
		}
	}
	switch {
	case cmd == nil:
		c.flagTransaction()
		c.rejectUnknown(args)
	case !cmd.arityOK(len(args)):
		c.s.cmdStats[cmd.id].rejected.Add(1)
		c.flagTransaction()
		if cmd.fullName == "exec" {
			c.abortExec(strings.TrimPrefix(fmt.Sprintf(msgWrongArgs, cmd.fullName), "ERR "))
		} else {
			c.writeWrongArgs(cmd)
		}
	case cmd.protectedBy != unprotected && !c.allowed(cmd):
		c.flagTransaction()
		c.refuseProtected(cmd)
	case !c.authenticated && cmd.Flags&flagNoAuth == 0 && c.s.authRequired():
		c.reject(cmd, msgNoAuth)
	case c.multi != nil && cmd.Flags&flagNoMulti != 0:
		c.s.cmdStats[cmd.id].rejected.Add(1)
		c.flagTransaction()
		c.writeErrorReply(msgNotInMulti)
	case !c.unrestricted && c.aclRefused(cmd, args): // aclcheck.go
	case c.subs.Load() != 0 && c.refuseSubscribed(cmd):
	case c.s.paused() && c.waitPause(cmd, args): // CLIENT PAUSE (pause.go)
		// Held, then run or dropped.
	case c.multi != nil && queuesInMulti(cmd):
		c.queueMulti(cmd, args)
	default:
		c.call(cmd, args)
	}
	c.cachingDone(cmd) // tracking.go: CLIENT CACHING holds for one command
	// CLIENT REPLY SKIP drops the next command's replies.
	c.replySkip, c.skipNext = c.skipNext, false
	c.mute = c.replyOff || c.replySkip
}

// call runs cmd in the store transaction it needs and records its
// statistics. The command's changes go to their consumers when it returns,
// still in the transaction (Tx.Commit), so the next command sees their
// effects: woken clients, touched WATCHes, and a new "now".
func (c *client) call(cmd *command, args [][]byte) {
	switch {
	case c.inExec:
		// EXEC's commands run in EXEC's transaction, as one step.
	case cmd.lockDB:
		c.beginTx(cmd)
	default:
		c.endTx()
	}
	if c.run.cmd != cmd {
		// Another command: what the previous ones did becomes visible
		// (INFO commandstats), and CLIENT LIST shows this one.
		c.endRun()
		c.run.cmd = cmd
		if c.run.mark != 0 {
			c.run.start = c.run.mark
		} else {
			c.run.start = time.Since(c.created)
		}
		c.run.callStart = c.run.start
		if c.run.shown != cmd {
			c.run.shown = cmd
			c.lastCmd.Store(cmd)
		}
	}
	errs := c.errors
	c.markReply() // notify.go: where a subscriber's own events go
	cmd.Run(c, args)
	if c.tx != nil && !c.inExec {
		c.tx.Commit()
	}
	c.execEvents() // notify.go: EXEC's commands' events for a subscriber of its own
	c.trackCall(cmd, args)
	c.run.calls++
	if c.errors != errs {
		c.run.failed++
	}
	if cmd.Flags&flagFast == 0 {
		// Each call of a slow command has its own latency, as SLOWLOG and
		// LATENCY need: one clock read per call.
		now := time.Since(c.created)
		c.run.callTime = now - c.run.callStart
		c.s.cmdStats[cmd.id].recordLatency(c.run.callTime, 1)
		c.run.callStart = now
	}
	c.afterCall(cmd, args) // MONITOR, SLOWLOG, LATENCY (introspect.go)
}

// endRun ends the current run of calls and adds its statistics to the
// server's counters: the calls, their total time, and for the latency
// histogram each call at the run's average (a slow command's run is one
// call, so its average is its own time).
func (c *client) endRun() {
	r := &c.run
	if r.cmd == nil {
		return
	}
	if r.calls == 0 {
		r.cmd = nil
		return
	}
	st := &c.s.cmdStats[r.cmd.id]
	var end time.Duration
	if r.cmd.Flags&flagFast == 0 {
		// Each call's latency is recorded already; the run ends where
		// its last call did.
		end = r.callStart
	} else {
		end = time.Since(c.created)
		st.recordLatency((end-r.start)/time.Duration(r.calls), r.calls)
	}
	r.mark = end
	st.calls.Add(r.calls)
	st.nanos.Add(int64(end - r.start))
	if r.failed > 0 {
		st.failed.Add(r.failed)
	}
	r.cmd, r.calls, r.failed = nil, 0, 0
}

// syncStats makes the statistics of the calls before the one running now
// visible, for commands that read or reset them (INFO, CONFIG RESETSTAT):
// the calls of a run before this one are counted, as Redis counts each call
// when it returns, and the run starts again at this call.
func (c *client) syncStats() {
	cmd := c.run.cmd
	c.endRun()
	if cmd != nil {
		c.run.cmd = cmd
		c.run.start = time.Since(c.created)
	}
}

// rejectUnknown replies to a command this server does not have, with Redis's
// wording, or drops the connection on a cross-protocol attack.
func (c *client) rejectUnknown(args [][]byte) {
	if equalLower(args[0], "post") || equalLower(args[0], "host:") {
		c.s.log.logf(levelWarning, "Possible SECURITY ATTACK detected. It looks like somebody is sending POST or Host: commands to Redis. This is likely due to an attacker attempting to use Cross Protocol Scripting to compromise your Redis instance. Connection aborted.")
		// Close now, so that not even the replies to earlier commands of
		// this batch are written: Redis frees such a client
		// asynchronously and never writes to a client about to close.
		c.close()
		c.closeAfterReply = true
		return
	}
	if len(args) >= 2 && c.s.cmds.isContainer(args[0]) {
		c.writeErrorReply(fmt.Sprintf(msgUnknownSubcommand, cTrunc(args[1], 128), strings.ToUpper(cString(args[0]))))
		return
	}
	var b strings.Builder
	for i := 1; i < len(args) && b.Len() < 128; i++ {
		fmt.Fprintf(&b, "'%s' ", cTrunc(args[i], 128-b.Len()))
	}
	c.writeErrorReply(fmt.Sprintf(msgUnknownCommand, cTrunc(args[0], 128), b.String()))
}

// cString returns b up to its first NUL byte, as C's string functions see it.
func cString[T ~string | ~[]byte](b T) string {
	for i := 0; i < len(b); i++ {
		if b[i] == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

// cTrunc is C's "%.*s": b up to its first NUL, at most n bytes.
func cTrunc(b []byte, n int) string {
	s := cString(b)
	if len(s) > n {
		s = s[:n]
	}
	return s
}
