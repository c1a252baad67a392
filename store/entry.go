package store

import "unsafe"

// An entry is one key of a database and its value.
//
// Entries are the bulk of the heap when a database holds millions of small
// keys, so they are kept to 32 bytes (one size class) with a single extra
// allocation for small strings: p points at the key bytes immediately followed
// by the value bytes, with spare capacity after them for in-place growth.
// Values of other types (added by later work) keep p pointing at a compound,
// which holds its own copy of the key. Only this file and table.go touch p.
//
// Every field is guarded by the owning DB's mutex.
type entry struct {
	next *entry         // the next entry in the same hash bucket
	p    unsafe.Pointer // key||value bytes (strings) or *compound (other types)
	klen uint32         // key length in bytes
	vlen uint32         // string value length in bytes
	vcap uint32         // bytes available for the value after the key
	meta uint32         // see the meta* constants
}

// compound holds the key and value of a non-string entry.
type compound struct {
	key []byte
	val any
}

// The meta word packs the type, the encoding, flags and the access clock.
const (
	metaTypeBits    = 4
	metaEncShift    = 4
	metaEncBits     = 4
	metaVolatileBit = 1 << 8 // the key has a deadline in DB.expires
	metaLRUShift    = 9
	lruBits         = 32 - metaLRUShift
	// LRUMax is the largest value of the access clock; the clock wraps.
	lruMax = 1<<lruBits - 1
)

// Type is the type of a value, as TYPE reports it.
type Type uint8

// The value types. Only strings exist so far; the others are reserved so the
// meta layout does not change when they arrive.
const (
	TypeNone Type = iota
	TypeString
	TypeList
	TypeSet
	TypeZSet
	TypeHash
	TypeStream
)

var typeNames = [...]string{"none", "string", "list", "set", "zset", "hash", "stream"}

// String returns the name TYPE replies with.
func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "unknown"
}

// Encoding is the internal representation OBJECT ENCODING reports.
type Encoding uint8

// String encodings, as Redis chooses them.
const (
	// EncRaw is a string changed in place (APPEND, SETRANGE) or longer than
	// 44 bytes.
	EncRaw Encoding = iota
	// EncEmbstr is a string of at most 44 bytes written whole.
	EncEmbstr
	// EncInt is a string that is the canonical form of a 64-bit integer.
	EncInt
	// EncSharedInt is an EncInt value in [0, 10000), which Redis keeps as a
	// shared object: OBJECT REFCOUNT reports it as such.
	EncSharedInt
)

var encodingNames = [...]string{"raw", "embstr", "int", "int"}

// String returns the name OBJECT ENCODING replies with.
func (e Encoding) String() string {
	if int(e) < len(encodingNames) {
		return encodingNames[e]
	}
	return "unknown"
}

func (e *entry) typ() Type { return Type(e.meta & (1<<metaTypeBits - 1)) }

func (e *entry) enc() Encoding {
	return Encoding(e.meta >> metaEncShift & (1<<metaEncBits - 1))
}

func (e *entry) setEnc(enc Encoding) {
	e.meta = e.meta&^((1<<metaEncBits-1)<<metaEncShift) | uint32(enc)<<metaEncShift
}

func (e *entry) volatile() bool { return e.meta&metaVolatileBit != 0 }

func (e *entry) setVolatile(v bool) {
	if v {
		e.meta |= metaVolatileBit
	} else {
		e.meta &^= metaVolatileBit
	}
}

func (e *entry) lru() uint32 { return e.meta >> metaLRUShift }

func (e *entry) setLRU(clock uint32) {
	e.meta = e.meta&(1<<metaLRUShift-1) | (clock&lruMax)<<metaLRUShift
}

// key returns the entry's key. The slice aliases the entry's memory: copy it
// before the DB lock is released if it must outlive the lock.
func (e *entry) key() []byte {
	if e.typ() == TypeString {
		return unsafe.Slice((*byte)(e.p), e.klen)
	}
	return (*compound)(e.p).key
}

// str returns a string entry's value, aliasing the entry's memory.
func (e *entry) str() []byte {
	return unsafe.Slice((*byte)(unsafe.Add(e.p, e.klen)), e.vlen)
}

