package server

import (
	"slices"

	"github.com/redoubt-db/redoubt/acl"
	"github.com/redoubt-db/redoubt/store"
)

// MULTI, EXEC, DISCARD, WATCH and UNWATCH.
//
// Between MULTI and EXEC the dispatcher queues every command but the
// transaction's own (execute → c.queueMulti): its arguments are copied, since
// the reader's buffer is reused, and it is answered +QUEUED. A command
// refused at queue time (unknown, wrong arity, not allowed in MULTI…)
// flags the transaction (flagTransaction) and EXEC then discards it with
// EXECABORT.
//
// EXEC runs the queued commands in the store transaction the dispatcher
// opened for EXEC itself, which may use every database, as one step: no
// other client sees a state between two of them, they share one "now", and
// their changes reach the consumers (blocked clients, WATCH, notifications)
// when EXEC's step commits, after the last of them.
//
// WATCH remembers (database, key) pairs in the server's watch table, which
// the store's lock guards like the keyspace. The change consumer
// (watchTable.consume) marks the clients watching a key that a step changed
// as dirty, and EXEC of a dirty client replies with a null array, as
// Redis's touchWatchedKey and touchAllWatchedKeysInDb do.

// multiState is a client's transaction from MULTI to EXEC or DISCARD.
type multiState struct {
	// queued are the commands queued, with copies of their arguments.
	queued []queuedCmd
	// flags ORs the queued commands' flags: EXEC of a transaction with a
	// write is a write (CLIENT PAUSE WRITE holds it, as Redis does).
	flags cmdFlags
	// failed is set by a queue-time error: EXEC replies EXECABORT.
	failed bool
	// argMem is what the queued commands' arguments take, as Redis counts
	// it for CLIENT LIST's multi-mem (multiStateMemOverhead): their bytes
	// and a pointer per argument. slots is the size of Redis's array of
	// queued commands, which starts at two and doubles.
	argMem int64
	slots  int64

	// The queued arguments' bytes are copied into chunks of buf and
	// their headers into argv, which a client reuses from one
	// transaction to the next while they are small (reuse).
	buf  []byte
	argv [][]byte
}

// multiChunk is the size of the chunks of queued arguments' bytes; a larger
// argument gets a chunk of its own.
const multiChunk = 16 << 10

// reuse empties m for the client's next transaction, keeping its buffers
// unless a big one made them big.
func (m *multiState) reuse() *multiState {
	if cap(m.queued) > 1024 || cap(m.argv) > 4096 {
		return nil
	}
	clear(m.queued)
	clear(m.argv)
	*m = multiState{queued: m.queued[:0], argv: m.argv[:0], buf: m.buf[:0]}
	return m
}

// queuedCmd is one command queued by MULTI.
type queuedCmd struct {
	cmd  *command
	args [][]byte
}

// Sizes of Redis's structures that CLIENT LIST's multi-mem counts.
const (
	multiCmdSize   = 24 // multiCmd: argv, argv_len, argc, cmd
	watchedKeySize = 56 // a listNode and a watchedKey, per watched key
)

// multiMem is Redis's multiStateMemOverhead for c, which tot-mem counts:
// the queued arguments (CLIENT LIST's multi-mem), the queue's slots and the
// watched keys. Any goroutine may call it.
func (c *client) multiMem() int64 {
	return c.multiArgMem.Load() + c.multiSlots.Load()*multiCmdSize + c.watchCount.Load()*watchedKeySize
}

