package store

import (
	"math"
	"strconv"

	"github.com/redoubt-db/redoubt/internal/num"
)

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
	if n, ok := num.ParseInt(val); ok {
		return intEncoding(n)
	}
	return sizeEncoding(val)
}

// ShareMin is the length from which the string values that reads return
// (Get, GetEx, GetDel, MGet, GetRange, Set with Get) are shared with the
// caller rather than lent: the entry is marked shared (see
// entry.setShared), so the bytes stay valid and unchanged after the
// transaction ends, whatever later commands do to the key, for as long as
// the caller keeps them. The server writes such a value to its client
// without copying it. A shorter value aliases the store's memory only until
// the transaction ends, and a caller that needs it later copies it.
//
// Sharing costs the next in-place write of the value (APPEND, SETRANGE, a
// SET that fits) one copy into a new allocation, which the copy of a reply
// of this size would have cost anyway.
const ShareMin = 16 << 10

// shareStr returns a string entry's value for a caller that may keep it:
// one of ShareMin bytes or more is shared (see ShareMin).
func (e *entry) shareStr() []byte {
	if e.vlen >= ShareMin {
		e.setShared()
	}
	return e.str()
}

// Get returns the string at key. ok is false when the key does not exist; err
// is ErrWrongType when it holds another type. The value is shared if it is
// long and otherwise aliases the store's memory (see ShareMin).
func (db *DB) Get(key []byte) (val []byte, ok bool, err error) {
	e := db.lookup(key, 0)
	if e == nil {
		return nil, false, nil
	}
	if e.typ() != TypeString {
		return nil, false, ErrWrongType
	}
	return e.shareStr(), true, nil
}

// SetOptions are the conditions and deadline of a SET.
type SetOptions struct {
	NX      bool  // only set a key that does not exist
	XX      bool  // only set a key that exists
	KeepTTL bool  // keep the key's deadline instead of clearing it
	Get     bool  // return the old string value (SET … GET); WRONGTYPE if not a string
	At      int64 // deadline in Unix ms, or 0 for none
	// Frame, if set, is an allocation that ends with val and has free
	// bytes before it, which the caller hands over (a big argument as the
	// reader received it): when the key fits in those bytes, the value is
	// kept where it is rather than copied, so a 500 MB SET costs 500 MB.
	Frame []byte
}

// SetResult reports what a Set did.
type SetResult struct {
	Set   bool   // the value was written
	OldOK bool   // with Get: the key held a string
	Old   []byte // with Get: the old value, shared if long (see ShareMin), else a copy
}

// Set writes val at key under opt's conditions, as SET does. With opt.Get and
// a key of another type it returns ErrWrongType and changes nothing.
func (db *DB) Set(key, val []byte, opt SetOptions) (SetResult, error) {
	var res SetResult
	// SET … GET reads the key as GET does, counting a hit or miss; a plain
	// SET looks it up only to write it.
	flags := Write
	if opt.Get {
		flags = 0
	}
	e := db.lookup(key, flags)
	if opt.Get && e != nil {
		if e.typ() != TypeString {
			return res, ErrWrongType
		}
		res.OldOK = true
		if e.vlen >= ShareMin {
			// The write below moves the value to a new allocation
			// instead of overwriting these bytes.
			res.Old = e.shareStr()
		} else {
			res.Old = append([]byte(nil), e.str()...)
		}
	}
	if (opt.NX && e != nil) || (opt.XX && e == nil) {
		return res, nil
	}
	// With a new deadline, the old one is overwritten in place below rather
	// than deleted and added again.
	if opt.Frame != nil && len(val) > embstrMaxLen {
		e = db.adoptString(e, key, val, opt.Frame, opt.KeepTTL || opt.At != 0)
	} else {
		e = db.setString(e, key, val, stringEncoding(val), opt.KeepTTL || opt.At != 0)
	}
	if opt.At != 0 {
		db.setExpireEntry(e, opt.At)
	}
	res.Set = true
	return res, nil
}

