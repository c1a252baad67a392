package store

import (
	"errors"
	"math/rand/v2"
	"strconv"
	"unsafe"

	"github.com/redoubt-db/redoubt/internal/num"
	"github.com/redoubt-db/redoubt/store/internal/listpack"
)

// Hashes, in Redis 7.0's two representations:
//
//   - "listpack" (EncHashListpack): the entry's inline payload is a listpack
//     of field, value, field, value… in insertion order. It is one byte
//     slice with no pointers, so a hash of ten small fields costs its entry
//     and one allocation.
//   - "hashtable" (EncHashHashtable): a compound entry holding a *hashTable,
//     the dict package's table of fields to values, which keeps its bytes in
//     arenas rather than a Go object per field.
//
// A hash leaves the listpack exactly when Redis's t_hash.c converts it: when
// a command is about to store a field or value longer than
// hash-max-listpack-value bytes (HSET, HMSET and HSETNX check all their
// arguments first, as hashTypeTryConversion does; HINCRBY and HINCRBYFLOAT
// check the field and the new value, as hashTypeSet does), when the listpack
// would pass the 1 GiB that Redis's lpSafeToAdd allows, or when it holds more
// than hash-max-listpack-entries fields after an addition. It never goes
// back, even when fields are deleted or the limits are raised.

// Errors of the hash commands, whose Redis texts differ from the string
// commands' ones.
var (
	// ErrHashNotInteger means HINCRBY met a value that is not a 64-bit
	// integer.
	ErrHashNotInteger = errors.New("store: hash value is not an integer")
	// ErrHashNotFloat means HINCRBYFLOAT met a value that is not a number.
	ErrHashNotFloat = errors.New("store: hash value is not a float")
)

// hashEntry returns the live entry for key, nil if there is none, and
// ErrWrongType when it holds another type.
func (db *DB) hashEntry(key []byte, flags LookupFlags) (*entry, error) {
	e := db.lookup(key, flags)
	if e != nil && e.typ() != TypeHash {
		return nil, ErrWrongType
	}
	return e, nil
}

// Hash is a read-only view of a hash value, as HashRead returns it. The
// zero Hash is a missing key: it has no fields. A view, and every byte slice
// its methods pass or return, is valid only until the transaction's next
// change of the store, and at the latest until the transaction ends; copy
// what must live longer.
type Hash struct{ e *entry }

// HashRead looks key up as a read command does (counting a hit or miss and
// touching it) and returns a view of its hash; the view is the zero Hash
// when the key does not exist, and err is ErrWrongType when it holds
// another type.
func (db *DB) HashRead(key []byte) (Hash, error) {
	e, err := db.hashEntry(key, 0)
	return Hash{e}, err
}

// Exists reports whether the key exists.
func (h Hash) Exists() bool { return h.e != nil }

// Encoding returns the representation, EncHashListpack or EncHashHashtable.
func (h Hash) Encoding() Encoding { return h.e.enc() }

// Len returns the number of fields, 0 for a missing key.
func (h Hash) Len() int {
	switch {
	case h.e == nil:
		return 0
	case h.e.inline():
		return listpack.Len(h.e.payload()) / 2
	}
	return h.table().len()
}

func (h Hash) table() *hashTable { return h.e.value().(*hashTable) }

// Get returns the value of field and whether the field exists. A value
// stored as an integer in a listpack is formatted into buf (give it a
// capacity of at least 20 bytes to avoid an allocation); any other value
// aliases the store's memory.
func (h Hash) Get(field, buf []byte) ([]byte, bool) {
	if h.e == nil {
		return nil, false
	}
	if !h.e.inline() {
		return h.table().get(field)
	}
	lp := h.e.payload()
	p := lpFindField(lp, field)
	if p < 0 {
		return nil, false
	}
	return listpack.Get(lp, listpack.Next(lp, p), buf), true
}

// StrLen returns the length of field's value, 0 when it does not exist,
// as HSTRLEN does.
func (h Hash) StrLen(field []byte) int {
	var buf [listpack.IntBufSize]byte
	v, _ := h.Get(field, buf[:0])
	return len(v)
}

