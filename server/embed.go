package server

import (
	"slices"
	"time"

	"github.com/redoubt-db/redoubt/store"
)

// The embedding API: direct access to a running server's data from Go code
// in the same process, without a network round trip. Tests use it to seed
// and inspect data; see also package servertest.

// DB is a handle on one numbered database of a running Server. Each method
// runs in a store transaction of its own, as a command does, so a handle is
// safe to use from any goroutine while clients are connected, each call is
// atomic with respect to their commands, and its changes reach the same
// consumers as a command's (the dirty counter, blocked clients, and WATCH
// and notifications as they arrive). Keys and values are copied in and
// out; nothing returned aliases the server's memory.
//
// Reads through a handle are inspections, not client accesses: they count no
// keyspace hits or misses and leave access times (OBJECT IDLETIME) alone.
// Like any read, they delete a key found past its deadline. Errors are Go
// errors from package store, such as store.ErrWrongType, never Redis reply
// texts.
type DB struct {
	s  *Server
	db *store.DB
}

// DB returns a handle on database n, or nil if n is out of range (the
// default configuration has databases 0 to 15). After SWAPDB the handle
// follows the index, as a client that selected n does.
func (s *Server) DB(n int) *DB {
	db := s.store.DB(n)
	if db == nil {
		return nil
	}
	return &DB{s: s, db: db}
}

// begin opens a transaction for one call of the handle.
func (d *DB) begin() *store.Tx {
	return d.s.store.Begin(store.TxOptions{DB: d.db.ID()})
}

// DeleteExpired deletes every key, in every database, whose deadline has
// passed by the server's clock, and returns how many it deleted. The
// background cycle does the same a few keys at a time, as Redis does; this
// finishes the job at once, so a test that moves a store.ManualClock can
// then observe the keyspace as it should be (DBSIZE, INFO keyspace) without
// waiting or touching the keys. It also brings the access clock behind
// OBJECT IDLETIME up to the clock's time.
func (s *Server) DeleteExpired() int { return s.store.DeleteExpired() }

// Set stores value at key, as SET key value does: any previous value of any
// type is replaced and any deadline removed.
func (d *DB) Set(key, value string) error {
	tx := d.begin()
	defer tx.End()
	_, err := d.db.Set([]byte(key), []byte(value), store.SetOptions{})
	return err
}

// Get returns the string at key and whether the key exists. It returns
// store.ErrWrongType if the key holds another type.
func (d *DB) Get(key string) (string, bool, error) {
	tx := d.begin()
	defer tx.End()
	v, ok, err := d.db.PeekString([]byte(key))
	return string(v), ok, err
}

// Del deletes the keys that exist and returns how many it deleted, as DEL
// does.
func (d *DB) Del(keys ...string) int {
	tx := d.begin()
	defer tx.End()
	n := 0
	for _, k := range keys {
		if d.db.Delete([]byte(k)) {
			n++
		}
	}
	return n
}

// Exists reports whether key exists.
func (d *DB) Exists(key string) bool {
	tx := d.begin()
	defer tx.End()
	_, _, exists := d.db.Deadline([]byte(key), store.NoTouch|store.NoStats)
	return exists
}

// Keys returns the keys matching the glob-style pattern, as KEYS does,
// sorted. "*" returns every key.
func (d *DB) Keys(pattern string) []string {
	tx := d.begin()
	matched := d.db.Keys(nil, []byte(pattern))
	keys := make([]string, len(matched))
	for i, k := range matched {
		keys[i] = string(k)
	}
	tx.End()
	slices.Sort(keys)
	return keys
}

// TTL returns the time left before key expires, by the server's clock. ok is
// false if the key does not exist or has no deadline.
func (d *DB) TTL(key string) (ttl time.Duration, ok bool) {
	tx := d.begin()
	defer tx.End()
	at, volatile, _ := d.db.Deadline([]byte(key), store.NoTouch|store.NoStats)
	if !volatile {
		return 0, false
	}
	return max(time.Duration(at-tx.Now())*time.Millisecond, 0), true
}

// SetTTL makes key expire after ttl, counted from the server's clock and
// truncated to whole milliseconds, as PEXPIRE does, and reports whether the
// key exists. A ttl under a millisecond deletes the key at once, as a
// deadline in the past does.
func (d *DB) SetTTL(key string, ttl time.Duration) bool {
	tx := d.begin()
	defer tx.End()
	return d.db.Expire([]byte(key), tx.Now()+ttl.Milliseconds(), 0)
}

// Persist removes key's deadline and reports whether it had one, as PERSIST
// does.
func (d *DB) Persist(key string) bool {
	tx := d.begin()
	defer tx.End()
	return d.db.Persist([]byte(key))
}

// Len returns the number of keys, as DBSIZE does: keys past their deadline
// count until something deletes them (a read, the background cycle, or
// Server.DeleteExpired).
func (d *DB) Len() int {
	tx := d.begin()
	defer tx.End()
	return d.db.Len()
}

// Flush deletes every key of the database, as FLUSHDB does.
func (d *DB) Flush() {
	tx := d.begin()
	defer tx.End()
	d.db.Flush()
}
