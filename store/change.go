package store

// The change log. Every primitive that changes a key appends a Change to the
// open transaction's buffer: a record, never a callback, so the store does
// not call into the server while a change is half made. At Commit the
// records go to the store's OnCommit consumer, which in the server feeds the
// dirty counter and, later, blocked clients, WATCH, keyspace notifications,
// client-side caching invalidations and the append log. Each change to a key
// is recorded exactly once, including the ones no command asked for: lazy
// expiry on lookup and the active expiry cycle.

// Op says what happened to a key.
type Op uint8

const (
	// OpWrite: the key was created or its value changed (SET, INCR, APPEND,
	// SETRANGE, MSET…). A deadline given with the write (SET … EX) is part
	// of it.
	OpWrite Op = iota
	// OpDelete: a command deleted the key (DEL, UNLINK, GETDEL, a deadline
	// in the past…).
	OpDelete
	// OpExpire: the key's deadline was set or changed.
	OpExpire
	// OpPersist: the key's deadline was removed.
	OpPersist
	// OpExpired: the key was deleted because its deadline had passed, on
	// lookup or by the active expiry cycle.
	OpExpired
	// OpRenameFrom and OpRenameTo: RENAME moved the value from Key to the
	// key of the OpRenameTo record that follows, in the same database.
	OpRenameFrom
	OpRenameTo
	// OpMoveFrom and OpMoveTo: MOVE took Key from DB to Other (From) or
	// brought it from Other into DB (To).
	OpMoveFrom
	OpMoveTo
	// OpCopyTo: COPY wrote Key in DB from a key in database Other.
	OpCopyTo
	// OpFlush: every key of DB was deleted (FLUSHDB, FLUSHALL); Key is nil
	// and N is how many keys there were.
	OpFlush
	// OpSwap: databases DB and Other exchanged their contents (SWAPDB).
	OpSwap
)

var opNames = [...]string{"write", "delete", "expire", "persist", "expired",
	"rename_from", "rename_to", "move_from", "move_to", "copy_to", "flush", "swap"}

// String names the operation, for logs and tests.
func (op Op) String() string {
	if int(op) < len(opNames) {
		return opNames[op]
	}
	return "unknown"
}

// Change is one record of the change log.
type Change struct {
	Op    Op
	DB    int
	Other int // the other database of a move, copy or swap
	// Key is the key changed, nil for flushes and swaps. It aliases the
	// store's or the command's memory and is valid until Commit returns:
	// consumers copy what they keep.
	Key []byte
	// N is how many keys a flush deleted. For OpWrite and OpDelete it is
	// the command's weight in the dirty counter when Redis counts more
	// than one for a key (HSET of three fields, LPUSH of five elements,
	// the SPOP that empties a set: N = 3, 5…); 0 means 1, and NoDirty
	// none.
	N int

	// flushed is the keyspace a flush replaced, so that consumers can ask
	// which keys it held (FlushedHas).
	flushed *keyspace
}

// FlushedHas reports whether the keyspace an OpFlush record removed held key.
// Like Redis's WATCH after FLUSHDB, it checks presence, not deadlines.
func (c *Change) FlushedHas(key []byte) bool {
	return c.flushed != nil && c.flushed.keys.find(key) != nil
}

// NoDirty as a write's or delete's N says that the change adds nothing to
// the dirty counter, as Redis counts it: the destination of LMOVE (the
// move counts once, for its source), or an LTRIM that removed nothing but
// still signals the key as modified.
const NoDirty = -1

// Dirty is how much a change adds to the count of changes since the last
// save (INFO's rdb_changes_since_last_save), as Redis 7.0 counts them: one
// per key changed, the keys of a flush, nothing for expiry (which Redis
// propagates as a DEL but does not count), and one for a rename, move or
// swap as a whole.
func (c *Change) Dirty() int64 {
	switch c.Op {
	case OpExpired, OpRenameFrom, OpMoveFrom:
		return 0
	case OpFlush:
		return int64(c.N)
	case OpWrite, OpDelete:
		if c.N < 0 { // NoDirty
			return 0
		}
		return int64(max(c.N, 1))
	}
	return 1
}