func init() {
	registerCommands(
		&command{Name: "multi", Arity: 1, Flags: flagNoScript | flagLoading | flagStale | flagFast | flagAllowBusy,
			Categories: acl.Transaction, Lock: lockNone,
			Group: "transactions", Since: "1.2.0", Complexity: "O(1)",
			Summary: "Starts a transaction: the following commands are queued until EXEC.",
			Run:     cmdMulti},
		&command{Name: "exec", Arity: 1, Flags: flagNoScript | flagLoading | flagStale | flagSkipSlowlog,
			Categories: acl.Transaction, Lock: lockAllDBs,
			Group: "transactions", Since: "1.2.0", Complexity: "Depends on commands in the transaction",
			Summary: "Runs the commands queued since MULTI as one atomic step.",
			Run:     cmdExec},
		&command{Name: "discard", Arity: 1, Flags: flagNoScript | flagLoading | flagStale | flagFast | flagAllowBusy,
			Categories: acl.Transaction, Lock: lockAlways,
			Group: "transactions", Since: "2.0.0", Complexity: "O(N), when N is the number of queued commands",
			Summary: "Drops the commands queued since MULTI.",
			Run:     cmdDiscard},
		&command{Name: "watch", Arity: -2, Flags: flagNoScript | flagLoading | flagStale | flagFast | flagAllowBusy,
			Categories: acl.Transaction,
			Group:      "transactions", Since: "2.2.0", Complexity: "O(1) for every key.",
			Summary:  "Makes the next EXEC fail if any of the keys changes before it.",
			KeySpecs: ksKeysRead,
			Args:     argsKeys,
			Run:      cmdWatch},
		&command{Name: "unwatch", Arity: 1, Flags: flagNoScript | flagLoading | flagStale | flagFast | flagAllowBusy,
			Categories: acl.Transaction, Lock: lockAlways,
			Group: "transactions", Since: "2.2.0", Complexity: "O(1)",
			Summary: "Forgets every key WATCH was given.",
			Run:     cmdUnwatch},
	)
}

const (
	msgMultiNested    = "ERR MULTI calls can not be nested"
	msgExecNoMulti    = "ERR EXEC without MULTI"
	msgDiscardNoMulti = "ERR DISCARD without MULTI"
	msgWatchInMulti   = "ERR WATCH inside MULTI is not allowed"
	msgNotInMulti     = "ERR Command not allowed inside a transaction"
	msgExecAbort      = "EXECABORT Transaction discarded because of previous errors."
	// msgExecAbortBecause prefixes the error that refused EXEC itself.
	msgExecAbortBecause = "EXECABORT Transaction discarded because of: "
)

func cmdMulti(c *client, args [][]byte) {
	if c.multi != nil {
		c.writeErrorReply(msgMultiNested)
		return
	}
	if c.multi = c.spareMulti; c.multi == nil {
		c.multi = &multiState{}
	}
	c.spareMulti = nil
	c.multiCount.Store(0)
	c.WriteOK()
}

// queuesInMulti reports whether cmd is queued when it arrives inside MULTI:
// everything but the transaction's own commands, QUIT and RESET.
func queuesInMulti(cmd *command) bool {
	switch cmd.fullName {
	case "exec", "discard", "multi", "watch", "quit", "reset":
		return false
	}
	return true
}

// queue adds cmd to the transaction and answers +QUEUED. A transaction
// already doomed (a queue-time error, a touched WATCH) keeps nothing more,
// as Redis does not: EXEC will only discard it.
func (c *client) queueMulti(cmd *command, args [][]byte) {
	m := c.multi
	// CLIENT LIST's cmd= shows the command queued last, as Redis shows it.
	if c.run.shown != cmd {
		c.run.shown = cmd
		c.lastCmd.Store(cmd)
	}
	if !m.failed && !c.dirtyCAS.Load() {
		size := 0
		for _, a := range args {
			size += len(a)
		}
		// The arguments go to the end of the current chunk, or to a new
		// one: earlier arguments keep the chunks they are in.
		if cap(m.buf)-len(m.buf) < size {
			m.buf = make([]byte, 0, max(size, multiChunk))
		}
		first := len(m.argv)
		for _, a := range args {
			m.buf = append(m.buf, a...)
			m.argv = append(m.argv, m.buf[len(m.buf)-len(a):len(m.buf):len(m.buf)])
		}
		copied := m.argv[first:len(m.argv):len(m.argv)]
		if int64(len(m.queued)) == m.slots {
			m.slots = max(2, m.slots*2)
		}
		m.queued = append(m.queued, queuedCmd{cmd: cmd, args: copied})
		m.flags |= cmd.Flags
		m.argMem += int64(size + 8*len(args))
		c.multiCount.Store(int32(min(len(m.queued), 1<<31-1)))
		c.multiArgMem.Store(m.argMem)
		c.multiSlots.Store(m.slots)
	}
	c.WriteSimple("QUEUED")
}

// flagTransaction dooms the transaction, if one is open, after a command
// was refused while queueing (Redis's flagTransaction).
func (c *client) flagTransaction() {
	if c.multi != nil {
		c.multi.failed = true
	}
}

// discardMulti ends the transaction and forgets the watched keys. It needs
// the store's lock when keys are watched.
func (c *client) discardMulti() {
	if c.multi != nil {
		c.spareMulti = c.multi.reuse()
	}
	c.multi = nil
	c.multiCount.Store(-1)
	c.multiArgMem.Store(0)
	c.multiSlots.Store(0)
	c.unwatchAll()
	c.dirtyCAS.Store(false)
}

