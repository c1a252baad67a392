package store

// DB is one numbered database: a keyspace and the deadlines of its volatile
// keys. Every field is guarded by the store's lock: see the package doc.
type DB struct {
	id int
	st *Store

	keyspace

	// activeIdx is db's index in Store.active, or -1 when it is not there.
	activeIdx int
}

// keyspace is what a database holds: its keys and their deadlines. SWAPDB
// exchanges keyspaces and FLUSHDB replaces one, whole.
type keyspace struct {
	keys table
	// expires holds the deadline (Unix ms) of every volatile key. Entries
	// carry a flag bit so that reads of persistent keys never look here.
	expires map[*entry]int64
	// expiresPeak is the largest size of expires since it was last rebuilt;
	// Go maps do not shrink, so a map that fell far below its peak is
	// rebuilt by the expiry cycle.
	expiresPeak int
	// avgTTL is the running estimate of the average TTL for INFO keyspace.
	avgTTL int64
	// work holds the entries whose values have background work pending
	// (background.go); nil when none. lastWork is the entry registered
	// last, or nil.
	work     map[*entry]struct{}
	lastWork *entry
}

func newKeyspace() keyspace {
	return keyspace{keys: newTable(), expires: make(map[*entry]int64)}
}

func newDB(s *Store, id int) *DB {
	return &DB{id: id, st: s, keyspace: newKeyspace(), activeIdx: -1}
}

// ID returns the database number.
func (db *DB) ID() int { return db.id }

// Store returns the store db belongs to.
func (db *DB) Store() *Store { return db.st }

// Len returns the number of keys, counting expired keys not yet deleted, as
// DBSIZE does.
func (db *DB) Len() int { return db.keys.len() }

// Volatile returns the number of keys with a deadline.
func (db *DB) Volatile() int { return len(db.expires) }

// AvgTTL returns the estimated average TTL of volatile keys in milliseconds,
// as INFO keyspace reports it.
func (db *DB) AvgTTL() int64 { return db.avgTTL }

// LookupFlags adjust how a lookup counts and touches the key.
type LookupFlags uint8

const (
	// NoTouch leaves the key's access time unchanged (TYPE, TTL, OBJECT …).
	NoTouch LookupFlags = 1 << iota
	// NoStats leaves keyspace_hits and keyspace_misses unchanged.
	NoStats
	// Write marks a lookup made to modify the key: it is never counted.
	Write = NoStats
)

// lookup returns the live entry for key, deleting it first if it expired
// (unless expiry is held: see HoldExpiry).
func (db *DB) lookup(key []byte, flags LookupFlags) *entry {
	e := db.keys.find(key)
	if e != nil && e.volatile() && db.expiredAt(e, db.now()) {
		if !db.st.expiryHeld(db.now()) {
			db.expireEntry(e)
		}
		e = nil
	}
	if flags&NoStats == 0 {
		if e == nil {
			db.st.misses++
		} else {
			db.st.hits++
		}
	}
	if e != nil && flags&NoTouch == 0 && !db.st.tx.noTouch {
		if clk := db.st.lruClock.Load(); e.lru() != clk {
			e.setLRU(clk)
		}
	}
	return e
}

// Peek reports whether key is in the keyspace, even past its deadline, and
// whether its deadline has passed (Redis's dictFind and keyIsExpired), without
// deleting, touching or counting anything. WATCH needs the difference
// between a key that is gone and one that only expired.
func (db *DB) Peek(key []byte) (present, expired bool) {
	e := db.keys.find(key)
	if e == nil {
		return false, false
	}
	return true, e.volatile() && db.expiredAt(e, db.now())
}

// expiredAt reports whether e is past its deadline at now (Unix ms). Callers
// on hot paths check e.volatile() first, so that keys without a deadline
// never read the clock.
func (db *DB) expiredAt(e *entry, now int64) bool {
	when, ok := db.expiry(e)
	return ok && now > when
}

// now returns the open transaction's time in Unix ms.
func (db *DB) now() int64 { return db.st.tx.Now() }

// record appends a change of key in db to the open transaction's log.
func (db *DB) record(op Op, key []byte) {
	db.st.tx.record(Change{Op: op, DB: db.id, Key: key})
}

// recordN appends a write or delete of key that counts n in the dirty
// counter, as Redis counts a command that changes n elements of one key
// (see Change.N). A command records one change per key it changes.
func (db *DB) recordN(op Op, key []byte, n int) {
	db.st.tx.record(Change{Op: op, DB: db.id, Key: key, N: n})
}

// insertEntry adds e, whose key is not in the keyspace, to it. While
// expiry is held, a lookup may have found the key expired and left it in
// place: a command writing the key deletes that entry first (see
// HoldExpiry).
func (db *DB) insertEntry(e *entry) {
	if db.st.expiryHold.Load() != 0 {
		db.expireHidden(e.key())
	}
	db.keys.insert(e)
	db.st.markActive(db)
}

// expireEntry deletes e, whose deadline has passed, counting and recording
// it.
func (db *DB) expireEntry(e *entry) {
	db.deleteEntry(e)
	db.st.expired++
	db.record(OpExpired, e.key())
	db.drop(e, db.st.lazy(lazyExpireBit))
}