// newStringEntry returns an entry for key holding a copy of val.
func newStringEntry(key, val []byte, enc Encoding, lru uint32) *entry {
	e := &entry{}
	e.meta = uint32(TypeString)
	e.setEnc(enc)
	e.setLRU(lru)
	e.klen = uint32(len(key))
	e.storeString(key, val, 0)
	return e
}

// storeString replaces the whole key||value buffer with key followed by val,
// reserving at least spare extra bytes of value capacity, zeroed.
//
// Every string entry has at least one byte of value capacity, so p+klen
// always points inside the allocation (Go's pointer rules, checked by
// -race's checkptr, forbid a pointer one past its end); str, setString and
// growString rely on it.
func (e *entry) storeString(key, val []byte, spare int) {
	n := len(key) + len(val)
	// append rounds the capacity up to the allocator's size class, so the
	// slack the allocator would waste anyway becomes usable capacity.
	buf := append(make([]byte, 0, max(n+spare, len(key)+1)), key...)
	buf = append(buf, val...)
	buf = buf[:cap(buf)]
	e.p = unsafe.Pointer(unsafe.SliceData(buf))
	e.klen = uint32(len(key))
	e.vlen = uint32(len(val))
	e.vcap = uint32(cap(buf) - len(key))
}

// setString replaces a string entry's value with a copy of val, in place when
// it fits.
func (e *entry) setString(val []byte, enc Encoding) {
	e.setEnc(enc)
	if uint32(len(val)) <= e.vcap {
		dst := unsafe.Slice((*byte)(unsafe.Add(e.p, e.klen)), e.vcap)
		copy(dst, val)
		e.vlen = uint32(len(val))
		// A value that shrank a lot gives its memory back.
		if e.vcap > 64 && e.vlen < e.vcap/4 {
			e.storeString(e.key(), e.str(), 0)
		}
		return
	}
	e.storeString(e.key(), val, 0)
}

// growString makes room for a value of n bytes, keeping the current value and
// zero-filling the bytes after it, and returns the value buffer resliced to n
// bytes. Growth is greedy, as Redis's sds is for APPEND and SETRANGE: double
// below 1 MiB, then 1 MiB at a time.
func (e *entry) growString(n int) []byte {
	if uint64(n) <= uint64(e.vcap) {
		dst := unsafe.Slice((*byte)(unsafe.Add(e.p, e.klen)), n)
		if n > int(e.vlen) {
			clear(dst[e.vlen:])
		}
		e.vlen = uint32(n)
		return dst
	}
	// Room for n bytes plus as many again (at most 1 MiB); the bytes after
	// the old value come zeroed.
	e.storeString(e.key(), e.str(), n-int(e.vlen)+min(n, 1<<20))
	e.vlen = uint32(n)
	return e.str()
}

// cloner is implemented by every compound value type, so that COPY can
// duplicate it. clone returns a deep copy sharing no mutable memory.
type cloner interface{ clone() any }

// rekeyed returns a new entry holding e's value under a copy of key, for
// RENAME: the value moves, so e must be dropped afterwards. The type,
// encoding and access clock are kept; the deadline is not.
func (e *entry) rekeyed(key []byte) *entry {
	if e.typ() == TypeString {
		return newStringEntry(key, e.str(), e.enc(), e.lru())
	}
	c := (*compound)(e.p)
	ne := &entry{meta: e.meta &^ metaVolatileBit, klen: uint32(len(key))}
	ne.p = unsafe.Pointer(&compound{key: append([]byte{}, key...), val: c.val})
	return ne
}

// cloned returns a deep copy of e under a copy of key with the access clock
// lru and no deadline, for COPY. As Redis's object duplication does, a
// shared integer becomes a plain one and other encodings are kept.
func (e *entry) cloned(key []byte, lru uint32) *entry {
	if e.typ() == TypeString {
		enc := e.enc()
		if enc == EncSharedInt {
			enc = EncInt
		}
		return newStringEntry(key, e.str(), enc, lru)
	}
	c := (*compound)(e.p)
	ne := &entry{meta: e.meta &^ metaVolatileBit, klen: uint32(len(key))}
	ne.setLRU(lru)
	ne.p = unsafe.Pointer(&compound{key: append([]byte{}, key...), val: c.val.(cloner).clone()})
	return ne
}