// setString stores val at key, in e if the key exists (e is its live entry)
// or in a new entry, clearing the deadline unless keepTTL, and records the
// write. It returns the entry now holding the key.
func (db *DB) setString(e *entry, key, val []byte, enc Encoding, keepTTL bool) *entry {
	db.record(OpWrite, key)
	if e == nil {
		e = newStringEntry(key, val, enc, db.st.lruClock.Load())
		db.insertEntry(e)
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
		db.replaceEntry(e, ne)
		db.drop(e, db.st.lazy(lazyServerDelBit))
		return ne
	}
	db.setInPlace(e, val, enc)
	return e
}

// setInPlace writes a string over the string entry e, reporting the old
// allocation's bytes as freed when the write moved the value to a new one.
func (db *DB) setInPlace(e *entry, val []byte, enc Encoding) {
	p, size := e.p, int(e.klen)+int(e.vcap)
	e.setString(val, enc)
	if e.p != p {
		db.st.noteFreed(allocBytes(size))
	}
}

// adoptString is setString for a value that frame holds and the caller
// hands over: the entry takes frame's allocation when the key fits in front
// of the value, and otherwise copies as setString does.
func (db *DB) adoptString(e *entry, key, val, frame []byte, keepTTL bool) *entry {
	enc := stringEncoding(val)
	ne := &entry{meta: uint32(enc & metaEncMask)}
	if !ne.adopt(key, frame, len(val)) {
		return db.setString(e, key, val, enc, keepTTL)
	}
	db.record(OpWrite, key)
	if e == nil {
		ne.setLRU(db.st.lruClock.Load())
		db.insertEntry(ne)
		return ne
	}
	ne.setLRU(e.lru())
	if keepTTL && e.volatile() {
		db.setExpireEntry(ne, db.expires[e])
	}
	db.persistEntry(e)
	db.replaceEntry(e, ne)
	db.drop(e, db.st.lazy(lazyServerDelBit))
	return ne
}

// sizeEncoding returns the encoding of a string Redis creates without
// trying the integer form (INCRBYFLOAT's result), or that is not one:
// embstr or raw by length.
func sizeEncoding(val []byte) Encoding {
	if len(val) <= embstrMaxLen {
		return EncEmbstr
	}
	return EncRaw
}

// intEncoding returns the encoding of an integer result (INCR and friends):
// a shared object below 10000, an int otherwise.
func intEncoding(n int64) Encoding {
	if n >= 0 && n < sharedIntegers {
		return EncSharedInt
	}
	return EncInt
}

// stringEntry returns the live entry for key and its value, with ErrWrongType
// when it holds another type. e is nil when the key does not exist.
func (db *DB) stringEntry(key []byte, flags LookupFlags) (*entry, error) {
	e := db.lookup(key, flags)
	if e != nil && e.typ() != TypeString {
		return nil, ErrWrongType
	}
	return e, nil
}

// GetExOptions say what GETEX does to the key's deadline.
type GetExOptions struct {
	// At is the new deadline in Unix ms, or 0 to leave it alone.
	At int64
	// Absolute means At came from EXAT or PXAT: a deadline already past
	// deletes the key.
	Absolute bool
	// Persist removes the deadline.
	Persist bool
}

// GetEx returns the string at key as GET does, then applies opt. With a
// zero opt it changes nothing (GETEX whose expiry argument is invalid uses
// that, so that the key is looked up and type-checked first, as in Redis).
// The value is returned as Get returns it, even when the key was deleted.
// It fires GETEX's event: "del", "expire", or "persist" when a deadline was
// removed.
func (db *DB) GetEx(key []byte, opt GetExOptions) (val []byte, ok bool, err error) {
	e, err := db.stringEntry(key, 0)
	if e == nil || err != nil {
		return nil, false, err
	}
	val = e.shareStr()
	switch {
	case opt.At != 0 && opt.Absolute && opt.At <= db.now():
		db.deleteEntry(e)
		db.record(OpDelete, key)
		db.drop(e, db.st.lazy(lazyExpireBit))
		db.Notify(EventGeneric, "del", key)
	case opt.At != 0:
		db.setExpireEntry(e, opt.At)
		db.record(OpExpire, key)
		db.Notify(EventGeneric, "expire", key)
	case opt.Persist:
		if db.persistEntry(e) {
			db.record(OpPersist, key)
			db.Notify(EventGeneric, "persist", key)
		}
	}
	return val, true, nil
}

