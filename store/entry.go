package store

import (
	"math"
	"slices"
	"unsafe"
)

// An entry is one key of a database and its value.
//
// Entries are the bulk of the heap when a database holds millions of small
// keys, so they are kept to 32 bytes (one size class) with at most one more
// allocation. An entry is one of two kinds:
//
//   - Inline: p points at the key bytes immediately followed by the value's
//     payload, with spare capacity after it for in-place growth. A string is
//     always inline (the payload is the string), and a small collection may
//     be (the payload is its listpack or intset). A payload is only bytes,
//     so the garbage collector never scans it.
//   - Compound: p points at a compound, which holds its own copy of the key
//     and the value as a Go value, for a collection too large for a byte run.
//
// vcap tells them apart: an inline entry always has at least one byte of
// payload capacity, so that p+klen points inside the allocation (Go's
// pointer rules, checked by -race's checkptr, forbid a pointer one past its
// end), and a compound entry has none. Only this file and table.go touch p.
//
// Every field is guarded by the owning DB's mutex.
type entry struct {
	next *entry         // the next entry in the same hash bucket
	p    unsafe.Pointer // key||payload bytes (inline) or *compound
	klen uint32         // key length in bytes
	vlen uint32         // payload length in bytes (inline entries)
	vcap uint32         // payload capacity after the key: ≥ 1 inline, 0 compound
	meta uint32         // type, encoding, flags and access time; see below
}

// compound holds the key and value of an entry whose value is not inline.
type compound struct {
	key []byte
	val any
}

// The meta word, from its low bits:
//
//	bits 0-2   type (Type)
//	bits 3-4   representation among the type's; with the type, an Encoding
//	bit  5     volatile: the key has a deadline in DB.expires
//	bit  6     snapshot mark: a point-in-time snapshot has written the entry
//	bit  7     shared: a reply in flight references the payload's bytes
//	bits 8-31  access: Redis's 24-bit robj.lru field; see lru and lfuCounter
//
// Keeping the type in the low bits lets a test build an entry of a type
// from uint32(Type) alone.
const (
	metaTypeMask    = 1<<3 - 1
	metaEncMask     = 1<<5 - 1 // type and representation: an Encoding
	metaVolatileBit = 1 << 5
	metaMarkBit     = 1 << 6
	metaSharedBit   = 1 << 7
	metaAccessShift = 8

	// lruBits is the width of the access field, Redis's LRU_BITS.
	lruBits = 24
	// lruMax is the largest value of the access clock, Redis's
	// LRU_CLOCK_MAX; the clock wraps.
	lruMax = 1<<lruBits - 1
)

// The access field must fill the word exactly.
var _ = [1]struct{}{}[metaAccessShift+lruBits-32]

// Type is the type of a value, as TYPE reports it.
type Type uint8

// The value types. Only strings exist so far; the others are reserved so the
// meta layout does not change when they arrive. A Type fits in three bits.
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

// Encoding is the internal representation of a value, as OBJECT ENCODING
// reports it. Each Encoding belongs to one type: its low three bits are the
// Type and the next two say which of that type's representations it is, so
// an entry keeps both in five bits of its meta word. Two encodings of
// different types may share a name (EncHashListpack and EncZSetListpack are
// both "listpack").
type Encoding uint8

// encShift is where an Encoding's representation bits start.
const encShift = 3

// String encodings, as Redis chooses them.
const (
	// EncRaw is a string changed in place (APPEND, SETRANGE) or longer than
	// 44 bytes.
	EncRaw Encoding = Encoding(TypeString) | iota<<encShift
	// EncEmbstr is a string of at most 44 bytes written whole.
	EncEmbstr
	// EncInt is a string that is the canonical form of a 64-bit integer.
	EncInt
	// EncSharedInt is an EncInt value in [0, 10000), which Redis keeps as a
	// shared object: OBJECT REFCOUNT reports it as such.
	EncSharedInt
)

// The encodings of the other types in Redis 7.0. Redis 7.2's listpack lists
// and sets would take a free code of their type.
const (
	EncListQuicklist = Encoding(TypeList) | 0<<encShift
	EncSetIntset     = Encoding(TypeSet) | 0<<encShift
	EncSetHashtable  = Encoding(TypeSet) | 1<<encShift
	EncZSetListpack  = Encoding(TypeZSet) | 0<<encShift
	EncZSetSkiplist  = Encoding(TypeZSet) | 1<<encShift
	EncHashListpack  = Encoding(TypeHash) | 0<<encShift
	EncHashHashtable = Encoding(TypeHash) | 1<<encShift
	EncStream        = Encoding(TypeStream) | 0<<encShift
)