// Each calls fn with every field and value, in the listpack's order or the
// table's. The slices are valid during the call only.
func (h Hash) Each(fn func(field, val []byte)) {
	if h.e == nil {
		return
	}
	if !h.e.inline() {
		h.table().each(func(f, v []byte) bool { fn(f, v); return true })
		return
	}
	var fbuf, vbuf [listpack.IntBufSize]byte
	lp := h.e.payload()
	for p := listpack.First(lp); p >= 0; {
		vp := listpack.Next(lp, p)
		fn(listpack.Get(lp, p, fbuf[:0]), listpack.Get(lp, vp, vbuf[:0]))
		p = listpack.Next(lp, vp)
	}
}

// Scan does one step of an HSCAN iteration from cursor: a listpack hash
// passes every field and value and returns cursor 0, as Redis does for
// compact encodings; a hashtable one visits the table's buckets from cursor
// in reverse-binary order until it has passed at least count fields, or
// visited 20×count buckets (Redis's ten per element, a field and its value
// being two), or reached the end (next cursor 0). Every field
// present from the first call to the last of an iteration is passed at
// least once. The slices are valid during the call only.
func (h Hash) Scan(cursor uint64, count int64, fn func(field, val []byte)) uint64 {
	if h.e == nil {
		return 0
	}
	if h.e.inline() {
		h.Each(fn)
		return 0
	}
	return h.table().scan(cursor, count, fn)
}

// RandomField returns a field and its value chosen uniformly at random, as
// HRANDFIELD without a count does; the hash must not be empty. buf and vbuf
// receive listpack integers, as in Get.
func (h Hash) RandomField(fbuf, vbuf []byte) (field, val []byte) {
	if !h.e.inline() {
		return h.table().random()
	}
	lp := h.e.payload()
	p := listpack.Seek(lp, 2*rand.IntN(listpack.Len(lp)/2))
	return listpack.Get(lp, p, fbuf), listpack.Get(lp, listpack.Next(lp, p), vbuf)
}

// RandomFields calls fn with count fields (and their values) drawn at
// random, as HRANDFIELD with a count does: with repeat, count independent
// uniform draws; without, count distinct fields, where count must be below
// Len (the caller replies with the whole hash otherwise). It stops early
// when fn returns false. The memory it uses is bounded by the hash's size,
// never by count: the caller may pass any count a client sent. The slices
// are valid during the call only.
func (h Hash) RandomFields(count int64, repeat bool, fn func(field, val []byte) bool) {
	n := h.Len()
	if n == 0 || count <= 0 {
		return
	}
	if !repeat && count >= int64(n) {
		panic("store: RandomFields of distinct fields needs count < Len")
	}
	var fbuf, vbuf [listpack.IntBufSize]byte
	if !h.e.inline() {
		t := h.table()
		if repeat {
			for ; count > 0; count-- {
				if !fn(t.random()) {
					return
				}
			}
			return
		}
		t.randomDistinct(int(count), fn)
		return
	}
	// A listpack is walked once for the offsets of its fields, so that
	// each draw is O(1); the index has one int per field.
	lp := h.e.payload()
	offs := make([]int, 0, n)
	for p := listpack.First(lp); p >= 0; p = listpack.Next(lp, listpack.Next(lp, p)) {
		offs = append(offs, p)
	}
	emit := func(p int) bool {
		return fn(listpack.Get(lp, p, fbuf[:0]), listpack.Get(lp, listpack.Next(lp, p), vbuf[:0]))
	}
	if repeat {
		for ; count > 0; count-- {
			if !emit(offs[rand.IntN(n)]) {
				return
			}
		}
		return
	}
	// Distinct fields: the first count places of a partial Fisher–Yates
	// shuffle.
	for i := 0; i < int(count); i++ {
		j := i + rand.IntN(n-i)
		offs[i], offs[j] = offs[j], offs[i]
		if !emit(offs[i]) {
			return
		}
	}
}

