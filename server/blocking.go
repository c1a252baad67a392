package server

import (
	"math"
	"math/big"
	"time"

	"github.com/redoubt-db/redoubt/internal/num"
	"github.com/redoubt-db/redoubt/store"
)

// Blocking commands: the machinery behind BLPOP, BRPOP, BLMOVE, BRPOPLPUSH,
// BLMPOP, BZPOPMIN, BZPOPMAX, BZMPOP (cmd_blocking.go), WAIT and CLIENT
// UNBLOCK, as Redis 7.0's blocked.c does it.
//
// A command that finds nothing to pop registers a waiter on each of its keys,
// in its database, at the tail of the key's queue, and parks its connection
// (client.block): no goroutine polls, no timer but the connection's read
// deadline runs, so idle waiters cost nothing. Everything here is guarded by
// the store's lock: waiters are added by the command inside its transaction,
// found and served by whoever commits a change, and removed under the lock by
// their own goroutine when the block ends any other way, so a timeout racing
// a serve resolves one way only.
//
// Wake-ups come from the change log (Server.consumeChanges): a write, a
// rename, move or copy onto a waited key, or a swap of databases with
// waiters, marks the key ready. At the end of the same step, before the lock
// is released, serveBlocked serves every ready key: its waiters in the order
// they blocked, each pop and the reply it makes happening together (the
// reply goes to the waiter's outbox, and the waiter is woken and removed from
// all its keys). What the serve changes is itself consumed next (store.Tx
// Commit hands it back), so a BLMOVE that pushes to a key with waiters feeds
// them too, round after round until nothing is ready. Since a step is one
// command, one EXEC or one script, a key is served after the command that
// made it ready and before any other command can touch it, as Redis's
// handleClientsBlockedOnKeys runs after each call. Changes made by embedders
// (Server.DB, Store().Update) commit the same way and are served the same
// way.
//
// A waiter whose key holds a type it cannot pop (a BLPOP waiter on a sorted
// set) is skipped and stays blocked, as in Redis 7.0.

// waitKind is what a waiter does with a key that became ready.
type waitKind uint8

const (
	waitListPop  waitKind = iota // BLPOP, BRPOP, BLMPOP
	waitListMove                 // BLMOVE, BRPOPLPUSH
	waitZSetPop                  // BZPOPMIN, BZPOPMAX, BZMPOP
	waitReplicas                 // WAIT: no keys; only a timeout or CLIENT UNBLOCK ends it
)

// waitState is how a block ended; waitWaiting while it has not.
type waitState uint8

const (
	waitWaiting  waitState = iota
	waitServed             // a key was served to it: the reply is in its outbox
	waitTimedOut           // CLIENT UNBLOCK … TIMEOUT
	waitErrored            // CLIENT UNBLOCK … ERROR
)

// waiter is a client parked in a blocking command. Its fields are set
// before it is registered and read by whoever serves it, both under the
// store's lock; state changes only under that lock.
type waiter struct {
	c     *client
	kind  waitKind
	db    int
	proto int // the client's protocol, to build the reply it gets
	// mute is the client's c.mute for the command that blocked (CLIENT
	// REPLY OFF or SKIP): a serve then builds and posts no reply.
	mute  bool
	nodes []waitNode

	// What a serve does: pop from the head (left) or the tail, or the
	// lowest (min) or highest members; count is the number to pop for
	// BLMPOP and BZMPOP, 0 for the single-element forms, whose replies
	// differ. A move pushes to dst, at its head when dstLeft.
	left    bool
	count   int
	dst     []byte
	dstLeft bool

	state waitState
	// failed says that the serve replied an error (BLMOVE onto a key of
	// another type): the command counts as failed.
	failed bool
}

// waitNode is a waiter's place in the queue of one of its keys.
type waitNode struct {
	w          *waiter
	q          *waitQueue
	prev, next *waitNode
}

// waitQueue holds the waiters of one key of one database, oldest first.
type waitQueue struct {
	db         int
	key        string
	head, tail *waitNode
	ready      bool    // in blockRegistry.ready
	adding     *waiter // the waiter being added, to skip a key it repeats
}