var encodingNames = [metaEncMask + 1]string{
	EncRaw:           "raw",
	EncEmbstr:        "embstr",
	EncInt:           "int",
	EncSharedInt:     "int",
	EncListQuicklist: "quicklist",
	EncSetIntset:     "intset",
	EncSetHashtable:  "hashtable",
	EncZSetListpack:  "listpack",
	EncZSetSkiplist:  "skiplist",
	EncHashListpack:  "listpack",
	EncHashHashtable: "hashtable",
	EncStream:        "stream",
}

// String returns the name OBJECT ENCODING replies with.
func (e Encoding) String() string {
	if int(e) < len(encodingNames) && encodingNames[e] != "" {
		return encodingNames[e]
	}
	return "unknown"
}

// Type returns the type the encoding belongs to.
func (e Encoding) Type() Type { return Type(e & metaTypeMask) }

func (e *entry) typ() Type { return Type(e.meta & metaTypeMask) }

func (e *entry) enc() Encoding { return Encoding(e.meta & metaEncMask) }

// setEnc changes the value's representation. enc must be an encoding of the
// entry's type: only its representation bits are used.
func (e *entry) setEnc(enc Encoding) {
	const repr = metaEncMask &^ metaTypeMask
	e.meta = e.meta&^repr | uint32(enc)&repr
}

func (e *entry) volatile() bool { return e.meta&metaVolatileBit != 0 }

func (e *entry) setVolatile(v bool) { e.setFlag(metaVolatileBit, v) }

// snapMarked reports whether the entry carries the snapshot mark. A
// point-in-time snapshot (a future BGSAVE without fork) sets it on the
// entries it has written, so that a writer can tell whether the snapshot
// still needs the old value. New entries, including those of rekeyed and
// cloned, start unmarked; MOVE keeps the entry, and its mark.
func (e *entry) snapMarked() bool { return e.meta&metaMarkBit != 0 }

func (e *entry) setSnapMark(v bool) { e.setFlag(metaMarkBit, v) }

// shared reports whether a reply in flight may still read the payload's
// bytes (see setShared).
func (e *entry) shared() bool { return e.meta&metaSharedBit != 0 }

// setShared records that the payload's bytes are referenced outside the
// lock, by a reply that is still being written, so that they must not change.
// The writers of this file (setString, setPayload, growString,
// resizePayload, writablePayload) then copy the payload to a new allocation
// instead of writing in place, and clear the bit: the reply keeps the old
// bytes alive and unchanged, and the entry owns the new ones alone. There is
// no way to clear it otherwise, since several replies may share the bytes.
func (e *entry) setShared() { e.meta |= metaSharedBit }

func (e *entry) setFlag(bit uint32, v bool) {
	if v {
		e.meta |= bit
	} else {
		e.meta &^= bit
	}
}

// lru returns the 24-bit access field, Redis's robj.lru: under an LRU or no
// maxmemory policy, the access clock (Store.LRUClock) of the last access.
func (e *entry) lru() uint32 { return e.meta >> metaAccessShift }

// setLRU sets the access field to clock, modulo 2^24.
func (e *entry) setLRU(clock uint32) {
	e.meta = e.meta&(1<<metaAccessShift-1) | (clock&lruMax)<<metaAccessShift
}

// lfuCounter returns the logarithmic access counter, the access field's low
// 8 bits under an LFU maxmemory policy, as Redis keeps it in robj.lru.
func (e *entry) lfuCounter() uint8 { return uint8(e.lru()) }

// lfuDecrTime returns the time of the counter's last decrement, in minutes
// modulo 2^16 (Redis's LFUGetTimeInMinutes), the access field's high 16 bits
// under an LFU maxmemory policy.
func (e *entry) lfuDecrTime() uint16 { return uint16(e.lru() >> 8) }

// setLFU sets the access field to an LFU decrement time and counter.
func (e *entry) setLFU(decrTime uint16, counter uint8) {
	e.setLRU(uint32(decrTime)<<8 | uint32(counter))
}

// inline reports whether the value is a payload in the entry's allocation
// rather than a compound.
func (e *entry) inline() bool { return e.vcap != 0 }

// key returns the entry's key. The slice aliases the entry's memory: copy it
// before the DB lock is released if it must outlive the lock.
func (e *entry) key() []byte {
	if e.inline() {
		return unsafe.Slice((*byte)(e.p), e.klen)
	}
	return (*compound)(e.p).key
}

// payload returns an inline entry's payload, aliasing the entry's memory.
// It is for reading: to write, use writablePayload or a method that resizes.
func (e *entry) payload() []byte {
	return unsafe.Slice((*byte)(unsafe.Add(e.p, e.klen)), e.vlen)
}

// str returns a string entry's value, aliasing the entry's memory.
func (e *entry) str() []byte { return e.payload() }

// value returns a compound entry's value.
func (e *entry) value() any { return (*compound)(e.p).val }