// HGet returns the value of field in the hash at key, as HGET does. ok is
// false when the key or the field does not exist. buf is as in Hash.Get.
func (db *DB) HGet(key, field, buf []byte) (val []byte, ok bool, err error) {
	h, err := db.HashRead(key)
	if err != nil {
		return nil, false, err
	}
	val, ok = h.Get(field, buf)
	return val, ok, nil
}

// HSet sets each (field, value) of pairs in the hash at key, creating the
// key if needed, as HSET and HMSET do, and returns how many fields were new.
// A field given twice ends with its last value. It records one write
// weighing len(pairs)/2, as Redis counts it whether or not values changed,
// and fires "hset".
func (db *DB) HSet(key []byte, pairs [][]byte) (added int, err error) {
	e, err := db.hashEntry(key, Write)
	if err != nil {
		return 0, err
	}
	limits := db.st.Limits()
	if e == nil {
		e, added = db.newHash(key, pairs, limits)
		db.recordWrite(e, key, len(pairs)/2) // and background work (background.go)
		db.Notify(EventHash, "hset", key)
		return added, nil
	}
	hashTryConversion(e, pairs, limits)
	for i := 0; i+1 < len(pairs); i += 2 {
		if hashSetField(e, pairs[i], pairs[i+1], limits) {
			added++
		}
	}
	db.recordWrite(e, key, len(pairs)/2) // and background work (background.go)
	db.Notify(EventHash, "hset", key)
	return added, nil
}

// HSetNX sets field to val in the hash at key only if the field does not
// exist, creating the key if needed, as HSETNX does, and reports whether
// it did, firing "hset" then.
func (db *DB) HSetNX(key, field, val []byte) (bool, error) {
	e, err := db.hashEntry(key, Write)
	if err != nil {
		return false, err
	}
	pair := [][]byte{field, val}
	limits := db.st.Limits()
	switch {
	case e == nil:
		e, _ = db.newHash(key, pair, limits)
	case (Hash{e}).Has(field):
		return false, nil
	default:
		hashTryConversion(e, pair, limits)
		hashSetField(e, field, val, limits)
	}
	db.recordWrite(e, key, 1) // and background work (background.go)
	db.Notify(EventHash, "hset", key)
	return true, nil
}

// Has reports whether field exists in the hash.
func (h Hash) Has(field []byte) bool {
	if h.e == nil {
		return false
	}
	if !h.e.inline() {
		_, ok := h.table().get(field)
		return ok
	}
	return lpFindField(h.e.payload(), field) >= 0
}

// HDel deletes each of fields from the hash at key, as HDEL does, and
// returns how many existed. A hash left empty is deleted, and then no
// further field is looked at. The write (or the delete) weighs the number
// of fields deleted. It fires "hdel" when it deleted a field, then "del"
// when it deleted the key.
func (db *DB) HDel(key []byte, fields [][]byte) (int, error) {
	e, err := db.hashEntry(key, Write)
	if e == nil || err != nil {
		return 0, err
	}
	deleted := 0
	for _, f := range fields {
		if !hashDelete(e, f) {
			continue
		}
		deleted++
		if (Hash{e}).Len() == 0 {
			db.serverDelete(e) // as Redis's dbDelete (memory.go)
			db.recordN(OpDelete, key, deleted)
			db.notifyRemoved(EventHash, "hdel", key, true)
			return deleted, nil
		}
	}
	if deleted > 0 {
		db.recordWrite(e, key, deleted) // and background work (background.go)
		db.Notify(EventHash, "hdel", key)
	}
	return deleted, nil
}