// blockRegistry is the server's record of blocked clients. The store's lock
// guards it.
type blockRegistry struct {
	// keyed counts the waiters registered on keys: when it is 0, a commit
	// has nothing to wake, which consumeChanges checks first.
	keyed int
	// queues are the waiters of each key, by database then key.
	queues map[int]map[string]*waitQueue
	// ready are the queues whose keys changed in the step being
	// committed, in the order they changed, each once.
	ready []*waitQueue
	// byClient finds a blocked client's waiter for CLIENT UNBLOCK.
	byClient map[int64]*waiter
	// When a serve has popped, the changes it recorded come back to
	// consumeChanges next; they count in the dirty counter what Redis
	// counts for the served commands (served, not what the records say).
	owed   bool
	served int64
	// scratch builds the replies of served waiters (replyBuilder).
	scratch *client
}

// add registers w, waiting on keys (which may repeat: each distinct key
// counts once), and makes the keys' copies w holds.
func (r *blockRegistry) add(w *waiter, keys [][]byte) {
	if r.byClient == nil {
		r.byClient = map[int64]*waiter{}
		r.queues = map[int]map[string]*waitQueue{}
	}
	r.byClient[w.c.id] = w
	if len(keys) == 0 {
		return
	}
	qs := r.queues[w.db]
	if qs == nil {
		qs = map[string]*waitQueue{}
		r.queues[w.db] = qs
	}
	w.nodes = make([]waitNode, 0, len(keys))
	for _, k := range keys {
		q := qs[string(k)]
		if q == nil {
			q = &waitQueue{db: w.db, key: string(k)}
			qs[q.key] = q
		} else if q.adding == w {
			continue // the same key again
		}
		q.adding = w
		w.nodes = append(w.nodes, waitNode{w: w, q: q})
	}
	// Link the nodes only now: appending may have moved them.
	for i := range w.nodes {
		n := &w.nodes[i]
		q := n.q
		q.adding = nil
		n.prev = q.tail
		if q.tail != nil {
			q.tail.next = n
		} else {
			q.head = n
		}
		q.tail = n
	}
	r.keyed++
}

// remove unregisters w from every key it waits on.
func (r *blockRegistry) remove(w *waiter) {
	delete(r.byClient, w.c.id)
	if len(w.nodes) == 0 {
		return
	}
	for i := range w.nodes {
		n := &w.nodes[i]
		q := n.q
		if n.prev != nil {
			n.prev.next = n.next
		} else {
			q.head = n.next
		}
		if n.next != nil {
			n.next.prev = n.prev
		} else {
			q.tail = n.prev
		}
		if q.head == nil {
			// A ready queue still in the ready list is skipped there.
			qs := r.queues[q.db]
			delete(qs, q.key)
			if len(qs) == 0 {
				delete(r.queues, q.db)
			}
		}
	}
	w.nodes = nil
	r.keyed--
}

// markReady queues the waiters of key in database db for serving, if it has
// any.
func (r *blockRegistry) markReady(db int, key []byte) {
	q := r.queues[db][string(key)]
	if q != nil && !q.ready {
		q.ready = true
		r.ready = append(r.ready, q)
	}
}

// markAllReady queues every waited key of database db, as Redis does for
// both databases of a SWAPDB.
func (r *blockRegistry) markAllReady(db int) {
	for _, q := range r.queues[db] {
		if !q.ready {
			q.ready = true
			r.ready = append(r.ready, q)
		}
	}
}

// servedDirty returns what the step's changes add to the dirty counter:
// dirty, as the records count it, except for the changes a serve made,
// which count what Redis 7.0 counts for a served command (nothing for a
// BLPOP or BLMOVE, the elements for BLMPOP and the sorted set pops).
// consumeChanges calls it under the store's lock.
func (s *Server) servedDirty(dirty int64) int64 {
	r := &s.blk
	if !r.owed {
		return dirty
	}
	r.owed = false
	return r.served
}

