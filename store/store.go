// Package store holds Redoubt's keyspace: numbered databases of keys, their
// typed values and their deadlines. It does no I/O and knows nothing of RESP;
// the server parses a command, takes a database's lock, makes one call here
// and encodes the reply.
//
// # Locking
//
// Each DB has one mutex that guards everything in it. Methods on DB whose
// names do not say otherwise require the caller to hold it (DB.Lock) for the
// duration of the call and for as long as it uses any slice returned, since
// returned values alias the store's memory. Operations on several databases
// (MOVE, COPY … DB, SWAPDB, FLUSHALL) take the locks in ascending database
// order through Store.LockDBs and Store.LockAll. The lock is a plain mutex,
// not a read-write one, because reads change state too: they update the
// access clock and delete expired keys.
//
// # Time
//
// Deadlines are Unix milliseconds read from a Clock, so tests can move time
// with a ManualClock and keys expire for real: lazily when accessed, and in the
// active cycle (ActiveExpireCycle) that the server runs in the background.
package store

import (
	"math"
	"sync/atomic"
	"time"
)

// Options configure a Store. The zero value is valid.
type Options struct {
	// Databases is the number of databases. The default is 16.
	Databases int
	// Clock is the time source. The default is SystemClock.
	Clock Clock
}

// Store is a set of numbered databases sharing one clock.
type Store struct {
	clock Clock
	dbs   []*DB

	// lruClock is the access clock in seconds, cached so that lookups do
	// not read the time; Tick refreshes it.
	lruClock atomic.Uint32

	// Counters of the active expiry cycle, for INFO stats.
	expireStalePerc    atomic.Uint64 // float64 bits: estimated % of expired keys
	expireTimeCapCount atomic.Int64
	expireCycleCPU     atomic.Int64 // microseconds spent in active expiry
}

// New returns an empty store.
func New(opts Options) *Store {
	if opts.Databases <= 0 {
		opts.Databases = 16
	}
	if opts.Clock == nil {
		opts.Clock = SystemClock{}
	}
	s := &Store{clock: opts.Clock}
	s.dbs = make([]*DB, opts.Databases)
	for i := range s.dbs {
		s.dbs[i] = newDB(s, i)
	}
	s.Tick()
	return s
}

// Clock returns the store's clock.
func (s *Store) Clock() Clock { return s.clock }

// NowMs returns the clock's time in Unix milliseconds.
func (s *Store) NowMs() int64 { return s.clock.Now().UnixMilli() }

// Tick refreshes the cached access clock. The server calls it from its
// background cycle; it is safe for concurrent use.
func (s *Store) Tick() {
	s.lruClock.Store(uint32(s.clock.Now().Unix()) & lruMax)
}

// LRUClock returns the cached access clock, in seconds modulo 2^24 (Redis's LRU_CLOCK_MAX+1).
func (s *Store) LRUClock() uint32 { return s.lruClock.Load() }

// NumDBs returns the number of databases.
func (s *Store) NumDBs() int { return len(s.dbs) }

// DB returns database i, or nil if i is out of range.
func (s *Store) DB(i int) *DB {
	if i < 0 || i >= len(s.dbs) {
		return nil
	}
	return s.dbs[i]
}

// LockDBs locks the given databases in ascending order, each once, and
// returns the function that unlocks them.
func (s *Store) LockDBs(ids ...int) (unlock func()) {
	var locked []*DB
	for i, db := range s.dbs {
		for _, id := range ids {
			if id == i {
				db.mu.Lock()
				locked = append(locked, db)
				break
			}
		}
	}
	return func() {
		for i := len(locked) - 1; i >= 0; i-- {
			locked[i].mu.Unlock()
		}
	}
}

// LockAll locks every database in order and returns the function that
// unlocks them.
func (s *Store) LockAll() (unlock func()) {
	for _, db := range s.dbs {
		db.mu.Lock()
	}
	return func() {
		for i := len(s.dbs) - 1; i >= 0; i-- {
			s.dbs[i].mu.Unlock()
		}
	}
}

// Swap exchanges the contents of databases a and b, as SWAPDB does: clients
// using database a see b's keys from then on. The caller holds both locks.
func (s *Store) Swap(a, b int) {
	da, db := s.dbs[a], s.dbs[b]
	da.keyspace, db.keyspace = db.keyspace, da.keyspace
}

// Stats are the keyspace counters INFO stats reports, summed over databases.
type Stats struct {
	Hits               int64   // keyspace_hits
	Misses             int64   // keyspace_misses
	Expired            int64   // expired_keys
	ExpiredStalePerc   float64 // expired_stale_perc
	ExpiredTimeCapHits int64   // expired_time_cap_reached_count
	ExpireCycleCPU     time.Duration
}

// Stats returns the keyspace counters. It takes each database's lock in turn.
func (s *Store) Stats() Stats {
	var st Stats
	for _, db := range s.dbs {
		db.mu.Lock()
		st.Hits += db.hits
		st.Misses += db.misses
		st.Expired += db.expired
		db.mu.Unlock()
	}
	st.ExpiredStalePerc = math.Float64frombits(s.expireStalePerc.Load())
	st.ExpiredTimeCapHits = s.expireTimeCapCount.Load()
	st.ExpireCycleCPU = time.Duration(s.expireCycleCPU.Load()) * time.Microsecond
	return st
}

// ResetStats zeroes the counters Stats returns, as CONFIG RESETSTAT does.
func (s *Store) ResetStats() {
	for _, db := range s.dbs {
		db.mu.Lock()
		db.hits, db.misses, db.expired = 0, 0, 0
		db.mu.Unlock()
	}
	s.expireStalePerc.Store(0)
	s.expireTimeCapCount.Store(0)
	s.expireCycleCPU.Store(0)
}