// HIncrBy adds delta to the integer value of field in the hash at key, a
// missing key or field counting as 0, and returns the result, as HINCRBY
// does. It returns ErrHashNotInteger when the value is not a 64-bit integer
// and ErrOverflow when the sum would not be one, changing nothing. It
// fires "hincrby".
func (db *DB) HIncrBy(key, field []byte, delta int64) (int64, error) {
	e, err := db.hashEntry(key, Write)
	if err != nil {
		return 0, err
	}
	var cur int64
	var buf [listpack.IntBufSize]byte
	if v, ok := (Hash{e}).Get(field, buf[:0]); ok {
		if cur, ok = num.ParseInt(v); !ok {
			return 0, ErrHashNotInteger
		}
	}
	if (delta < 0 && cur < 0 && delta < -1<<63-cur) || (delta > 0 && cur > 0 && delta > 1<<63-1-cur) {
		return 0, ErrOverflow
	}
	n := cur + delta
	db.hashUpsert(e, key, field, strconv.AppendInt(buf[:0], n, 10))
	db.Notify(EventHash, "hincrby", key)
	return n, nil
}

// HIncrByFloat adds incr to the number in field of the hash at key, a
// missing key or field counting as 0, in long double arithmetic, and
// returns the result as Redis prints it, as HINCRBYFLOAT does. incr must be
// finite (the server refuses the others before calling). It returns
// ErrHashNotFloat when the value is not a number and ErrNaNOrInf when the
// sum is not finite, changing nothing. The result aliases the store's
// memory or buf. It fires "hincrbyfloat".
func (db *DB) HIncrByFloat(key, field []byte, incr num.LongDouble, buf []byte) ([]byte, error) {
	e, err := db.hashEntry(key, Write)
	if err != nil {
		return nil, err
	}
	var cur num.LongDouble
	var vbuf [listpack.IntBufSize]byte
	if v, ok := (Hash{e}).Get(field, vbuf[:0]); ok {
		if cur, ok = num.ParseLongDouble(v); !ok {
			return nil, ErrHashNotFloat
		}
	}
	sum, ok := cur.Add(incr)
	if !ok {
		return nil, ErrNaNOrInf
	}
	val := num.AppendLongDouble(buf[:0], sum)
	db.hashUpsert(e, key, field, val)
	db.Notify(EventHash, "hincrbyfloat", key)
	return val, nil
}

// hashUpsert sets field to val in the hash e at key, creating the key when
// e is nil, with hashTypeSet's conversion checks, and records one write.
func (db *DB) hashUpsert(e *entry, key, field, val []byte) {
	if e == nil {
		e, _ = db.newHash(key, [][]byte{field, val}, db.st.Limits())
	} else {
		hashSetField(e, field, val, db.st.Limits())
	}
	db.recordWrite(e, key, 1) // and background work (background.go)
}

// newHash adds a hash at key holding pairs (field, value…, a field given
// twice keeping its last value), with the encoding Redis would reach by
// creating an empty listpack hash and setting them one by one, and returns
// its entry and how many distinct fields it has. A listpack is built on the
// stack and copied into the entry once, at its exact size.
func (db *DB) newHash(key []byte, pairs [][]byte, limits *Limits) (*entry, int) {
	lru := db.st.lruClock.Load()
	fits := true
	sum := 0
	for _, a := range pairs {
		if int64(len(a)) > limits.HashMaxListpackValue {
			fits = false
			break
		}
		sum += len(a)
	}
	if fits && sum <= listpack.MaxSafeSize-listpack.EmptySize {
		var sbuf [512]byte
		lp := append(sbuf[:0], emptyListpack...)
		for i := 0; i+1 < len(pairs); i += 2 {
			if p := lpFindField(lp, pairs[i]); p >= 0 {
				lp = listpack.Replace(lp, listpack.Next(lp, p), pairs[i+1])
			} else {
				lp = listpack.AppendAll(lp, pairs[i], pairs[i+1])
			}
		}
		if n := listpack.Len(lp) / 2; int64(n) <= limits.HashMaxListpackEntries {
			e := newInlineEntry(key, EncHashListpack, lp, lru)
			db.insertEntry(e)
			return e, n
		}
	}
	t := newHashTable(len(pairs) / 2)
	for i := 0; i+1 < len(pairs); i += 2 {
		t.set(pairs[i], pairs[i+1])
	}
	e := newCompoundEntry(key, EncHashHashtable, t, lru)
	db.insertEntry(e)
	return e, t.len()
}