// wakeBlocked is consumeChanges's part for blocked clients: it marks the
// waited keys that changes made ready and serves them. It is cheap when no
// client waits on a key.
func (s *Server) wakeBlocked(tx *store.Tx, changes []store.Change) {
	r := &s.blk
	if r.keyed == 0 {
		return
	}
	for i := range changes {
		ch := &changes[i]
		switch ch.Op {
		case store.OpWrite, store.OpRenameTo, store.OpMoveTo, store.OpCopyTo:
			r.markReady(ch.DB, ch.Key)
		case store.OpSwap:
			r.markAllReady(ch.DB)
			r.markAllReady(ch.Other)
		}
	}
	s.serveBlocked(tx)
}

// serveBlocked serves the keys made ready so far, in the order they became
// ready, each to its waiters in the order they blocked, inside tx. It runs
// where a step's changes are consumed, so that every command, EXEC, script
// or embedder's transaction that makes a key ready gets it served before the
// lock is released: callers that run several commands as one step commit
// once after all of them, and the keys are served then. What the serve
// changes is consumed next, and may make more keys ready (a BLMOVE's push),
// which are served in the next round.
func (s *Server) serveBlocked(tx *store.Tx) {
	r := &s.blk
	if len(r.ready) == 0 {
		return
	}
	ready := r.ready
	r.ready = nil
	var dirty int64
	popped := false
	for i, q := range ready {
		ready[i] = nil
		q.ready = false
		if q.head == nil {
			continue // every waiter left since the key became ready
		}
		d, p := s.serveKey(tx.DB(q.db), q)
		dirty += d
		popped = popped || p
	}
	if popped {
		r.owed, r.served = true, dirty
	}
}

// serveKey serves the waiters of q that can use what the key holds now, in
// order, until it holds nothing more. It returns what the serves add to the
// dirty counter and whether any popped (and so recorded changes).
func (s *Server) serveKey(db *store.DB, q *waitQueue) (dirty int64, popped bool) {
	key := []byte(q.key)
	typ := db.TypeForWrite(key)
	if typ != store.TypeList && typ != store.TypeZSet {
		return 0, false
	}
	for n := q.head; n != nil; {
		w := n.w
		n = n.next // serving w removes its node, not the next one
		switch {
		case w.c.closed.Load():
			// Killed: its goroutine is about to remove it. Serving it
			// would lose what it pops.
			continue
		case typ == store.TypeList && (w.kind == waitListPop || w.kind == waitListMove),
			typ == store.TypeZSet && w.kind == waitZSetPop:
		default:
			continue // waits for another type
		}
		d, ok := s.serveWaiter(db, key, w)
		if !ok {
			return dirty, popped
		}
		dirty += d
		popped = popped || !w.failed
		if db.TypeForWrite(key) != typ {
			break // emptied, so deleted
		}
	}
	return dirty, popped
}

// serveWaiter pops for w from key, which holds the type w waits for, posts
// w's reply and releases it. It returns what the serve adds to the dirty
// counter, and false if there was nothing to pop after all.
func (s *Server) serveWaiter(db *store.DB, key []byte, w *waiter) (dirty int64, ok bool) {
	rb := replyBuilder(s, w.proto)
	rb.mute = w.mute
	switch w.kind {
	case waitListPop:
		// The elements go straight from the list into the reply.
		n := 0
		popped, err := db.ListPopEach(key, w.left, max(w.count, 1), func(k int) {
			n = k
			rb.WriteArray(2)
			rb.WriteBulk(key)
			if w.count > 0 {
				rb.WriteArray(k)
			}
		}, rb.WriteBulk)
		if err != nil || !popped || n == 0 {
			return 0, false
		}
		if w.count > 0 {
			dirty = int64(n)
		}
	case waitListMove:
		val, moved, err := db.ListMove(key, w.dst, w.left, w.dstLeft)
		switch {
		case err == store.ErrWrongType:
			// The destination holds another type: Redis replies the
			// error and releases the waiter, popping nothing.
			w.failed = true
			s.countError(msgWrongType)
			rb.out = appendError(rb.out, msgWrongType)
		case err != nil || !moved:
			return 0, false
		default:
			rb.WriteBulk(val)
		}
	case waitZSetPop:
		members, err := db.ZPop(key, !w.left, max(w.count, 1))
		if err != nil || len(members) == 0 {
			return 0, false
		}
		dirty = int64(len(members))
		if w.count == 0 {
			rb.WriteArray(3)
			rb.WriteBulk(key)
			rb.WriteBulk(members[0].Member)
			rb.WriteDouble(members[0].Score)
		} else {
			rb.WriteArray(2)
			rb.WriteBulk(key)
			rb.WriteArray(len(members))
			for _, m := range members {
				rb.WriteArray(2)
				rb.WriteBulk(m.Member)
				rb.WriteDouble(m.Score)
			}
		}
	default:
		return 0, false
	}
	s.blk.remove(w)
	w.state = waitServed
	w.c.post(rb.built())
	w.c.unblock()
	return dirty, true
}

