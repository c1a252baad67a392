// Package store holds Redoubt's keyspace: numbered databases of keys, their
// typed values and their deadlines. It does no I/O and knows nothing of RESP;
// the server parses a command, opens a transaction (Tx), calls here and
// encodes the reply.
//
// # Transactions and locking
//
// One store-wide mutex guards every database, entry and value. It is taken
// only by Begin (and TryBegin, Update) and released by Tx.End; nothing else
// in the package locks. Methods on DB and Store whose docs do not say
// otherwise require an open transaction for the duration of the call and
// for as long as a returned slice is used, since returned values alias the
// store's memory. A transaction fixes "now" per step and records every
// change to a key in its change log (change.go), handed to the OnCommit
// consumer at each Commit.
//
// A later, finer lock (per database, or per shard of keys) needs only Begin
// to take what TxOptions declares: callers already say which databases they
// use.
//
// The background freer (memory.go) has a mutex of its own for its queue,
// taken after the store's lock when both are held (Commit queues dropped
// values), never before it; the freer itself never takes the store's lock.
//
// # Time
//
// Deadlines are Unix milliseconds read from a Clock, so tests can move time
// with a ManualClock and keys expire for real: lazily when accessed, and in the
// active cycle (ActiveExpireCycle) that the server runs in the background.
package store

