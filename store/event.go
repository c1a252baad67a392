package store

// Keyspace events. Beside the change log, a transaction keeps the keyspace
// notifications its steps fire, in the order Redis fires them: the store
// records the ones that Redis's keyspace layer fires itself (a key expired
// on lookup or by the active cycle, a key created, a read lookup that
// missed), and command handlers record their commands' events (DB.Notify)
// after the store call that made the change. At Commit the consumer reads
// them (Tx.Events) and publishes them; the store never formats a channel.
//
// The change log and the events are kept apart on purpose: a Change means
// the same thing to every consumer (dirty counter, blocking, WATCH,
// tracking) whether notifications are on or off, while events exist only
// when a class of them is enabled. With none enabled, recording costs one
// load and one predictable branch at each point where an event could fire,
// and nothing is allocated.

import "sync/atomic"

// EventClass is a set of keyspace event classes, with the bit values of
// Redis's NOTIFY_* flags, so that the "notify-keyspace-events" letters map
// onto it unchanged.
type EventClass uint32

// The classes, and the letters "notify-keyspace-events" uses for them.
const (
	EventKeyspace EventClass = 1 << iota // K: publish on __keyspace@<db>__:<key>
	EventKeyevent                        // E: publish on __keyevent@<db>__:<event>
	EventGeneric                         // g: DEL, EXPIRE, RENAME… (type-independent)
	EventString                          // $
	EventList                            // l
	EventSet                             // s
	EventHash                            // h
	EventZset                            // z
	EventExpired                         // x: a key deleted at its deadline
	EventEvicted                         // e: a key evicted for maxmemory
	EventStream                          // t
	EventKeyMiss                         // m: a read lookup found no key
	EventLoaded                          // modules only: a key loaded from a file
	EventModule                          // d
	EventNew                             // n: a key was created
)

// EventAll is the letter A: every class but key misses and new keys.
const EventAll = EventGeneric | EventString | EventList | EventSet | EventHash |
	EventZset | EventExpired | EventEvicted | EventStream | EventModule

// Event is one keyspace notification: the event Name (Redis's: "set",
// "lpush", "expired"…) of class Class happened to Key in database DB.
type Event struct {
	Class EventClass
	Name  string
	DB    int
	// Key aliases the store's or the command's memory, like Change.Key,
	// and is valid until Commit returns.
	Key []byte
}

// notifyState is the store's notification setting, read on every path
// where an event may fire.
type notifyState struct {
	// mask holds the enabled classes and the K and E bits, or nothing at
	// all when neither K nor E is set, since nothing would be published:
	// a single test against a class says whether to record.
	mask atomic.Uint32
}

// SetNotify sets which keyspace events are recorded, from the
// "notify-keyspace-events" flags: the classes, and whether they are
// published on keyspace (EventKeyspace) and keyevent (EventKeyevent)
// channels. Flags with neither K nor E record nothing. It is safe for
// concurrent use; a transaction sees the change at its next event.
func (s *Store) SetNotify(flags EventClass) {
	if flags&(EventKeyspace|EventKeyevent) == 0 {
		flags = 0
	}
	s.notify.mask.Store(uint32(flags))
}

// Notify returns the flags SetNotify put in force (0 when nothing is
// recorded). The consumer of Tx.Events reads K and E here.
func (s *Store) Notify() EventClass { return EventClass(s.notify.mask.Load()) }

// Notifies reports whether events of class are recorded, for handlers that
// would otherwise compute an event's name for nothing.
func (db *DB) Notifies(class EventClass) bool {
	return EventClass(db.st.notify.mask.Load())&class != 0
}

// Notify records the event name of class about key in db, if that class is
// enabled, as Redis's notifyKeyspaceEvent. Handlers call it after the store
// call that made the change, in Redis's order; key must stay valid until
// the step commits (a command argument does).
func (db *DB) Notify(class EventClass, name string, key []byte) {
	if EventClass(db.st.notify.mask.Load())&class != 0 {
		db.st.tx.addEvent(class, name, db.id, key)
	}
}