// replyBuilder returns the registry's scratch client, on which the usual
// reply writers build a reply for another client, in that client's
// protocol, to post to its outbox (post copies it). It is never served and
// owns no connection; the store's lock guards it, like the registry.
func replyBuilder(s *Server, proto int) *client {
	rb := s.blk.scratch
	if rb == nil || cap(rb.out) > replyChunk {
		rb = &client{s: s}
		s.blk.scratch = rb
	}
	rb.proto = proto
	rb.out, rb.outHead = rb.out[:0], 0
	rb.segs, rb.segsLen, rb.chunked = nil, 0, 0
	return rb
}

// built returns the reply written on a scratch client as one buffer.
func (c *client) built() []byte {
	if len(c.segs) == 0 {
		return c.out[c.outHead:]
	}
	b := make([]byte, 0, c.segsLen+len(c.out)-c.outHead)
	for _, seg := range c.segs {
		b = append(b, seg...)
	}
	return append(b, c.out[c.outHead:]...)
}

// appendError appends an error reply whose text is msg (which has no CR or
// LF), without counting it: for replies built for another client.
func appendError(b []byte, msg string) []byte {
	b = append(b, '-')
	b = append(b, msg...)
	return append(b, '\r', '\n')
}

// unblockClient releases the client with the given id from the blocking
// command it is parked in, as CLIENT UNBLOCK does: the command replies as if
// it had timed out, or, with withError, fails with an UNBLOCKED error. It
// reports whether such a client was blocked. The caller holds the store's
// lock.
func (s *Server) unblockClient(id int64, withError bool) bool {
	r := &s.blk
	w := r.byClient[id]
	if w == nil || w.state != waitWaiting {
		return false
	}
	r.remove(w)
	w.state = waitTimedOut
	if withError {
		w.state = waitErrored
	}
	w.c.unblock()
	return true
}

// parkResult is how a block ended, for the command to reply.
type parkResult uint8

const (
	parkServed   parkResult = iota // served: the reply is written
	parkTimedOut                   // the timeout passed, or CLIENT UNBLOCK … TIMEOUT
	parkErrored                    // CLIENT UNBLOCK … ERROR
	parkGone                       // the client went away: reply nothing
	parkStopping                   // the server is shutting down
)