// newInlineEntry returns an entry for key holding a copy of payload as a
// value of encoding enc (which gives its type), with the access field lru.
func newInlineEntry(key []byte, enc Encoding, payload []byte, lru uint32) *entry {
	e := &entry{meta: uint32(enc & metaEncMask)}
	e.setLRU(lru)
	e.store(key, payload, 0)
	return e
}

// newStringEntry returns an entry for key holding a copy of val.
func newStringEntry(key, val []byte, enc Encoding, lru uint32) *entry {
	return newInlineEntry(key, enc, val, lru)
}

// newCompoundEntry returns an entry for a copy of key holding val, of
// encoding enc, with the access field lru.
func newCompoundEntry(key []byte, enc Encoding, val any, lru uint32) *entry {
	e := &entry{meta: uint32(enc & metaEncMask), klen: uint32(len(key))}
	e.setLRU(lru)
	e.p = unsafe.Pointer(&compound{key: append([]byte{}, key...), val: val})
	return e
}

// setCompound makes e a compound entry holding val in encoding enc, which
// must be of e's type, keeping the key, flags and access field. It is how a
// collection outgrows its inline form (listpack to hashtable) in place: the
// table and the expires index refer to e, which stays the same entry. An
// inline payload referenced by a reply stays alive for it; the new value is
// not shared.
func (e *entry) setCompound(enc Encoding, val any) {
	var key []byte
	if e.inline() {
		key = append([]byte{}, e.key()...)
	} else {
		key = (*compound)(e.p).key
	}
	e.p = unsafe.Pointer(&compound{key: key, val: val})
	e.vlen, e.vcap = 0, 0
	e.setEnc(enc)
	e.meta &^= metaSharedBit
}

// maxPayload is the largest payload, and payload capacity, an entry holds:
// vlen and vcap have 32 bits. It is also the largest proto-max-bulk-len, so
// every string a client can build fits, and can be changed in place.
const maxPayload = math.MaxUint32

// allocSize returns how many bytes to allocate for a key of klen bytes and a
// payload of n ≤ maxPayload bytes with room for spare more: klen+n+spare,
// except that the payload capacity is at least one byte (see entry) and at
// most maxPayload.
func allocSize(klen, n, spare int) int {
	return klen + max(1, min(n+spare, maxPayload))
}

// payloadCap returns the payload capacity of an allocation of size bytes
// that starts with a key of klen bytes. Capacity past maxPayload, which an
// allocator's rounding can add, is left unused so that vcap cannot wrap: a
// wrapped capacity would make every later write of a value near 4 GiB
// reallocate and copy it.
func payloadCap(size, klen int) uint32 {
	return uint32(min(size-klen, maxPayload))
}

// growthSpare returns the room growString reserves past a string of n bytes
// when it reallocates, so that APPEND and SETRANGE mostly write in place.
// Below 1 MiB the string doubles, as Redis's sds does. Above, sds adds 1 MiB
// at a time and counts on jemalloc to extend large allocations in place; Go
// always copies, which made a value built by appends cost quadratic time.
// So growth stays geometric: n/4, at least 1 MiB. Each byte is then copied
// at most five times on average however large the value grows, and the
// slack is at most a quarter, as jemalloc's own size classes (four per
// doubling) leave under Redis. n/2 would copy less (three times) but waste
// up to half.
func growthSpare(n int) int {
	if n < 1<<20 {
		return n
	}
	return max(1<<20, n/4)
}

// sizeClasses[n] is the capacity the allocator gives a byte slice of n
// bytes: its size class, read from slices.Grow at init. store rounds small
// buffers up to it, so the slack the allocator would waste anyway becomes
// usable capacity; asking slices.Grow each time would cost a quarter of the
// time it takes to create a small key. Larger buffers are allocated as
// asked with make, which, unlike slices.Grow, does not clear memory fresh
// from the operating system: a 4 GiB SETRANGE then touches only the pages
// it writes.
var sizeClasses = func() (c [1025]uint16) {
	for n := range c {
		c[n] = uint16(cap(slices.Grow([]byte(nil), n)))
	}
	return c
}()

// store replaces the entry's allocation with key followed by payload and at
// least spare more bytes of payload capacity, zeroed. The entry becomes
// inline and not shared; key and payload may alias the old allocation.
func (e *entry) store(key, payload []byte, spare int) {
	size := allocSize(len(key), len(payload), spare)
	if size < len(sizeClasses) {
		size = int(sizeClasses[size])
	}
	buf := make([]byte, 0, size)
	buf = append(buf, key...)
	buf = append(buf, payload...)
	e.p = unsafe.Pointer(unsafe.SliceData(buf))
	e.klen = uint32(len(key))
	e.vlen = uint32(len(payload))
	e.vcap = payloadCap(cap(buf), len(key))
	e.meta &^= metaSharedBit
}