// GetDel returns the string at key and deletes the key. The value is
// returned as Get returns it.
func (db *DB) GetDel(key []byte) (val []byte, ok bool, err error) {
	e, err := db.stringEntry(key, 0)
	if e == nil || err != nil {
		return nil, false, err
	}
	val = e.shareStr()
	db.deleteEntry(e)
	db.record(OpDelete, key)
	db.drop(e, db.st.lazy(lazyUserDelBit))
	return val, true, nil
}

// MGet calls fn with the value of each key in order; ok is false for a
// missing key or one that holds another type. Values are passed as Get
// returns them.
func (db *DB) MGet(keys [][]byte, fn func(val []byte, ok bool)) {
	for _, k := range keys {
		e := db.lookup(k, 0)
		if e == nil || e.typ() != TypeString {
			fn(nil, false)
			continue
		}
		fn(e.shareStr(), true)
	}
}

// MSet stores pairs (key, value, key, value…) as SET does each, clearing
// deadlines. A key given twice ends up with its last value. Each write
// fires the "set" event right after it (and after the key's "new"), as
// MSET does.
func (db *DB) MSet(pairs [][]byte) {
	for i := 0; i+1 < len(pairs); i += 2 {
		key, val := pairs[i], pairs[i+1]
		db.setString(db.lookup(key, Write), key, val, stringEncoding(val), false)
		db.Notify(EventString, "set", key)
	}
}

// MSetNX stores pairs as MSet does only if none of the keys exists, and
// reports whether it did. A key given twice is fine (CVE-2023-28425 made
// Redis assert on it): it ends up with its last value.
func (db *DB) MSetNX(pairs [][]byte) bool {
	for i := 0; i < len(pairs); i += 2 {
		if db.lookup(pairs[i], Write) != nil {
			return false
		}
	}
	db.MSet(pairs)
	return true
}

// StrLen returns the length of the string at key, 0 if it does not exist.
func (db *DB) StrLen(key []byte) (int, error) {
	e, err := db.stringEntry(key, 0)
	if e == nil || err != nil {
		return 0, err
	}
	return int(e.vlen), nil
}

// Append appends val to the string at key, creating the key as SET would
// if it does not exist, and returns the new length. It returns ErrTooLarge,
// changing nothing, when the result would be longer than maxLen
// (proto-max-bulk-len). The value is then "raw", even when val is empty.
func (db *DB) Append(key, val []byte, maxLen int64) (int, error) {
	e, err := db.stringEntry(key, Write)
	if err != nil {
		return 0, err
	}
	if e == nil {
		e = db.setString(nil, key, val, stringEncoding(val), false)
		return int(e.vlen), nil
	}
	maxLen = min(maxLen, maxPayload) // an entry's length is 32 bits
	old := int64(e.vlen)
	if int64(len(val)) > maxLen-old {
		return 0, ErrTooLarge
	}
	buf := e.growString(int(old) + len(val))
	copy(buf[old:], val)
	e.setEnc(EncRaw)
	db.record(OpWrite, key)
	return len(buf), nil
}

// SetRange overwrites the string at key from offset on with val, padding
// with zero bytes, and returns the new length. offset must not be negative.
// An empty val changes nothing and creates no key. It returns ErrTooLarge,
// changing nothing, when offset+len(val) would exceed maxLen
// (proto-max-bulk-len); the check is made without the addition, which
// could overflow (CVE-2022-35977). A modified value is "raw".
func (db *DB) SetRange(key []byte, offset int64, val []byte, maxLen int64) (int, error) {
	e, err := db.stringEntry(key, Write)
	if err != nil {
		return 0, err
	}
	if len(val) == 0 {
		if e == nil {
			return 0, nil
		}
		return int(e.vlen), nil
	}
	maxLen = min(maxLen, maxPayload) // an entry's length is 32 bits
	if offset < 0 || offset > maxLen-int64(len(val)) {
		return 0, ErrTooLarge
	}
	end := int(offset) + len(val)
	if e == nil {
		e = db.setString(nil, key, nil, EncRaw, false) // records the write
	} else {
		db.record(OpWrite, key)
	}
	buf := e.growString(max(end, int(e.vlen)))
	copy(buf[offset:], val)
	e.setEnc(EncRaw)
	return len(buf), nil
}