// emptyListpack is a listpack with no elements, to copy.
var emptyListpack = listpack.New(0)

// hashTryConversion converts a listpack hash before args (fields and
// values) are stored in it when one is longer than hash-max-listpack-value
// or all of them would take the listpack past its safe size, as Redis's
// hashTypeTryConversion.
func hashTryConversion(e *entry, args [][]byte, limits *Limits) {
	if !e.inline() {
		return
	}
	sum := 0
	for _, a := range args {
		if int64(len(a)) > limits.HashMaxListpackValue {
			hashConvert(e)
			return
		}
		sum += len(a)
	}
	if !listpack.SafeToAdd(e.payload(), sum) {
		hashConvert(e)
	}
}

// hashSetField sets field to val in e and reports whether the field is new, as
// Redis's hashTypeSet: a listpack converts first when field or val is too
// long for it, and after the change when it has too many fields.
func hashSetField(e *entry, field, val []byte, limits *Limits) bool {
	if e.inline() && (int64(len(field)) > limits.HashMaxListpackValue || int64(len(val)) > limits.HashMaxListpackValue) {
		hashConvert(e)
	}
	if !e.inline() {
		return e.value().(*hashTable).set(field, val)
	}
	lp := e.payload()
	added := false
	if p := lpFindField(lp, field); p >= 0 {
		vp := listpack.Next(lp, p)
		old := listpack.EntrySize(lp, vp)
		lp = lpRoom(e, max(0, lpElemSize(val)-old))
		lp = listpack.Replace(lp, vp, val)
	} else {
		lp = lpRoom(e, lpElemSize(field)+lpElemSize(val))
		lp = listpack.Append(lp, field)
		lp = listpack.Append(lp, val)
		added = true
	}
	lpDone(e, lp)
	if added && int64(listpack.Len(lp)/2) > limits.HashMaxListpackEntries {
		hashConvert(e)
	}
	return added
}

// hashDelete removes field from e and reports whether it was there.
func hashDelete(e *entry, field []byte) bool {
	if !e.inline() {
		return e.value().(*hashTable).delete(field)
	}
	p := lpFindField(e.payload(), field)
	if p < 0 {
		return false
	}
	lp := lpRoom(e, 0)
	lp, _ = listpack.DeleteAt(lp, p, 2)
	lpDone(e, lp)
	return true
}

// hashConvert turns a listpack hash into a hashtable one, keeping its
// fields and values.
func hashConvert(e *entry) {
	lp := e.payload()
	t := newHashTable(listpack.Len(lp) / 2)
	var fbuf, vbuf [listpack.IntBufSize]byte
	for p := listpack.First(lp); p >= 0; {
		vp := listpack.Next(lp, p)
		t.set(listpack.Get(lp, p, fbuf[:0]), listpack.Get(lp, vp, vbuf[:0]))
		p = listpack.Next(lp, vp)
	}
	e.setCompound(EncHashHashtable, t)
}

// lpFindField returns the offset of field in a hash listpack, or -1.
func lpFindField(lp, field []byte) int {
	return listpack.Find(lp, listpack.First(lp), field, 1)
}

// lpRoom returns an inline entry's listpack for a change that adds at most
// extra bytes: its length is the payload's, and its capacity leaves room
// for them, so that the listpack functions change it in place.
func lpRoom(e *entry, extra int) []byte {
	n := int(e.vlen)
	return e.resizePayload(n + extra)[:n]
}

// lpDone makes the listpack a change of lpRoom's slice left the entry's
// payload: in place when the change stayed within the room (the usual
// case), otherwise by copying it.
func lpDone(e *entry, lp []byte) {
	if uint64(len(lp)) <= uint64(e.vcap) && unsafe.SliceData(lp) == unsafe.SliceData(e.payload()) {
		e.resizePayload(len(lp))
		return
	}
	e.setPayload(lp)
}

// lpElemSize returns the bytes s takes as a listpack element.
func lpElemSize(s []byte) int { return listpack.ElemSize(s) }
