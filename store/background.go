package store

import "time"

// Background work on large values.
//
// The large representations of hashes, sets and sorted sets are dict.Dicts,
// which rehash, shrink and compact incrementally: each call that changes a
// Dict does a bounded slice of that work. A Dict that stops changing would
// keep a half-done resize, or the dead space of its deleted elements, for
// ever; Redis's cron has the same problem with its keyspace tables and
// rehashes them a millisecond at a time. Walking every key each tick to find
// such values is out of the question, so a value with work pending is
// registered when the command that left the work finishes, in its
// database's keyspace (keyspace.work), and Cron steps a bounded number of
// the registered values (stepValues).
//
// The registration is keyed by entry, so that Cron can check cheaply that
// the entry still holds its key before it touches the value: a value
// dropped from the keyspace belongs to the freer goroutine (memory.go) and
// must not be touched again. Every path that takes an entry out of a
// keyspace (deleteEntry, replaceEntry) unregisters it; RENAME and MOVE move
// the registration with the value; SWAPDB and FLUSHDB take it along with
// the keyspace.

// backgrounder is implemented by the compound values that have incremental
// work of their own: bgPending reports, in O(1), whether work remains, and
// bgStep does about budget units of it (buckets rehashed, records
// compacted) and reports whether work remains.
type backgrounder interface {
	bgPending() bool
	bgStep(budget int) (more bool)
}

// Background stepping parameters: each Cron call spends about
// valueStepTime on the registered values of the databases it visits,
// valueStepBudget units of work at a time.
const (
	valueStepTime   = time.Millisecond
	valueStepBudget = 1000
)

// recordWrite records a write of weight n to key, whose entry is e (see
// recordN), and registers e's value for background work if the write left
// some pending.
func (db *DB) recordWrite(e *entry, key []byte, n int) {
	db.recordN(OpWrite, key, n)
	db.noteWork(e)
}

// noteWork registers e's value for background work when it has some
// pending. It costs a branch for an inline value and a few loads for a
// compound one; the registration itself is a map insert, skipped when e is
// the entry registered last (a bulk load into one key).
func (db *DB) noteWork(e *entry) {
	if e.inline() {
		return
	}
	v, ok := e.value().(backgrounder)
	if !ok || !v.bgPending() || db.lastWork == e {
		return
	}
	if db.work == nil {
		db.work = make(map[*entry]struct{})
	}
	db.work[e] = struct{}{}
	db.lastWork = e
}

// unregisterWork forgets e's registration, if any: e is leaving the
// keyspace.
func (db *DB) unregisterWork(e *entry) {
	if len(db.work) == 0 {
		return
	}
	delete(db.work, e)
	if db.lastWork == e {
		db.lastWork = nil
	}
}

// moveWork carries a registration from e to ne, the entry that now holds
// e's value (RENAME), or from database db to dst (MOVE, ne == e).
func (db *DB) moveWork(e *entry, dst *DB, ne *entry) {
	if _, ok := db.work[e]; !ok {
		return
	}
	db.unregisterWork(e)
	dst.noteWork(ne)
}

// WorkPending returns how many values of db are registered for background
// work, for tests and INFO.
func (db *DB) WorkPending() int { return len(db.work) }

// stepValues does background work on db's registered values until the
// deadline, dropping those that have none left. It reports whether the
// deadline passed.
func (db *DB) stepValues(deadline time.Time) bool {
	db.lastWork = nil // the map changes under the cache
	for e := range db.work {
		if time.Now().After(deadline) {
			return true
		}
		// An entry is registered only while it is in the keyspace (see
		// above); checking costs one lookup and guards the freer's values.
		if e.inline() || db.keys.find(e.key()) != e {
			delete(db.work, e)
			continue
		}
		v, ok := e.value().(backgrounder)
		for ok && v.bgStep(valueStepBudget) {
			if time.Now().After(deadline) {
				return true
			}
		}
		delete(db.work, e)
	}
	if len(db.work) == 0 {
		db.work = nil // a map keeps its largest size
	}
	return false
}
