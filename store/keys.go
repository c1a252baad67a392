package store

import (
	"bytes"
	"math"

	"github.com/redoubt-db/redoubt/internal/glob"
)

// The generic key operations: DEL, EXISTS, RENAME, COPY, MOVE, KEYS, SCAN,
// RANDOMKEY, TOUCH, OBJECT and the expiry commands. Each one looks keys up
// the way its Redis 7.0 command does, which decides whether it counts a
// keyspace hit or miss and whether it refreshes the access time (see
// LookupFlags); every lookup deletes a key found past its deadline, so no
// expired key is ever returned.

// DeleteKeys deletes each key that exists and returns how many it deleted,
// as DEL does (see Delete); a key named twice is deleted once.
func (db *DB) DeleteKeys(keys [][]byte) int {
	return db.delKeys(keys, db.st.lazy(lazyUserDelBit))
}

// UnlinkKeys is DeleteKeys for UNLINK: big values are always freed in the
// background.
func (db *DB) UnlinkKeys(keys [][]byte) int { return db.delKeys(keys, true) }

func (db *DB) delKeys(keys [][]byte, lazy bool) int {
	n := 0
	for _, k := range keys {
		if db.del(k, lazy) {
			n++
		}
	}
	return n
}

// CountExisting returns how many of keys exist, counting a key named twice
// twice, as EXISTS does: each lookup counts a hit or miss and none touches.
func (db *DB) CountExisting(keys [][]byte) int {
	n := 0
	for _, k := range keys {
		if db.lookup(k, NoTouch) != nil {
			n++
		}
	}
	return n
}

// Touch refreshes the access time of each key that exists and returns how
// many did, counting duplicates, as TOUCH does (each lookup counts).
func (db *DB) Touch(keys [][]byte) int {
	n := 0
	for _, k := range keys {
		if db.lookup(k, 0) != nil {
			n++
		}
	}
	return n
}

// Rename gives the value at src, with its deadline, the name dst, replacing
// any value dst had, as RENAME does; with nx it does nothing when dst exists,
// as RENAMENX. It reports whether it renamed, and returns ErrNoSuchKey when
// src does not exist. Renaming a key to itself changes nothing and reports
// !nx, as Redis replies OK or 0.
func (db *DB) Rename(src, dst []byte, nx bool) (bool, error) {
	e := db.lookup(src, Write)
	if e == nil {
		return false, ErrNoSuchKey
	}
	if bytes.Equal(src, dst) {
		return !nx, nil
	}
	if old := db.lookup(dst, Write); old != nil {
		if nx {
			return false, nil
		}
		db.serverDelete(old)
	}
	when, volatile := db.expiry(e)
	ne := e.rekeyed(dst)
	db.deleteEntry(e)
	db.insertEntry(ne)
	if volatile {
		db.setExpireEntry(ne, when)
	}
	db.noteWork(ne) // the value's background work follows it
	db.record(OpRenameFrom, src)
	db.record(OpRenameTo, dst)
	return true, nil
}

// Copy copies the value at src, with its deadline, to dstKey in database
// dst (which may be db), as COPY does; with replace it overwrites an
// existing dstKey, otherwise it does nothing when dstKey exists. It reports
// whether it copied. The same key in the same database is ErrSameObject.
func (db *DB) Copy(src []byte, dst *DB, dstKey []byte, replace bool) (bool, error) {
	if dst == db && bytes.Equal(src, dstKey) {
		return false, ErrSameObject
	}
	// COPY reads its source as a read command would: counted and touched.
	e := db.lookup(src, 0)
	if e == nil {
		return false, nil
	}
	when, volatile := db.expiry(e)
	if old := dst.lookup(dstKey, Write); old != nil {
		if !replace {
			return false, nil
		}
		dst.serverDelete(old)
	}
	ne := e.cloned(dstKey, dst.st.lruClock.Load())
	dst.insertEntry(ne)
	if volatile {
		dst.setExpireEntry(ne, when)
	}
	dst.noteWork(ne) // a clone may carry its original's pending work
	db.st.tx.record(Change{Op: OpCopyTo, DB: dst.id, Other: db.id, Key: dstKey})
	return true, nil
}

// Move moves key, with its deadline, from db to database dst unless dst
// already has that key, as MOVE does, and reports whether it moved. dst
// being db is ErrSameObject.
func (db *DB) Move(key []byte, dst *DB) (bool, error) {
	if dst == db {
		return false, ErrSameObject
	}
	e := db.lookup(key, Write)
	if e == nil {
		return false, nil
	}
	when, volatile := db.expiry(e)
	if dst.lookup(key, Write) != nil {
		return false, nil
	}
	// The entry itself moves: its value, encoding and access time go with
	// it, as the object does in Redis.
	db.deleteEntry(e)
	dst.insertEntry(e)
	if volatile {
		dst.setExpireEntry(e, when)
	}
	dst.noteWork(e) // the value's background work follows it
	db.st.tx.record(Change{Op: OpMoveFrom, DB: db.id, Other: dst.id, Key: key})
	db.st.tx.record(Change{Op: OpMoveTo, DB: dst.id, Other: db.id, Key: key})
	return true, nil
}