// park registers w as waiting on keys in the selected database (none for
// WAIT) and blocks the running command until a serve, its timeout d (0 for
// none), CLIENT UNBLOCK, the client's disconnection or the server's
// shutdown ends the block. The command runs in a transaction (c.tx), which
// the block ends; park opens another before it returns, so the command
// finishes under the lock, as any command does. When w was served, its
// reply is in c's output already; otherwise the command writes the reply
// the result calls for (replyUnserved), and w is registered nowhere. The
// caller must hold the transaction (c.tx) w is registered in.
func (c *client) park(w *waiter, keys [][]byte, d time.Duration) parkResult {
	s := c.s
	w.c, w.db, w.proto, w.mute = c, c.db.ID(), c.proto, c.mute
	s.blk.add(w, keys)
	c.feedBeforeBlock() // MONITOR shows it now, as Redis (monitor.go)

	parked := time.Since(c.created)
	alive := c.block(d)
	// The time blocked is not the command's: Redis counts a blocked
	// command's duration without it.
	blocked := time.Since(c.created) - parked
	c.run.start += blocked
	c.run.callStart += blocked

	c.tx = s.store.Begin(store.TxOptions{DB: c.db.ID(), NoTouch: c.noTouch.Load()})
	c.txAll, c.held = false, 0
	if w.state == waitWaiting {
		s.blk.remove(w)
	} else {
		// Released, possibly after block returned at its timeout: the
		// wake-up (and a serve's reply) may have come since. Take them
		// now, so that the next block waits and the reply stays in
		// order.
		c.nc.SetReadDeadline(time.Time{})
		c.ob.unblocked.Store(false)
		c.drainOutbox()
	}
	if w.state == waitServed {
		if w.failed {
			c.errors++
		}
		return parkServed
	}
	if !alive {
		return parkGone
	}
	if c.shutdown.Load() {
		return parkStopping
	}
	switch w.state {
	case waitTimedOut:
		// Redis counts a command that CLIENT UNBLOCK timed out as failed.
		c.errors++
		return parkTimedOut
	case waitErrored:
		return parkErrored
	}
	return parkTimedOut
}

// replyUnserved writes the reply of a blocking command on keys whose block
// ended unserved: the null array Redis replies on a timeout (*-1 in RESP2,
// even for BLMOVE), or CLIENT UNBLOCK's error. A client blocked when the
// server shuts down gets nothing, as Redis's exit sends it nothing.
func (c *client) replyUnserved(res parkResult) {
	switch res {
	case parkTimedOut:
		c.WriteNullArray()
	case parkErrored:
		c.writeErrorReply(msgUnblocked)
	}
}

// argBlockTimeout parses the timeout of a blocking command in seconds, as
// Redis 7.0's getTimeoutFromObjectOrReply with UNIT_SECONDS: a long double
// (decimal or hexadecimal, "inf"), multiplied by 1000 and rounded up to
// whole milliseconds in long double arithmetic, then converted to a 64-bit
// integer as x86-64 does (anything out of range becomes the most negative
// integer). A negative result is an error; so infinities and values past
// 2^63 milliseconds are "negative", while -0.0001 rounds up to 0 and waits
// forever. It returns the timeout, 0 for none: a deadline beyond what
// Redis's millisecond clock can add to is none in Redis too.
func (c *client) argBlockTimeout(b []byte) (time.Duration, bool) {
	x, ok := num.ParseLongDouble(b)
	if !ok {
		c.writeErrorReply(msgBlockTimeoutNotFloat)
		return 0, false
	}
	ms := ceilMillis(x)
	if ms < 0 {
		c.writeErrorReply(msgTimeoutNegative)
		return 0, false
	}
	now := time.Now().UnixMilli()
	if ms > math.MaxInt64/int64(time.Millisecond) || ms > math.MaxInt64-now {
		return 0, true
	}
	return time.Duration(ms) * time.Millisecond, true
}

// ceilMillis is (long long) ceill(x * 1000.0) on x86-64: the product and
// the rounding in 64-bit precision, and math.MinInt64 for anything that
// does not fit (x87's "integer indefinite").
func ceilMillis(x num.LongDouble) int64 {
	f := x.Big()
	if f.IsInf() {
		return math.MinInt64
	}
	f.Mul(f, big.NewFloat(1000))
	i, acc := f.Int(nil) // truncated toward zero
	if acc == big.Below {
		i.Add(i, big.NewInt(1)) // f was above i: round up
	}
	if !i.IsInt64() {
		return math.MinInt64
	}
	return i.Int64()
}

// Reply texts of blocking.
const (
	msgBlockTimeoutNotFloat = "ERR timeout is not a float or out of range"
	msgUnblocked            = "UNBLOCKED client unblocked via CLIENT UNBLOCK"
	msgUnblockReason        = "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"
)