// GetRange returns the bytes of the string at key between start and end,
// both included, with GETRANGE's rules: negative indexes count from the
// end, out-of-range indexes are clamped, and an empty range or a missing
// key gives an empty (non-nil) slice. A result of ShareMin bytes or more
// is shared; a shorter one aliases the store's memory (see ShareMin).
func (db *DB) GetRange(key []byte, start, end int64) ([]byte, error) {
	e, err := db.stringEntry(key, 0)
	if err != nil {
		return nil, err
	}
	if e == nil {
		return []byte{}, nil
	}
	s := e.str()
	n := int64(len(s))
	if start < 0 && end < 0 && start > end {
		return []byte{}, nil
	}
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	start, end = max(start, 0), max(end, 0)
	if end >= n {
		end = n - 1
	}
	if start > end || n == 0 {
		return []byte{}, nil
	}
	if end+1-start >= ShareMin {
		e.setShared()
	}
	return s[start : end+1], nil
}

// IncrBy adds delta to the integer at key, a missing key counting as 0,
// and returns the result. The key's deadline is kept. It returns
// ErrNotInteger when the value is not a 64-bit integer and ErrOverflow when
// the sum would not be one.
func (db *DB) IncrBy(key []byte, delta int64) (int64, error) {
	e, err := db.stringEntry(key, Write)
	if err != nil {
		return 0, err
	}
	var cur int64
	if e != nil {
		var ok bool
		if cur, ok = num.ParseInt(e.str()); !ok {
			return 0, ErrNotInteger
		}
	}
	if (delta < 0 && cur < 0 && delta < math.MinInt64-cur) ||
		(delta > 0 && cur > 0 && delta > math.MaxInt64-cur) {
		return 0, ErrOverflow
	}
	n := cur + delta
	var buf [num.MaxInt64Len]byte
	db.setString(e, key, strconv.AppendInt(buf[:0], n, 10), intEncoding(n), true)
	return n, nil
}

// IncrByFloat adds the increment incr, given as text, to the number at key,
// a missing key counting as 0, in C's long double arithmetic as Redis does,
// and returns the result as Redis prints it. The key's deadline is kept. It
// returns ErrNotFloat when the value or incr is not a valid float (checked
// in that order, after the type) and ErrNaNOrInf when the sum is not
// finite. The result aliases the store's memory.
func (db *DB) IncrByFloat(key, incr []byte) ([]byte, error) {
	e, err := db.stringEntry(key, Write)
	if err != nil {
		return nil, err
	}
	var cur num.LongDouble
	if e != nil {
		var ok bool
		if enc := e.enc(); enc == EncInt || enc == EncSharedInt {
			n, _ := num.ParseInt(e.str())
			cur = num.LongDoubleFromInt(n)
		} else if cur, ok = num.ParseLongDouble(e.str()); !ok {
			return nil, ErrNotFloat
		}
	}
	d, ok := num.ParseLongDouble(incr)
	if !ok {
		return nil, ErrNotFloat
	}
	sum, ok := cur.Add(d)
	if !ok {
		return nil, ErrNaNOrInf
	}
	var buf [64]byte
	val := num.AppendLongDouble(buf[:0], sum)
	e = db.setString(e, key, val, sizeEncoding(val), true)
	return e.str(), nil
}

// LCSValues returns the strings at two keys for LCS, a missing key giving
// an empty string. Both keys are looked up before either type is checked,
// as Redis does. The values alias the store's memory.
func (db *DB) LCSValues(key1, key2 []byte) (a, b []byte, err error) {
	e1 := db.lookup(key1, 0)
	e2 := db.lookup(key2, 0)
	if (e1 != nil && e1.typ() != TypeString) || (e2 != nil && e2.typ() != TypeString) {
		return nil, nil, ErrWrongType
	}
	if e1 != nil {
		a = e1.str()
	}
	if e2 != nil {
		b = e2.str()
	}
	return a, b, nil
}
