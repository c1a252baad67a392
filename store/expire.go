package store

import (
	"math"
	"time"
)

// Active expiry parameters, Redis's defaults (active-expire-effort 1).
const (
	expireKeysPerLoop = 20 // keys sampled per database per loop
	expireStalePerc   = 10 // loop again while more than this % sampled were expired
	expireCPUPerc     = 25 // share of each cron period the cycle may use
)

// dbsPerCron is how many databases one Cron call moves along their table
// resizes, round robin, as Redis's CRON_DBS_PER_CALL.
const dbsPerCron = 16

// Cron does the periodic housekeeping Redis's serverCron does for the
// keyspace, and must be called hz times a second: it refreshes the access
// clock, runs an active expiry cycle, and moves hash tables along their
// resizes. It visits only databases that hold or recently held keys, and
// opens many short transactions, so commands are never held up for long.
func (s *Store) Cron(hz int) {
	s.Tick()
	if hz <= 0 {
		hz = 10
	}
	budget := time.Second * expireCPUPerc / 100 / time.Duration(hz)
	s.ActiveExpireCycle(budget)

	tx := s.Begin(TxOptions{AllDBs: true})
	defer tx.End()
	// Values with background work get about a millisecond in all
	// (background.go).
	deadline, spent := time.Now().Add(valueStepTime), false
	for n := 0; n < dbsPerCron && n < len(s.active); n++ {
		s.resizeCursor = (s.resizeCursor + 1) % len(s.active)
		db := s.active[s.resizeCursor]
		// About a millisecond of rehashing, as Redis's incrementallyRehash.
		db.ResizeStep(1000)
		if !spent && len(db.work) > 0 {
			spent = db.stepValues(deadline)
		}
	}
	s.pruneActive()
}

// ActiveExpireCycle deletes expired keys that no client has touched, the
// way Redis's slow cycle does: for each database with volatile keys it
// samples keys that have a deadline and deletes the expired ones, and samples
// again while more than a tenth of a sample had expired, until budget is
// spent. Each sample is a transaction of its own. It reports how many keys it
// deleted. While expiry is held (HoldExpiry) it does nothing.
func (s *Store) ActiveExpireCycle(budget time.Duration) int {
	if s.expiryHeld(s.NowMs()) {
		s.expireHeld.Store(0)
		return 0 // the keyspace stays as it is during a pause
	}
	start := time.Now()
	sampledTotal, expiredTotal := 0, 0
	timedOut := false
	var held time.Duration // with the lock, not waiting for it
	for i := 0; !timedOut; i++ {
		tx := s.Begin(TxOptions{AllDBs: true})
		if i >= len(s.active) {
			tx.End()
			break
		}
		db := s.active[i]
		tx.End()
		for iteration := 0; ; iteration++ {
			tx := s.Begin(TxOptions{AllDBs: true})
			locked := time.Now()
			sampled, expired, more := db.expireSample(tx.Now())
			tx.End()
			held += time.Since(locked)
			sampledTotal += sampled
			expiredTotal += expired
			if !more {
				break
			}
			if iteration&0xf == 0 && time.Since(start) > budget {
				timedOut = true
				s.expireTimeCapCount.Add(1)
				break
			}
			if sampled == 0 || expired*100/sampled <= expireStalePerc {
				break
			}
		}
	}
	s.expireCycleCPU.Add(time.Since(start).Microseconds())
	s.expireHeld.Store(int64(held))
	perc := 0.0
	if sampledTotal > 0 {
		perc = float64(expiredTotal) / float64(sampledTotal)
	}
	old := math.Float64frombits(s.expireStalePerc.Load())
	s.expireStalePerc.Store(math.Float64bits(perc*0.05 + old*0.95))
	return expiredTotal
}

// LastExpireCycle returns the time the last active expiry cycle held the
// store's lock, the time it kept clients waiting: Redis's expire-cycle
// latency event. It is 0 while expiry is held or before the first cycle.
func (s *Store) LastExpireCycle() time.Duration { return time.Duration(s.expireHeld.Load()) }

// expireSample takes one sample of up to expireKeysPerLoop volatile keys,
// deletes those past their deadline at now and updates the average TTL.
// more is false when the database has no volatile keys.
func (db *DB) expireSample(now int64) (sampled, expired int, more bool) {
	if len(db.expires) == 0 {
		db.avgTTL = 0
		db.compactExpires()
		return 0, 0, false
	}
	var ttlSum, ttlSamples int64
	for e, when := range db.expires {
		if sampled == expireKeysPerLoop {
			break
		}
		sampled++
		if now > when {
			db.expireEntry(e)
			expired++
			continue
		}
		ttlSum += when - now
		ttlSamples++
	}
	if ttlSamples > 0 {
		avg := ttlSum / ttlSamples
		if db.avgTTL == 0 {
			db.avgTTL = avg
		} else {
			db.avgTTL = db.avgTTL/50*49 + avg/50
		}
	}
	db.compactExpires()
	return sampled, expired, true
}

// compactExpires rebuilds the expires map when it has shrunk far below its
// peak, since a Go map keeps its largest size.
func (db *DB) compactExpires() {
	n := len(db.expires)
	if db.expiresPeak < 1024 || n > db.expiresPeak/8 {
		return
	}
	m := make(map[*entry]int64, n)
	for e, when := range db.expires {
		m[e] = when
	}
	db.expires = m
	db.expiresPeak = n
}

// HoldExpiry keeps the keyspace as it is, as far as expiry goes, until the
// clock passes until (Unix ms), or lifts the hold when until is 0: the
// server holds expiry during CLIENT PAUSE, as Redis keeps the dataset
// constant while clients are paused. Lookups then treat a key past its
// deadline as missing without deleting it (no expired_keys, no OpExpired
// record), KEYS and SCAN skip it, and neither the active cycle nor
// DeleteExpired deletes anything. A command that writes such a key anyway
// (a transaction that paused clients itself, an embedder) deletes the
// expired entry first, recording its expiry, where Redis 7.0 would fail an
// assertion. It is safe for concurrent use.
func (s *Store) HoldExpiry(until int64) { s.expiryHold.Store(until) }

// expiryHeld reports whether expiry is held at now (Unix ms).
func (s *Store) expiryHeld(now int64) bool {
	until := s.expiryHold.Load()
	return until != 0 && now <= until
}

// expireHidden deletes, as expired, the entry of key that a lookup left in
// place while expiry was held, if there is one.
func (db *DB) expireHidden(key []byte) {
	if old := db.keys.find(key); old != nil {
		db.expireEntry(old)
	}
}
