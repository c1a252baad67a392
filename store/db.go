package store

import (
	"sync"
)

// DB is one numbered database: a keyspace and the deadlines of its volatile
// keys. See the package doc for the locking rules.
type DB struct {
	id int
	st *Store

	// mu guards every field below it, the entries in keys and the memory
	// their values point to.
	mu sync.Mutex

	keyspace

	// noTouch makes lookups leave the access clock alone (CLIENT NO-TOUCH).
	noTouch bool

	hits, misses, expired int64 // INFO stats counters
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
}

func newKeyspace() keyspace {
	return keyspace{keys: newTable(), expires: make(map[*entry]int64)}
}

func newDB(s *Store, id int) *DB {
	return &DB{id: id, st: s, keyspace: newKeyspace()}
}

// ID returns the database number.
func (db *DB) ID() int { return db.id }

// Store returns the store db belongs to.
func (db *DB) Store() *Store { return db.st }

// Lock locks the database.
func (db *DB) Lock() { db.mu.Lock() }

// Unlock unlocks the database.
func (db *DB) Unlock() { db.mu.Unlock() }

// SetNoTouch sets whether lookups leave keys' access time alone, for the
// command about to run. The server sets it per command for clients in
// CLIENT NO-TOUCH mode.
func (db *DB) SetNoTouch(v bool) { db.noTouch = v }

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

// lookup returns the live entry for key, deleting it first if it expired.
func (db *DB) lookup(key []byte, flags LookupFlags) *entry {
	e := db.keys.find(key)
	if e != nil && e.volatile() && db.expiredAt(e, db.st.NowMs()) {
		db.expireEntry(e)
		e = nil
	}
	if flags&NoStats == 0 {
		if e == nil {
			db.misses++
		} else {
			db.hits++
		}
	}
	if e != nil && flags&NoTouch == 0 && !db.noTouch {
		if clk := db.st.lruClock.Load(); e.lru() != clk {
			e.setLRU(clk)
		}
	}
	return e
}

// expiredAt reports whether e is past its deadline at now (Unix ms). Callers
// on hot paths check e.volatile() first, so that keys without a deadline
// never read the clock.
func (db *DB) expiredAt(e *entry, now int64) bool {
	when, ok := db.expiry(e)
	return ok && now > when
}

// expireEntry deletes e, whose deadline has passed, counting it for INFO.
func (db *DB) expireEntry(e *entry) {
	db.deleteEntry(e)
	db.expired++
}

// deleteEntry removes e from the keyspace and the expires index.
func (db *DB) deleteEntry(e *entry) {
	db.keys.remove(e)
	if e.volatile() {
		delete(db.expires, e)
		e.setVolatile(false)
	}
}

// Delete removes key and reports whether it existed (and had not expired).
func (db *DB) Delete(key []byte) bool {
	e := db.lookup(key, Write)
	if e == nil {
		return false
	}
	db.deleteEntry(e)
	return true
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

// Flush deletes every key and reports how many there were.
func (db *DB) Flush() int {
	n := db.keys.len()
	db.keyspace = newKeyspace()
	return n
}

// FlushAll empties every database. It takes every lock.
func (s *Store) FlushAll() int {
	unlock := s.LockAll()
	defer unlock()
	n := 0
	for _, db := range s.dbs {
		n += db.Flush()
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