func cmdDiscard(c *client, args [][]byte) {
	if c.multi == nil {
		c.writeErrorReply(msgDiscardNoMulti)
		return
	}
	c.discardMulti()
	c.WriteOK()
}

// abortExec discards the transaction because EXEC itself was refused (wrong
// arity…), with the refusal as the reason. The dispatcher calls it outside
// any command's transaction.
func (c *client) abortExec(reason string) {
	c.leaveMulti()
	c.writeErrorReply(msgExecAbortBecause + reason)
	c.feedMonitors(nil, c.argv) // shown although refused, as Redis's execCommandAbort (monitor.go)
}

// leaveMulti is discardMulti for callers that do not hold the store's lock
// (RESET, a refused EXEC): it ends the batch's transaction, if any, and
// takes the lock itself when keys are watched.
func (c *client) leaveMulti() {
	c.endTx()
	c.dropWatches()
	c.discardMulti()
}

func cmdExec(c *client, args [][]byte) {
	m := c.multi
	if m == nil {
		c.writeErrorReply(msgExecNoMulti)
		return
	}
	if c.watchedKeyExpired() {
		c.dirtyCAS.Store(true)
	}
	switch {
	case m.failed:
		c.discardMulti()
		c.writeErrorReply(msgExecAbort)
		return
	case c.dirtyCAS.Load():
		c.discardMulti()
		c.WriteNullArray()
		return
	}
	c.unwatchAll()
	denied := c.denyBlocking
	c.denyBlocking = true
	c.inExec = true
	// The queued commands are calls of their own for the statistics; EXEC's
	// own call, timed from its start, resumes after them.
	outer, errs := c.run, c.errors
	c.run.cmd = nil
	c.WriteArray(len(m.queued))
	for i := range m.queued {
		q := &m.queued[i]
		if c.execRefused(q.cmd, q.args) { // aclcheck.go
			q.args = nil
			continue
		}
		c.call(q.cmd, q.args)
		// EXEC's commands are no batch: each starts from its own time.
		c.run.mark = 0
		q.args = nil
	}
	c.endRun()
	c.run = outer
	c.lastCmd.Store(outer.shown) // EXEC, as CLIENT LIST shows it after
	c.errors = errs
	c.inExec = false
	c.denyBlocking = denied
	c.discardMulti()
}

// The watch table: for each database, the clients watching each key, in
// the order they started to.
type watchTable struct {
	dbs   []map[string][]*watchedKey // nil until a key of the database is watched
	count int                        // watched (client, key) pairs
}

// watchedKey is a client's WATCH of one key.
type watchedKey struct {
	c   *client
	db  int
	key string
	// expired says the key was past its deadline, though not yet deleted,
	// when WATCH was given: its deletion by expiry is then no change.
	expired bool
}

func cmdWatch(c *client, args [][]byte) {
	if c.multi != nil {
		c.writeErrorReply(msgWatchInMulti)
		return
	}
	if c.dirtyCAS.Load() {
		c.WriteOK()
		return
	}
	t := &c.s.watch
	db := c.db.ID()
	for _, k := range args[1:] {
		if c.watches(db, k) {
			continue
		}
		if t.dbs == nil {
			t.dbs = make([]map[string][]*watchedKey, c.s.store.NumDBs())
		}
		if t.dbs[db] == nil {
			t.dbs[db] = map[string][]*watchedKey{}
		}
		_, expired := c.db.Peek(k)
		wk := &watchedKey{c: c, db: db, key: string(k), expired: expired}
		t.dbs[db][wk.key] = append(t.dbs[db][wk.key], wk)
		t.count++
		c.watching = append(c.watching, wk)
	}
	c.watchCount.Store(int64(len(c.watching)))
	c.WriteOK()
}

// watches reports whether c watches key in database db.
func (c *client) watches(db int, key []byte) bool {
	for _, wk := range c.watching {
		if wk.db == db && wk.key == string(key) {
			return true
		}
	}
	return false
}

func cmdUnwatch(c *client, args [][]byte) {
	c.unwatchAll()
	c.dirtyCAS.Store(false)
	c.WriteOK()
}