// NotifyEmptied records the event name of class about key, as Notify, and
// then the generic "del" if key is no longer in db: Redis's pattern for a
// command that removed elements and deleted the collection it emptied
// (LPOP, SREM, ZREM, HDEL…). The caller calls it only when something was
// removed.
func (db *DB) NotifyEmptied(class EventClass, name string, key []byte) {
	m := EventClass(db.st.notify.mask.Load())
	if m&(class|EventGeneric) == 0 {
		return
	}
	if m&class != 0 {
		db.st.tx.addEvent(class, name, db.id, key)
	}
	if m&EventGeneric != 0 && db.keys.find(key) == nil {
		db.st.tx.addEvent(EventGeneric, "del", db.id, key)
	}
}

// NotifyStored records the events of a command that stored n elements at
// key (SINTERSTORE, ZUNIONSTORE, SORT … STORE…): its event name of class
// when it stored any, else the generic "del" if the store call just
// deleted key (its last change), as those commands do with an empty
// result.
func (db *DB) NotifyStored(class EventClass, name string, key []byte, n int) {
	m := EventClass(db.st.notify.mask.Load())
	if m&(class|EventGeneric) == 0 {
		return
	}
	if n > 0 {
		db.Notify(class, name, key)
		return
	}
	if ch := db.st.tx.changes; m&EventGeneric != 0 && len(ch) > 0 {
		if last := ch[len(ch)-1]; last.Op == OpDelete && last.DB == db.id && string(last.Key) == string(key) {
			db.st.tx.addEvent(EventGeneric, "del", db.id, key)
		}
	}
}

// notifyRemoved is NotifyEmptied for the store's own primitives, which
// know whether they deleted the key.
func (db *DB) notifyRemoved(class EventClass, name string, key []byte, deleted bool) {
	m := EventClass(db.st.notify.mask.Load())
	if m&(class|EventGeneric) == 0 {
		return
	}
	if m&class != 0 {
		db.st.tx.addEvent(class, name, db.id, key)
	}
	if deleted && m&EventGeneric != 0 {
		db.st.tx.addEvent(EventGeneric, "del", db.id, key)
	}
}

func (tx *Tx) addEvent(class EventClass, name string, db int, key []byte) {
	tx.events = append(tx.events, Event{Class: class, Name: name, DB: db, Key: key})
}

// keepKey returns a copy of key that stays valid until the step commits,
// from the transaction's arena: chunks that are never reallocated, so
// earlier copies stay put, and whose last one is reused by the next step.
func (tx *Tx) keepKey(key []byte) []byte {
	if len(key) > cap(tx.arena)-len(tx.arena) {
		tx.arena = make([]byte, 0, max(arenaChunk, len(key)))
	}
	n := len(tx.arena)
	tx.arena = append(tx.arena, key...)
	return tx.arena[n:len(tx.arena):len(tx.arena)]
}

// arenaChunk is the size of the chunks keepKey copies keys into.
const arenaChunk = 4096

// Events returns the keyspace events recorded since the consumer was last
// called, in order, for the OnCommit consumer to publish. Like the changes,
// the slice is valid until the consumer returns.
func (tx *Tx) Events() []Event { return tx.events[tx.evFrom:tx.evTo] }

// TakeEvents returns the events recorded since the consumer or TakeEvents
// last saw them, in the middle of a step, and marks them seen: the
// consumer will not get them at Commit. It is for a caller that must
// publish them before the step ends (EXEC's commands, for a client that
// receives its own events between their replies). The slice is valid until
// the step commits.
func (tx *Tx) TakeEvents() []Event {
	evs := tx.events[tx.evTo:]
	tx.evFrom, tx.evTo = tx.evTo, len(tx.events)
	return evs
}