// adopt makes e an inline entry holding key and the value frame ends with,
// in frame's own allocation instead of a copy: the bytes before the value
// are free and at least len(key) long, and the caller hands frame over. It
// reports false, changing nothing, when the key does not fit in front of
// the value or the value is empty.
func (e *entry) adopt(key, frame []byte, vlen int) bool {
	off := len(frame) - vlen
	if vlen == 0 || off < len(key) || vlen > maxPayload {
		return false
	}
	start := off - len(key)
	copy(frame[start:off], key)
	e.p = unsafe.Pointer(&frame[start])
	e.klen = uint32(len(key))
	e.vlen = uint32(vlen)
	e.vcap = payloadCap(cap(frame)-start, len(key))
	e.meta &^= metaSharedBit
	return true
}

// wasteful reports whether a payload of n bytes in a capacity of c should
// move to a smaller allocation: a value that shrank a lot gives memory back.
func wasteful(n int, c uint32) bool { return c > 64 && uint64(n) < uint64(c/4) }

// setPayload replaces an inline entry's payload with a copy of b, in place
// when it fits and is not shared. b may alias the payload.
func (e *entry) setPayload(b []byte) {
	if uint64(len(b)) > uint64(e.vcap) || e.shared() || wasteful(len(b), e.vcap) {
		e.store(e.key(), b, 0)
		return
	}
	copy(unsafe.Slice((*byte)(unsafe.Add(e.p, e.klen)), e.vcap), b)
	e.vlen = uint32(len(b))
}

// setString replaces a string entry's value with a copy of val, in place when
// it fits and is not shared.
func (e *entry) setString(val []byte, enc Encoding) {
	e.setEnc(enc)
	e.setPayload(val)
}

// reserve makes an inline entry's payload n ≤ maxPayload bytes long, keeping
// its first bytes and zeroing any after the old length, and returns it for
// writing. It works in place when n fits and the payload is not shared;
// otherwise it moves the payload to a new allocation with spare bytes of
// room (or the memory a payload that shrank a lot no longer needs).
func (e *entry) reserve(n, spare int) []byte {
	if uint64(n) <= uint64(e.vcap) && !e.shared() && !wasteful(n, e.vcap) {
		dst := unsafe.Slice((*byte)(unsafe.Add(e.p, e.klen)), n)
		if n > int(e.vlen) {
			clear(dst[e.vlen:])
		}
		e.vlen = uint32(n)
		return dst
	}
	keep := min(n, int(e.vlen))
	e.store(e.key(), e.payload()[:keep], n-keep+spare)
	e.vlen = uint32(n)
	return e.payload()
}

// growString makes room for a string of n ≤ maxPayload bytes, keeping the
// current value and zero-filling the bytes after it, and returns the value
// buffer resliced to n bytes for writing. Growth is greedy, for APPEND and
// SETRANGE: see growthSpare.
func (e *entry) growString(n int) []byte { return e.reserve(n, growthSpare(n)) }

// resizePayload makes an inline entry's payload n ≤ maxPayload bytes long,
// keeping its first bytes and zeroing any after the old length, and returns
// it for writing. Unlike growString it reserves no room beyond the
// allocator's size class, as a listpack is reallocated to its exact size:
// collections grow by small steps, and many small ones must stay small.
func (e *entry) resizePayload(n int) []byte { return e.reserve(n, 0) }

// writablePayload returns an inline entry's payload for writing in place,
// first moving it to a new allocation if it is shared.
func (e *entry) writablePayload() []byte { return e.reserve(int(e.vlen), 0) }

// cloner is implemented by every compound value type, so that COPY can
// duplicate it. clone returns a deep copy sharing no mutable memory.
type cloner interface{ clone() any }

// rekeyed returns a new entry holding e's value under a copy of key, for
// RENAME: the value moves, so e must be dropped afterwards. The type,
// encoding and access field are kept; the deadline and snapshot mark are not.
// An inline payload is copied, and the copy is not shared.
func (e *entry) rekeyed(key []byte) *entry {
	if e.inline() {
		return newInlineEntry(key, e.enc(), e.payload(), e.lru())
	}
	ne := &entry{meta: e.meta &^ (metaVolatileBit | metaMarkBit), klen: uint32(len(key))}
	ne.p = unsafe.Pointer(&compound{key: append([]byte{}, key...), val: e.value()})
	return ne
}

// cloned returns a deep copy of e under a copy of key with the access field
// lru, no deadline, no mark and nothing shared, for COPY. As Redis's object
// duplication does, a shared integer becomes a plain one and other encodings
// are kept.
func (e *entry) cloned(key []byte, lru uint32) *entry {
	if e.inline() {
		enc := e.enc()
		if enc == EncSharedInt {
			enc = EncInt
		}
		return newInlineEntry(key, enc, e.payload(), lru)
	}
	return newCompoundEntry(key, e.enc(), e.value().(cloner).clone(), lru)
}