// deleteEntry removes e from the keyspace and the expires index.
func (db *DB) deleteEntry(e *entry) {
	db.keys.remove(e)
	db.unregisterWork(e)
	if e.volatile() {
		delete(db.expires, e)
		e.setVolatile(false)
	}
}

// Delete removes key and reports whether it existed (and had not expired),
// as DEL does: the value is freed in the background when it is big and
// LazyFree.UserDel is set.
func (db *DB) Delete(key []byte) bool { return db.del(key, db.st.lazy(lazyUserDelBit)) }

// Unlink removes key and reports whether it existed (and had not expired),
// as UNLINK does: a big value is always freed in the background.
func (db *DB) Unlink(key []byte) bool { return db.del(key, true) }

func (db *DB) del(key []byte, lazy bool) bool {
	e := db.lookup(key, Write)
	if e == nil {
		return false
	}
	db.deleteEntry(e)
	db.record(OpDelete, key)
	db.drop(e, lazy)
	return true
}

// serverDelete removes e, whose value a command deletes as a side effect
// (overwritten by RENAME or COPY REPLACE, a collection left empty), freeing
// the value in the background when it is big and LazyFree.ServerDel is
// set. The caller records the change.
func (db *DB) serverDelete(e *entry) {
	db.deleteEntry(e)
	db.drop(e, db.st.lazy(lazyServerDelBit))
}

// replaceEntry puts ne, a new entry for old's key, in old's place in the
// main table. The caller moves or removes old's deadline and drops old.
func (db *DB) replaceEntry(old, ne *entry) {
	db.keys.replace(old, ne)
	db.unregisterWork(old)
}

// overwrite puts ne, a new entry without a deadline, in the place of old,
// which holds the same key, and drops old's value as Redis's dbOverwrite
// does: in the background when it is big and LazyFree.ServerDel is set.
// The STORE commands replace their destination this way. The caller
// records the change.
func (db *DB) overwrite(old, ne *entry) {
	db.persistEntry(old)
	db.replaceEntry(old, ne)
	db.drop(old, db.st.lazy(lazyServerDelBit))
}

// Exists reports whether key exists, counting a hit or miss but leaving the
// access time alone, as EXISTS does.
func (db *DB) Exists(key []byte) bool { return db.lookup(key, NoTouch) != nil }

// TypeOf returns the type of key, or TypeNone, without touching it.
func (db *DB) TypeOf(key []byte) Type {
	if e := db.lookup(key, NoTouch); e != nil {
		return e.typ()
	}
	return TypeNone
}

// setExpireEntry gives e the deadline when (Unix ms).
func (db *DB) setExpireEntry(e *entry, when int64) {
	db.expires[e] = when
	e.setVolatile(true)
	if n := len(db.expires); n > db.expiresPeak {
		db.expiresPeak = n
	}
}

// persistEntry removes e's deadline and reports whether it had one.
func (db *DB) persistEntry(e *entry) bool {
	if !e.volatile() {
		return false
	}
	delete(db.expires, e)
	e.setVolatile(false)
	return true
}

// expiry returns e's deadline and whether it has one, reading the expires
// index only for entries flagged volatile.
func (db *DB) expiry(e *entry) (int64, bool) {
	if !e.volatile() {
		return 0, false
	}
	return db.expires[e], true
}

// Flush deletes every key and reports how many there were. Flushing an
// empty database records nothing, so that WATCH and the dirty counter see
// no change, as in Redis. The old keys are dropped at once, in O(1); the
// freer measures them in the background (see memory.go).
func (db *DB) Flush() int { return db.flush(false) }

// FlushAsync is Flush for FLUSHDB ASYNC: the same, except that the keys
// count as lazily freed objects (INFO's lazyfree_pending_objects, then
// lazyfreed_objects), as Redis counts them.
func (db *DB) FlushAsync() int { return db.flush(true) }

func (db *DB) flush(async bool) int {
	n := db.keys.len()
	if n == 0 {
		return 0
	}
	old := new(keyspace)
	*old = db.keyspace
	db.keyspace = newKeyspace()
	db.st.tx.record(Change{Op: OpFlush, DB: db.id, N: n, flushed: old})
	db.st.dropKeyspace(old, async)
	return n
}

// FlushAll empties every database and reports how many keys there were.
func (s *Store) FlushAll() int { return s.flushAll(false) }

// FlushAllAsync is FlushAll for FLUSHALL ASYNC (see FlushAsync).
func (s *Store) FlushAllAsync() int { return s.flushAll(true) }

func (s *Store) flushAll(async bool) int {
	n := 0
	for _, db := range s.active {
		n += db.flush(async)
	}
	return n
}

// ResizeStep does a slice of the housekeeping Redis's cron does on its hash
// tables: it starts a shrink of a mostly empty table and moves buckets of a
// resize in progress, for about budget buckets.
func (db *DB) ResizeStep(budget int) {
	db.keys.shrinkIfNeeded()
	db.keys.rehash(budget)
}
