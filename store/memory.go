package store

import (
	"slices"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Memory accounting and lazy freeing.
//
// # Sizes
//
// Every value reports its approximate size in O(1), so that MEMORY USAGE
// never walks a value and a dropped value's bytes can be handed to the
// server's memory release (which returns freed memory to the operating
// system) without work under the lock. An inline value (a string, a
// listpack, an intset) is measured from its entry: the entry itself and its
// key-and-payload allocation. A compound value (the large representation of
// a collection, stored with newCompoundEntry or setCompound) implements
// sizer and keeps its figure up to date on every change.
//
// # Lazy freeing
//
// In Go, dropping a value is dropping a reference: the garbage collector
// frees it later, concurrently. What must not happen under the store's
// lock is O(n) work on a big value: walking it to learn its size, clearing
// it, or walking a flushed database. So a dropped value is handled in one of
// two ways, as Redis's freeObjAsync decides:
//
//   - synchronously, when the drop is not lazy or the value is cheap to free
//     (Redis's free effort, one for strings and compact encodings, at most
//     LazyFreeThreshold): its size, O(1), is reported at once;
//   - in the background, when the drop is lazy (UNLINK, and DEL, expiry,
//     overwrites as the lazyfree-lazy-* directives ask) and the effort is
//     above LazyFreeThreshold: the value is counted as pending
//     (lazyfree_pending_objects), queued, and the freer goroutine measures
//     and releases it after the transaction, off the lock, then counts it as
//     freed (lazyfreed_objects).
//
// A flushed database is always walked by the freer, to learn its size; only
// an asynchronous flush (FLUSHALL ASYNC) counts its keys as lazily freed, as
// Redis's emptyDbAsync does.
//
// Values reach the freer at Commit, after the OnCommit consumer ran (it may
// still read a flushed keyspace), and the freer is the only one to touch
// them from then on: nothing else references a dropped value.

// sizer is implemented by every compound value type: memSize returns the
// approximate number of bytes the value holds (its structures and element
// bytes, not the key or entry), kept up to date on each change so that the
// call is O(1).
type sizer interface{ memSize() int }

// freeEffortHinter may be implemented by a compound value type to tell how
// much work freeing it is, as Redis's lazyfreeGetFreeEffort counts it: the
// number of elements of a hash table, a skiplist or a set, the number of
// quicklist nodes of a list. It must be O(1). A compound value without it
// is estimated from its size (unsizedEffortBytes per unit of effort).
type freeEffortHinter interface{ freeEffort() int }

// Every compound value type reports its size and its free effort.
var (
	_ sizer            = (*hashTable)(nil)
	_ freeEffortHinter = (*hashTable)(nil)
	_ sizer            = (*hashSet)(nil)
	_ freeEffortHinter = (*hashSet)(nil)
	_ sizer            = (*zsetSkip)(nil)
	_ freeEffortHinter = (*zsetSkip)(nil)
	_ sizer            = (*listValue)(nil)
	_ freeEffortHinter = (*listValue)(nil)
	_ cloner           = (*hashSet)(nil)
	_ cloner           = (*zsetSkip)(nil)
	_ cloner           = (*listValue)(nil)
	_ backgrounder     = (*hashTable)(nil)
	_ backgrounder     = (*hashSet)(nil)
	_ backgrounder     = (*zsetSkip)(nil)
)

// LazyFreeThreshold is the free effort above which a lazy drop frees the
// value in the background (Redis's LAZYFREE_THRESHOLD).
const LazyFreeThreshold = 64

// unsizedEffortBytes is the bytes per unit of free effort assumed for a
// compound value that does not report its effort: about one element.
const unsizedEffortBytes = 64

// unsizedCompound is the size assumed for a compound value that does not
// implement sizer yet: a small collection's structures.
const unsizedCompound = 256

var (
	entrySize    = int(unsafe.Sizeof(entry{}))
	compoundSize = int(unsafe.Sizeof(compound{}))
)

// allocBytes returns the bytes an allocation of n bytes takes: its size
// class up to 32 KiB, and whole 8 KiB pages beyond, as Go's allocator
// rounds them.
func allocBytes(n int) int {
	if n < len(sizeClasses) {
		return int(sizeClasses[n])
	}
	if i, ok := slices.BinarySearch(midSizeClasses, n); ok || i < len(midSizeClasses) {
		return midSizeClasses[i]
	}
	const page = 8 << 10
	return (n + page - 1) &^ (page - 1)
}

// midSizeClasses are the allocator's size classes above sizeClasses' range
// and up to 32 KiB, read from slices.Grow at init (a few dozen probes).
var midSizeClasses = func() []int {
	var c []int
	for n := len(sizeClasses); n <= 32<<10; {
		size := cap(slices.Grow([]byte(nil), n))
		c = append(c, size)
		n = size + 1
	}
	return c
}()

// memUsage returns the approximate bytes e holds: the entry, its key and
// its value. It is O(1).
func (e *entry) memUsage() int {
	if e.inline() {
		return entrySize + allocBytes(int(e.klen)+int(e.vcap))
	}
	c := (*compound)(e.p)
	n := entrySize + compoundSize + allocBytes(cap(c.key))
	if s, ok := c.val.(sizer); ok {
		return n + s.memSize()
	}
	return n + unsizedCompound
}

// freeEffort returns how much work freeing e's value is, as Redis counts it:
// 1 for every inline value (one allocation).
func (e *entry) freeEffort() int {
	if e.inline() {
		return 1
	}
	switch v := e.value().(type) {
	case freeEffortHinter:
		return v.freeEffort()
	case sizer:
		return 1 + v.memSize()/unsizedEffortBytes
	}
	return 1
}

// MemoryUsage returns the bytes key and its value take, and false if the
// key does not exist, as MEMORY USAGE reports them. Like Redis it finds the
// key without expiring it, counting or touching it. samples, which Redis
// uses to estimate nested values, is accepted for compatibility: every
// value here knows its size, so the figure is exact within the model and
// O(1).
func (db *DB) MemoryUsage(key []byte, samples int64) (int, bool) {
	_ = samples
	e := db.keys.find(key)
	if e == nil {
		return 0, false
	}
	return e.memUsage(), true
}

// Overhead is what a database's structures take besides its keys and
// values, for MEMORY STATS and INFO memory.
type Overhead struct {
	DB   int // the database number
	Keys int // keys, counting expired ones not yet deleted
	// Main is the main table: its buckets and one entry per key.
	Main int
	// Expires is the expires index: one map slot per volatile key.
	Expires int
}

// expiresSlotBytes is the approximate size of one element of the expires
// map (*entry to int64, with the map's per-slot control byte and load
// factor).
const expiresSlotBytes = 24

// Overheads returns the structure overhead of every database holding keys,
// in ascending order of database number. It is O(databases).
func (s *Store) Overheads() []Overhead {
	var out []Overhead
	for _, id := range s.ActiveDBs() {
		db := s.dbs[id]
		n := db.keys.len()
		if n == 0 {
			continue
		}
		buckets := len(db.keys.ht[0]) + len(db.keys.ht[1])
		out = append(out, Overhead{
			DB:      id,
			Keys:    n,
			Main:    buckets*int(unsafe.Sizeof((*entry)(nil))) + n*entrySize,
			Expires: max(len(db.expires), db.expiresPeak) * expiresSlotBytes,
		})
	}
	return out
}

// LazyFree says which deletions free their value in the background, as the
// lazyfree-lazy-* directives do. UNLINK and FLUSHALL/FLUSHDB ASYNC always
// do; the zero value is Redis's default, every other deletion synchronous.
type LazyFree struct {
	// Expire: keys deleted because their deadline passed
	// (lazyfree-lazy-expire).
	Expire bool
	// ServerDel: values the server deletes or overwrites as a side effect
	// of a command (SET over another value, RENAME and COPY REPLACE onto an
	// existing key, the destination of the STORE commands, the set SPOP
	// with a count replaces or empties, a collection emptied, which has
	// nothing left to free) and the temporary result of SUNION and SDIFF,
	// as Redis's dbDelete, dbOverwrite and sunionDiffGenericCommand do
	// (lazyfree-lazy-server-del).
	ServerDel bool
	// UserDel: DEL and GETDEL (lazyfree-lazy-user-del).
	UserDel bool
}

// Bits of Store.lazyFree.
const (
	lazyExpireBit = 1 << iota
	lazyServerDelBit
	lazyUserDelBit
)

// SetLazyFree sets which deletions free their value in the background. It
// is safe for concurrent use, and applies from the next deletion on.
func (s *Store) SetLazyFree(lf LazyFree) {
	var bits uint32
	if lf.Expire {
		bits |= lazyExpireBit
	}
	if lf.ServerDel {
		bits |= lazyServerDelBit
	}
	if lf.UserDel {
		bits |= lazyUserDelBit
	}
	s.lazyFree.Store(bits)
}

// lazy reports whether the deletions of kind bit are lazy.
func (s *Store) lazy(bit uint32) bool { return s.lazyFree.Load()&bit != 0 }

// LazyFreeStats are INFO memory's lazy freeing counters.
type LazyFreeStats struct {
	// Pending is the values (and flushed keys) queued for the freer and not
	// freed yet (lazyfree_pending_objects).
	Pending int64
	// Freed is how many the freer has freed (lazyfreed_objects).
	Freed int64
}

// LazyFreeStats returns the lazy freeing counters. It is safe for
// concurrent use and needs no transaction.
func (s *Store) LazyFreeStats() LazyFreeStats {
	return LazyFreeStats{Pending: s.freer.pending.Load(), Freed: s.freer.freed.Load()}
}

// freeJob is a dropped value for the freer: an entry, or a flushed
// keyspace. counted says how many objects it adds to lazyfree_pending_objects
// (and, once freed, to lazyfreed_objects).
type freeJob struct {
	e       *entry
	ks      *keyspace
	counted int64
}

// freer runs the background freeing. Its counters are atomic; mu guards
// the queue and running.
type freer struct {
	pending atomic.Int64
	freed   atomic.Int64

	mu      sync.Mutex
	idle    sync.Cond // signalled when running becomes false; uses mu
	queue   []freeJob
	running bool // a freeLoop goroutine is draining queue
}

// noteFreed reports n freed bytes to the OnFreed hook.
func (s *Store) noteFreed(n int) {
	if s.onFreed != nil && n > 0 {
		s.onFreed(n)
	}
}

// drop lets go of e's value, which nothing in the keyspace references any
// more, freeing it in the background when lazy and worth it (see above).
// The caller has removed e from the keyspace and recorded the change.
func (db *DB) drop(e *entry, lazy bool) {
	if lazy && e.freeEffort() > LazyFreeThreshold {
		db.st.freer.pending.Add(1)
		db.st.tx.dropped = append(db.st.tx.dropped, freeJob{e: e, counted: 1})
		return
	}
	db.st.noteFreed(e.memUsage())
}

// dropKeyspace hands a flushed keyspace to the freer, which measures it;
// an asynchronous flush counts its keys as lazily freed.
func (s *Store) dropKeyspace(ks *keyspace, async bool) {
	j := freeJob{ks: ks}
	if async {
		j.counted = int64(ks.keys.len())
		s.freer.pending.Add(j.counted)
	}
	s.tx.dropped = append(s.tx.dropped, j)
}

// queueDropped moves the transaction's dropped values to the freer's
// queue, starting the freer if it is not running. Commit calls it once the
// OnCommit consumer is done with them.
func (s *Store) queueDropped(jobs []freeJob) {
	f := &s.freer
	f.mu.Lock()
	f.queue = append(f.queue, jobs...)
	start := !f.running
	f.running = true
	f.mu.Unlock()
	if start {
		go s.freeLoop() // exits when the queue is empty
	}
}

// freeLoop frees queued values until the queue is empty.
func (s *Store) freeLoop() {
	f := &s.freer
	for {
		f.mu.Lock()
		jobs := f.queue
		f.queue = nil
		if len(jobs) == 0 {
			f.running = false
			f.idle.Broadcast()
			f.mu.Unlock()
			return
		}
		f.mu.Unlock()
		for i := range jobs {
			s.free(&jobs[i])
			jobs[i] = freeJob{} // drop the reference now, not after the batch
		}
	}
}

// free measures a dropped value, reports its bytes and counts it.
func (s *Store) free(j *freeJob) {
	n := 0
	if j.e != nil {
		n = j.e.memUsage()
	} else if ks := j.ks; ks != nil {
		ks.keys.each(func(e *entry) { n += e.memUsage() })
		n += (len(ks.keys.ht[0]) + len(ks.keys.ht[1])) * int(unsafe.Sizeof((*entry)(nil)))
		n += max(len(ks.expires), ks.expiresPeak) * expiresSlotBytes
	}
	s.noteFreed(n)
	if j.counted > 0 {
		// Freed first, so that a reader who sees nothing pending sees
		// the final freed count.
		s.freer.freed.Add(j.counted)
		s.freer.pending.Add(-j.counted)
	}
}

// WaitFreed waits until the freer has freed every value dropped so far. It
// needs no transaction and must not be called inside one whose dropped
// values are not committed yet. The server calls it on shutdown; tests use
// it to observe the counters.
func (s *Store) WaitFreed() {
	f := &s.freer
	f.mu.Lock()
	for f.running {
		f.idle.Wait()
	}
	f.mu.Unlock()
}
