package store

import "github.com/redoubt-db/redoubt/internal/num"

// Encoding limits, as Redis has them.
const (
	// embstrMaxLen is the longest string Redis stores as "embstr".
	embstrMaxLen = 44
	// sharedIntegers is the bound below which integers are shared objects.
	sharedIntegers = 10000
)

// stringEncoding returns the encoding Redis's tryObjectEncoding gives a
// string value written whole (SET, MSET, GETSET, APPEND to a new key…).
func stringEncoding(val []byte) Encoding {
	if len(val) <= num.MaxInt64Len {
		if n, ok := num.ParseInt(val); ok {
			if n >= 0 && n < sharedIntegers {
				return EncSharedInt
			}
			return EncInt
		}
	}
	if len(val) <= embstrMaxLen {
		return EncEmbstr
	}
	return EncRaw
}

// Get returns the string at key. ok is false when the key does not exist; err
// is ErrWrongType when it holds another type. The value aliases the store's
// memory.
func (db *DB) Get(key []byte) (val []byte, ok bool, err error) {
	e := db.lookup(key, 0)
	if e == nil {
		return nil, false, nil
	}
	if e.typ() != TypeString {
		return nil, false, ErrWrongType
	}
	return e.str(), true, nil
}

// SetOptions are the conditions and deadline of a SET.
type SetOptions struct {
	NX      bool  // only set a key that does not exist
	XX      bool  // only set a key that exists
	KeepTTL bool  // keep the key's deadline instead of clearing it
	Get     bool  // return the old string value (SET … GET); WRONGTYPE if not a string
	At      int64 // deadline in Unix ms, or 0 for none
}

// SetResult reports what a Set did.
type SetResult struct {
	Set   bool   // the value was written
	OldOK bool   // with Get: the key held a string
	Old   []byte // with Get: a copy of the old value
}

// Set writes val at key under opt's conditions, as SET does. With opt.Get and
// a key of another type it returns ErrWrongType and changes nothing.
func (db *DB) Set(key, val []byte, opt SetOptions) (SetResult, error) {
	var res SetResult
	if opt.Get {
		// SET … GET reads the key as GET would, counting a hit or miss.
		if e := db.lookup(key, 0); e != nil {
			if e.typ() != TypeString {
				return res, ErrWrongType
			}
			res.OldOK = true
			res.Old = append([]byte(nil), e.str()...)
		}
	}
	e := db.lookup(key, Write)
	if (opt.NX && e != nil) || (opt.XX && e == nil) {
		return res, nil
	}
	e = db.setString(e, key, val, stringEncoding(val), opt.KeepTTL)
	if opt.At != 0 {
		db.setExpireEntry(e, opt.At)
	}
	res.Set = true
	return res, nil
}

// setString stores val at key, in e if the key exists (e is its live entry)
// or in a new entry, clearing the deadline unless keepTTL. It returns the
// entry now holding the key.
func (db *DB) setString(e *entry, key, val []byte, enc Encoding, keepTTL bool) *entry {
	if e == nil {
		e = newStringEntry(key, val, enc, db.st.lruClock.Load())
		db.keys.insert(e)
		return e
	}
	if !keepTTL {
		db.persistEntry(e)
	}
	if e.typ() != TypeString {
		// A value of another type is replaced by a fresh string entry.
		ne := newStringEntry(key, val, enc, e.lru())
		if e.volatile() {
			db.setExpireEntry(ne, db.expires[e])
			db.persistEntry(e)
		}
		db.keys.replace(e, ne)
		return ne
	}
	e.setString(val, enc)
	return e
}