// unwatchAll forgets every key c watches. The caller holds the store's lock
// when c watches any.
func (c *client) unwatchAll() {
	if len(c.watching) == 0 {
		return
	}
	t := &c.s.watch
	for _, wk := range c.watching {
		m := t.dbs[wk.db]
		list := m[wk.key]
		if i := slices.Index(list, wk); i >= 0 {
			list = slices.Delete(list, i, i+1)
		}
		if len(list) == 0 {
			delete(m, wk.key)
		} else {
			m[wk.key] = list
		}
		t.count--
	}
	clear(c.watching)
	c.watching = c.watching[:0]
	c.watchCount.Store(0)
}

// dropWatches forgets c's watched keys when it goes away, taking the store's
// lock if it must.
func (c *client) dropWatches() {
	if c.watchCount.Load() == 0 {
		return
	}
	tx := c.s.store.Begin(store.TxOptions{AllDBs: true})
	c.unwatchAll()
	tx.End()
}

// watchedKeyExpired reports whether a key c watches has passed its deadline
// since WATCH (Redis's isWatchedKeyExpired): EXEC then fails.
func (c *client) watchedKeyExpired() bool {
	for _, wk := range c.watching {
		if wk.expired {
			continue
		}
		if _, expired := c.tx.DB(wk.db).Peek([]byte(wk.key)); expired {
			return true
		}
	}
	return false
}

// consume marks the clients watching keys that a step changed, as Redis's
// signalModifiedKey, and those watching keys a flush or swap replaced, as
// its touchAllWatchedKeysInDb.
func (t *watchTable) consume(tx *store.Tx, changes []store.Change) {
	for i := range changes {
		ch := &changes[i]
		if ch.DB >= len(t.dbs) || t.dbs[ch.DB] == nil {
			if ch.Op != store.OpSwap || ch.Other >= len(t.dbs) || t.dbs[ch.Other] == nil {
				continue
			}
		}
		switch ch.Op {
		case store.OpFlush:
			t.touchFlushed(ch)
		case store.OpSwap:
			if ch.DB != ch.Other {
				t.touchSwapped(tx, ch.DB, ch.Other)
				t.touchSwapped(tx, ch.Other, ch.DB)
			}
		default:
			t.touchKey(ch.DB, ch.Key, keyGone(ch.Op))
		}
	}
}

// keyGone reports whether the key of a change of op is no longer there.
func keyGone(op store.Op) bool {
	switch op {
	case store.OpDelete, store.OpExpired, store.OpRenameFrom, store.OpMoveFrom:
		return true
	}
	return false
}

// touchKey marks the clients watching key in db, which was just changed
// (and deleted when gone), as Redis's touchWatchedKey does, quirk included:
// a client that watched the key already expired is not marked when the
// key's deletion is the change (the flag is cleared instead), and when the
// key is still there the marking stops at such a client.
func (t *watchTable) touchKey(db int, key []byte, gone bool) {
	list := t.dbs[db][string(key)]
	if len(list) == 0 {
		return
	}
	for _, wk := range slices.Clone(list) {
		if wk.expired {
			if gone {
				wk.expired = false
				continue
			}
			break
		}
		wk.c.dirtyCAS.Store(true)
		// A dirty client needs its keys no more.
		wk.c.unwatchAll()
	}
}

// touchFlushed marks the clients watching keys that a flush of ch.DB
// deleted; a key that had already expired at WATCH is no change.
func (t *watchTable) touchFlushed(ch *store.Change) {
	for key, list := range t.dbs[ch.DB] {
		if !ch.FlushedHas([]byte(key)) {
			continue
		}
		for _, wk := range list {
			if wk.expired {
				wk.expired = false
				continue
			}
			wk.c.dirtyCAS.Store(true)
		}
	}
}

// touchSwapped marks the clients watching keys of database db after SWAPDB
// exchanged it with other (Redis's touchAllWatchedKeysInDb(db, other), run
// before the swap: here, after it, db's former contents are in other and
// other's in db).
func (t *watchTable) touchSwapped(tx *store.Tx, db, other int) {
	if db >= len(t.dbs) {
		return
	}
	for key, list := range t.dbs[db] {
		k := []byte(key)
		wasHere, _ := tx.DB(other).Peek(k)
		comes, comesExpired := tx.DB(db).Peek(k)
		if !wasHere && !comes {
			continue
		}
		for _, wk := range list {
			switch {
			case wk.expired && !comes:
				wk.expired = false
				continue
			case wk.expired && comesExpired:
				continue
			case !wk.expired && !wasHere && comesExpired:
				wk.expired = true
				continue
			}
			wk.c.dirtyCAS.Store(true)
		}
	}
}