import (
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Options configure a Store. The zero value is valid.
type Options struct {
	// Databases is the number of databases. The default is 16.
	Databases int
	// Clock is the time source. The default is SystemClock.
	Clock Clock
	// OnCommit receives the changes of each transaction step, under the
	// store's lock, in the order they were made. It must not open a
	// transaction or keep the slice; it may read the store through tx. The
	// default discards them.
	OnCommit func(tx *Tx, changes []Change)
	// OnEnd is called at the end of every transaction, after its last
	// step's OnCommit and before the lock is released: the point where
	// what several steps accumulated (client-side caching's broadcast
	// invalidations) is sent, as Redis sends it before it sleeps. It must
	// not open a transaction. The default does nothing.
	OnEnd func(tx *Tx)
	// OnFreed is told of the bytes of values the store let go of (deleted,
	// overwritten, flushed), so that the program can return memory to the
	// operating system. It is called from any goroutine, sometimes under
	// the store's lock, and must be fast and safe for concurrent use. The
	// default ignores them.
	OnFreed func(bytes int)
	// Limits are the encoding thresholds. The default, nil, is Redis's
	// (DefaultLimits).
	Limits *Limits
}

// Store is a set of numbered databases sharing one clock.
type Store struct {
	clock    Clock
	dbs      []*DB
	onCommit func(tx *Tx, changes []Change)
	onEnd    func(tx *Tx)
	onFreed  func(bytes int)

	// lazyFree holds the LazyFree settings as bits (memory.go).
	lazyFree atomic.Uint32
	// notify says which keyspace events are recorded (event.go).
	notify notifyState
	// expiryHold is the end (Unix ms) of a hold on expiry (HoldExpiry),
	// 0 when there is none.
	expiryHold atomic.Int64
	// freer frees dropped values in the background (memory.go); it has
	// its own lock, taken after mu when both are held.
	freer freer

	// mu is the store-wide lock: it guards every database, every entry and
	// value, the fields below and txBuf. Only Begin takes it.
	mu sync.Mutex
	// tx is the open transaction, nil when none is; txBuf is its storage,
	// reused so that opening one does not allocate.
	tx    *Tx
	txBuf Tx
	// active lists the databases that may hold keys (in no order); only
	// they are visited by the background cycle and FLUSHALL, so a server
	// with a million databases and a few keys costs nothing per tick.
	active []*DB
	// resizeCursor is where Cron's round robin over active stands.
	resizeCursor int

	hits, misses, expired int64 // INFO stats counters

	// limits are the encoding thresholds in force (Limits).
	limits atomic.Pointer[Limits]

	// lruClock is the access clock in seconds, cached so that lookups do
	// not read the time; Tick refreshes it.
	lruClock atomic.Uint32

	// Counters of the active expiry cycle, for INFO stats.
	expireStalePerc    atomic.Uint64 // float64 bits: estimated % of expired keys
	expireTimeCapCount atomic.Int64
	expireCycleCPU     atomic.Int64 // microseconds spent in active expiry
	// expireHeld is the time the last active expiry cycle held the lock,
	// in nanoseconds (LastExpireCycle).
	expireHeld atomic.Int64
}

// New returns an empty store.
func New(opts Options) *Store {
	if opts.Databases <= 0 {
		opts.Databases = 16
	}
	if opts.Clock == nil {
		opts.Clock = SystemClock{}
	}
	s := &Store{clock: opts.Clock, onCommit: opts.OnCommit, onEnd: opts.OnEnd, onFreed: opts.OnFreed}
	s.freer.idle.L = &s.freer.mu
	s.txBuf.st = s
	if opts.Limits != nil {
		s.SetLimits(*opts.Limits)
	} else {
		s.SetLimits(DefaultLimits())
	}
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

// Swap exchanges the contents of databases a and b, as SWAPDB does: clients
// using database a see b's keys from then on. Swapping a database with
// itself changes no key but is recorded all the same, as Redis counts it
// and touches the WATCHed keys of the database.
func (s *Store) Swap(a, b int) {
	da, db := s.dbs[a], s.dbs[b]
	da.keyspace, db.keyspace = db.keyspace, da.keyspace
	s.markActive(da)
	s.markActive(db)
	s.tx.record(Change{Op: OpSwap, DB: a, Other: b})
}

// markActive adds db to the active list if it is not there.
func (s *Store) markActive(db *DB) {
	if db.activeIdx < 0 {
		db.activeIdx = len(s.active)
		s.active = append(s.active, db)
	}
}

// pruneActive drops from the active list the databases that hold no keys
// and have no table work left.
func (s *Store) pruneActive() {
	for i := 0; i < len(s.active); {
		db := s.active[i]
		if db.keys.len() == 0 && len(db.expires) == 0 {
			db.keys.shrinkIfNeeded() // an empty table gives its buckets back first
			if db.expiresPeak > 0 {
				db.expires, db.expiresPeak = make(map[*entry]int64), 0
			}
		}
		if db.keys.len() > 0 || db.keys.rehashing() || len(db.expires) > 0 {
			i++
			continue
		}
		last := len(s.active) - 1
		s.active[i] = s.active[last]
		s.active[i].activeIdx = i
		s.active = s.active[:last]
		db.activeIdx = -1
	}
}

// ActiveDBs returns the numbers of the databases that may hold keys, in
// ascending order (INFO keyspace lists those with keys among them).
func (s *Store) ActiveDBs() []int {
	ids := make([]int, len(s.active))
	for i, db := range s.active {
		ids[i] = db.id
	}
	slices.Sort(ids)
	return ids
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

// Stats returns the keyspace counters.
func (s *Store) Stats() Stats {
	st := Stats{Hits: s.hits, Misses: s.misses, Expired: s.expired}
	st.ExpiredStalePerc = math.Float64frombits(s.expireStalePerc.Load())
	st.ExpiredTimeCapHits = s.expireTimeCapCount.Load()
	st.ExpireCycleCPU = time.Duration(s.expireCycleCPU.Load()) * time.Microsecond
	return st
}

// ResetStats zeroes the counters Stats returns, as CONFIG RESETSTAT does.
func (s *Store) ResetStats() {
	s.hits, s.misses, s.expired = 0, 0, 0
	s.freer.freed.Store(0) // lazyfreed_objects; the pending count stays
	s.expireStalePerc.Store(0)
	s.expireTimeCapCount.Store(0)
	s.expireCycleCPU.Store(0)
}
