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

// Cron does the periodic housekeeping Redis's serverCron does for the
// keyspace, and must be called hz times a second: it refreshes the access
// clock, runs an active expiry cycle, and moves hash tables along their
// resizes. It takes each database's lock briefly, many times, so commands are
// never held up for long.
func (s *Store) Cron(hz int) {
	s.Tick()
	if hz <= 0 {
		hz = 10
	}
	budget := time.Second * expireCPUPerc / 100 / time.Duration(hz)
	s.ActiveExpireCycle(budget)
	for _, db := range s.dbs {
		db.mu.Lock()
		// About a millisecond of rehashing, as Redis's incrementallyRehash.
		db.ResizeStep(1000)
		db.mu.Unlock()
	}
}

// ActiveExpireCycle deletes expired keys that no client has touched, the
// way Redis's slow cycle does: for each database it samples keys that have a
// deadline and deletes the expired ones, and samples again while more than a
// tenth of a sample had expired, until budget is spent. It reports how many
// keys it deleted.
func (s *Store) ActiveExpireCycle(budget time.Duration) int {
	start := time.Now()
	sampledTotal, expiredTotal := 0, 0
	timedOut := false
	for _, db := range s.dbs {
		for iteration := 0; ; iteration++ {
			sampled, expired, more := db.expireSample()
			sampledTotal += sampled
			expiredTotal += expired
			if !more {
				break
			}
			if iteration&0xf == 0 && time.Since(start) > budget {
				timedOut = true
				break
			}
			if sampled == 0 || expired*100/sampled <= expireStalePerc {
				break
			}
		}
		if timedOut {
			s.expireTimeCapCount.Add(1)
			break
		}
	}
	s.expireCycleCPU.Add(time.Since(start).Microseconds())
	perc := 0.0
	if sampledTotal > 0 {
		perc = float64(expiredTotal) / float64(sampledTotal)
	}
	old := math.Float64frombits(s.expireStalePerc.Load())
	s.expireStalePerc.Store(math.Float64bits(perc*0.05 + old*0.95))
	return expiredTotal
}

// expireSample takes one sample of up to expireKeysPerLoop volatile keys,
// deletes those past their deadline and updates the average TTL. more is
// false when the database has no volatile keys.
func (db *DB) expireSample() (sampled, expired int, more bool) {
	db.mu.Lock()
	defer db.mu.Unlock()
	if len(db.expires) == 0 {
		db.avgTTL = 0
		db.compactExpires()
		return 0, 0, false
	}
	now := db.st.NowMs()
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