// matchAll reports whether pattern is the lone "*" that KEYS and SCAN treat
// as "every key", including the empty key that the matcher itself rejects.
func matchAll(pattern []byte) bool { return len(pattern) == 1 && pattern[0] == '*' }

// Keys appends to dst every key matching the glob pattern that has not
// expired, as KEYS does, and returns the extended slice. Expired keys are
// skipped, not deleted, and nothing is counted or touched. The keys alias
// the store's memory.
func (db *DB) Keys(dst [][]byte, pattern []byte) [][]byte {
	db.EachKey(pattern, func(k []byte) { dst = append(dst, k) })
	return dst
}

// EachKey calls fn with every key Keys would return, in the same order,
// without gathering them: a caller that encodes each key as it comes needs
// no slice of millions of keys. fn must not change the database. The keys
// alias the store's memory.
func (db *DB) EachKey(pattern []byte, fn func(key []byte)) {
	all := matchAll(pattern)
	now := db.now()
	db.keys.each(func(e *entry) {
		k := e.key()
		if !all && !glob.Match(pattern, k, false) {
			return
		}
		if db.expiredAt(e, now) {
			return
		}
		fn(k)
	})
}

// ScanOptions are the options of SCAN.
type ScanOptions struct {
	// Count is how many keys to gather before filtering; below 1 it is 10.
	Count int64
	// FilterMatch keeps only keys matching the glob pattern Match.
	FilterMatch bool
	Match       []byte
	// FilterType keeps only values of type Type. TypeNone (what the
	// server passes for "none" and for unknown names) keeps nothing.
	FilterType bool
	Type       Type
}

// Scan does one step of a SCAN iteration from cursor, as Redis 7.0 does:
// it walks the table's buckets in reverse-binary cursor order, gathering
// keys until it has opt.Count of them or has visited 10×Count buckets or
// reached the end, then drops the keys that do not match the pattern, are
// not of the wanted type, or have expired (deleting those). It appends the
// keys left to dst and returns them with the next cursor, 0 at the end.
//
// As in Redis, the type filter looks every candidate key up as a read,
// counting a hit or miss. Unlike Redis 7.0, whose type check replies
// "none" for an expired key and so lets "TYPE none" return expired keys,
// an expired key is never returned. The keys alias the store's memory.
func (db *DB) Scan(dst [][]byte, cursor uint64, opt ScanOptions) ([][]byte, uint64) {
	count := opt.Count
	if count < 1 {
		count = 10
	}
	maxIter := int64(math.MaxInt64)
	if count <= math.MaxInt64/10 {
		maxIter = count * 10
	}
	start := len(dst)
	collect := func(e *entry) { dst = append(dst, e.key()) }
	cursor = db.keys.scan(cursor, collect)
	for cursor != 0 && maxIter > 0 && int64(len(dst)-start) < count {
		maxIter--
		cursor = db.keys.scan(cursor, collect)
	}

	usePattern := opt.FilterMatch && !matchAll(opt.Match)
	keep := dst[:start]
	for _, k := range dst[start:] {
		if usePattern && !glob.Match(opt.Match, k, false) {
			continue
		}
		var e *entry
		if opt.FilterType {
			e = db.lookup(k, NoTouch)
			if e == nil || e.typ() != opt.Type {
				continue
			}
		} else if e = db.lookup(k, NoTouch|NoStats); e == nil {
			continue // expired, and now deleted
		}
		// Return the key from the entry: k may belong to an entry the
		// type check just deleted, but e is live.
		keep = append(keep, e.key())
	}
	clear(dst[len(keep):])
	return keep, cursor
}

// RandomKey returns a random key that has not expired, or false when the
// database is empty, as RANDOMKEY does: a key picked past its deadline is
// deleted and another is picked. Nothing is counted or touched. The key
// aliases the store's memory.
//
// While expiry is held (HoldExpiry) expired keys stay, so a database whose
// keys all have deadlines may hold nothing else: after 100 picks of
// expired keys, the last one picked is returned, as Redis does on a
// replica (whose expired keys also stay). Redis 7.0 loops for ever there
// during CLIENT PAUSE.
func (db *DB) RandomKey() ([]byte, bool) {
	tries := randomKeyTries
	for {
		e := db.keys.random()
		if e == nil {
			return nil, false
		}
		if e.volatile() && db.expiredAt(e, db.now()) {
			if !db.st.expiryHeld(db.now()) {
				db.expireEntry(e)
				continue
			}
			if tries--; tries > 0 || len(db.expires) != db.keys.len() {
				continue
			}
		}
		return e.key(), true
	}
}

