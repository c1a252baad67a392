package store

// Transactions. Every read and write of the keyspace happens inside a Tx:
// the server's dispatcher opens one for a command (or for a pipelined batch
// of commands, an EXEC, a script), the active expiry cycle opens one for each
// sample, and embedders open one through Store.Begin or Store.Update.
//
// A transaction holds the store's lock from Begin to End. It fixes one "now"
// for each step (a command, or a whole EXEC), as Redis fixes one per command
// call, so that a key cannot be alive for one lookup and expired for the next
// within a step. Every change the step makes to a key is recorded in the
// transaction's change buffer (see Change), and Commit hands the records to
// the store's OnCommit consumer, still under the lock, before the next step
// starts.

// TxOptions configure a transaction.
type TxOptions struct {
	// NoTouch makes lookups leave access times alone (CLIENT NO-TOUCH).
	NoTouch bool
	// DB is the database the transaction will use, unless AllDBs says it
	// may use any (MOVE, COPY … DB, SWAPDB, FLUSHALL, INFO keyspace, a
	// batch that SELECTs). With one store-wide lock both are advisory; they
	// are the declaration that a later, finer-grained lock will honour, so
	// callers state them truthfully now.
	DB     int
	AllDBs bool
	// Owner is who runs the transaction, for the consumer of its changes:
	// the server's client whose command made them, so that a message the
	// consumer sends that client goes before the command's reply. Nil for
	// the expiry cycle and embedders.
	Owner any
}

// Tx is an open transaction. It is not safe for concurrent use: one
// goroutine owns it from Begin to End. At most one Tx is open per store at a
// time.
type Tx struct {
	st      *Store
	now     int64 // the step's time in Unix ms, once nowSet
	nowSet  bool
	noTouch bool
	owner   any
	changes []Change
	// events are the keyspace events of the step (event.go), in order;
	// the consumer's call sees events[evFrom:evTo].
	events       []Event
	evFrom, evTo int
	// calls counts the consumer's calls in the current Commit (FollowUp).
	calls int
	// arena holds copies of event keys that must outlive their caller's
	// memory (keepKey); its last chunk is reused by the next step.
	arena []byte
	// dropped are the values the step let go of that the freer must see
	// (memory.go), queued at Commit after the consumer ran.
	dropped []freeJob
}

// Begin opens a transaction, waiting for the store's lock. The caller must
// call End. Transactions do not nest: code that runs inside an open one
// (EXEC's commands, a script's, a consumer) uses that one, since a second
// Begin on the same goroutine would wait for itself.
func (s *Store) Begin(opt TxOptions) *Tx {
	s.mu.Lock()
	return s.open(opt)
}

// TryBegin is Begin that does not wait: it returns nil when the lock is
// held by another transaction.
func (s *Store) TryBegin(opt TxOptions) *Tx {
	if !s.mu.TryLock() {
		return nil
	}
	return s.open(opt)
}

// open starts the transaction whose lock the caller just took.
func (s *Store) open(opt TxOptions) *Tx {
	tx := &s.txBuf
	tx.noTouch = opt.NoTouch
	tx.owner = opt.Owner
	tx.nowSet = false
	s.tx = tx
	return tx
}

// End commits the last step and releases the lock. The Tx must not be used
// afterwards.
func (tx *Tx) End() {
	tx.Commit()
	if fn := tx.st.onEnd; fn != nil {
		fn(tx)
	}
	tx.st.tx = nil
	tx.st.mu.Unlock()
}

// Update runs fn in a transaction of its own with the default options and
// commits it, as embedders' one-off calls do.
func (s *Store) Update(fn func(tx *Tx)) {
	tx := s.Begin(TxOptions{AllDBs: true})
	defer tx.End()
	fn(tx)
}

// Commit ends a step: the changes recorded since the last Commit go to the
// store's OnCommit consumer, and the next step reads a new "now". EXEC-like
// callers that run several commands as one step do not commit between them.
//
// The consumer may itself change keys through tx (the server serves blocked
// clients there, popping what a push made ready): what it records is handed
// to it in turn, as part of the same step, until a call records nothing.
func (tx *Tx) Commit() {
	tx.nowSet = false
	if len(tx.changes) == 0 && len(tx.events) == 0 {
		tx.queueDropped()
		return
	}
	if fn := tx.st.onCommit; fn != nil {
		// A step may fire events without changing anything (a key miss),
		// so the consumer is called while either is new.
		for done := 0; done < len(tx.changes) || tx.evTo < len(tx.events); {
			batch := tx.changes[done:]
			done = len(tx.changes)
			tx.evFrom, tx.evTo = tx.evTo, len(tx.events)
			tx.calls++
			fn(tx, batch)
		}
	}
	tx.queueDropped()
	clear(tx.changes) // drop references to keys and flushed keyspaces
	if cap(tx.changes) > 1024 {
		tx.changes = nil
	} else {
		tx.changes = tx.changes[:0]
	}
	if len(tx.events) > 0 {
		clear(tx.events)
		if cap(tx.events) > 1024 {
			tx.events = nil
		} else {
			tx.events = tx.events[:0]
		}
		if cap(tx.arena) > arenaChunk {
			tx.arena = nil // a chunk made for one long key
		} else {
			tx.arena = tx.arena[:0]
		}
	}
	tx.evFrom, tx.evTo, tx.calls = 0, 0, 0
}

// FollowUp reports whether the consumer's current call is not the step's
// first: it sees what the consumer itself changed in an earlier call (the
// pops of blocked clients it served), not what the step's command did.
func (tx *Tx) FollowUp() bool { return tx.calls > 1 }

// Now returns the step's time in Unix milliseconds, reading the clock on
// first use in each step.
func (tx *Tx) Now() int64 {
	if !tx.nowSet {
		tx.now = tx.st.clock.Now().UnixMilli()
		tx.nowSet = true
	}
	return tx.now
}

// SetNoTouch sets whether lookups of the following steps leave access times
// alone. A batch of pipelined commands shares one transaction; the
// dispatcher sets it per command.
func (tx *Tx) SetNoTouch(v bool) { tx.noTouch = v }

// Uncommitted returns how many changes the step has recorded so far: a
// consumer that must put something in order with them (a read inside an
// EXEC, between two writes) notes this count and meets it at Commit.
func (tx *Tx) Uncommitted() int { return len(tx.changes) }

// Owner returns TxOptions.Owner.
func (tx *Tx) Owner() any { return tx.owner }

// Store returns the transaction's store.
func (tx *Tx) Store() *Store { return tx.st }

// DB returns database i, or nil if i is out of range.
func (tx *Tx) DB(i int) *DB { return tx.st.DB(i) }

func (tx *Tx) record(c Change) { tx.changes = append(tx.changes, c) }

// queueDropped hands the values the step dropped to the freer, once the
// consumer no longer needs them (memory.go).
func (tx *Tx) queueDropped() {
	if len(tx.dropped) == 0 {
		return
	}
	tx.st.queueDropped(tx.dropped)
	clear(tx.dropped)
	if cap(tx.dropped) > 1024 {
		tx.dropped = nil
	} else {
		tx.dropped = tx.dropped[:0]
	}
}