// randomKeyTries is how many expired keys RandomKey picks, while expiry is
// held, before it returns one (Redis's maxtries).
const randomKeyTries = 100

// ObjectInfo is what OBJECT reports about a value.
type ObjectInfo struct {
	Type     Type
	Encoding Encoding
	// Idle is the time since the key was last accessed, in seconds of the
	// access clock (OBJECT IDLETIME).
	Idle int64
	// RefCount is Redis's reference count: math.MaxInt32 for a shared
	// integer, 1 otherwise (OBJECT REFCOUNT).
	RefCount int64
}

// Object describes the value at key, as the OBJECT subcommands do: the
// lookup counts a hit or miss but does not touch the key.
func (db *DB) Object(key []byte) (ObjectInfo, bool) {
	e := db.lookup(key, NoTouch)
	if e == nil {
		return ObjectInfo{}, false
	}
	info := ObjectInfo{Type: e.typ(), Encoding: e.enc(), RefCount: 1}
	if info.Encoding == EncSharedInt {
		info.RefCount = math.MaxInt32
	}
	// The access clock wraps; an access "after" now means it wrapped
	// since, as Redis's estimateObjectIdleTime reads it.
	now, then := int64(db.st.LRUClock()), int64(e.lru())
	if now >= then {
		info.Idle = now - then
	} else {
		info.Idle = now + lruMax - then
	}
	return info, true
}

// ExpireFlags are the conditions of EXPIRE and its variants. Any
// combination is accepted here; the server rejects the ones Redis rejects.
type ExpireFlags uint8

const (
	// ExpireNX sets the deadline only if the key has none.
	ExpireNX ExpireFlags = 1 << iota
	// ExpireXX sets the deadline only if the key has one.
	ExpireXX
	// ExpireGT sets the deadline only if it is later than the current one;
	// a key with no deadline counts as expiring never, so it always fails.
	ExpireGT
	// ExpireLT sets the deadline only if it is earlier than the current
	// one; a key with no deadline counts as expiring never, so it passes.
	ExpireLT
)

// Expire gives key the deadline at (Unix ms) under flags, as EXPIRE and its
// variants do, and reports whether it did. A deadline not after the clock's
// now deletes the key at once (and reports true), as Redis does.
func (db *DB) Expire(key []byte, at int64, flags ExpireFlags) bool {
	e := db.lookup(key, Write)
	if e == nil {
		return false
	}
	cur, volatile := db.expiry(e)
	switch {
	case flags&ExpireNX != 0 && volatile,
		flags&ExpireXX != 0 && !volatile,
		flags&ExpireGT != 0 && (!volatile || at <= cur),
		flags&ExpireLT != 0 && volatile && at >= cur:
		return false
	}
	if at <= db.now() {
		db.deleteEntry(e)
		db.record(OpDelete, key)
		db.drop(e, db.st.lazy(lazyExpireBit))
		return true
	}
	db.setExpireEntry(e, at)
	db.record(OpExpire, key)
	return true
}

// Persist removes key's deadline and reports whether it had one, as PERSIST
// does.
func (db *DB) Persist(key []byte) bool {
	e := db.lookup(key, Write)
	if e == nil || !db.persistEntry(e) {
		return false
	}
	db.record(OpPersist, key)
	return true
}

// Deadline returns key's deadline in Unix ms; volatile is false when the key
// has none and exists false when there is no key. The lookup uses flags:
// TTL and its variants pass NoTouch.
func (db *DB) Deadline(key []byte, flags LookupFlags) (at int64, volatile, exists bool) {
	e := db.lookup(key, flags)
	if e == nil {
		return 0, false, false
	}
	at, volatile = db.expiry(e)
	return at, volatile, true
}

// PeekString returns the string at key as Get does, but without counting a
// hit or miss or touching the key, for inspection from Go code. An expired
// key is deleted and reported missing.
func (db *DB) PeekString(key []byte) (val []byte, ok bool, err error) {
	e := db.lookup(key, NoTouch|NoStats)
	if e == nil {
		return nil, false, nil
	}
	if e.typ() != TypeString {
		return nil, false, ErrWrongType
	}
	return e.str(), true, nil
}

// DeleteExpired deletes every key of every database whose deadline has
// passed, counting and recording each as expired, and returns how many it
// deleted. It is the active expiry cycle run to completion rather than
// sampled, for tests that move a ManualClock and want the keyspace to catch
// up at once. It refreshes the access clock first and runs in a transaction
// of its own. While expiry is held (HoldExpiry) it deletes nothing.
func (s *Store) DeleteExpired() int {
	s.Tick()
	total := 0
	s.Update(func(tx *Tx) {
		now := tx.Now()
		if s.expiryHeld(now) {
			return
		}
		for _, db := range s.active {
			for e, when := range db.expires {
				if now > when {
					db.expireEntry(e)
					total++
				}
			}
			db.compactExpires()
		}
	})
	return total
}
