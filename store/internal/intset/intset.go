// Package intset implements the byte layout of Redis's intset: a sorted
// array of distinct integers, each stored in the narrowest of 2, 4 or 8
// bytes that fits every member, after an 8-byte header. All numbers are
// little-endian:
//
//	bytes 0-3  width of each member in bytes (2, 4 or 8)
//	bytes 4-7  number of members
//	bytes 8-   the members, in increasing order
//
// It is the payload of a small set of integers, kept inline in an entry: the
// functions work on a []byte and never hold pointers. Like Redis, a set
// widens its members when a value needs it and never narrows them again.
//
// The functions trust their input to be a well-formed intset; the store
// builds every one of them.
package intset

import (
	"encoding/binary"
	"math"
)

// HeaderSize is the size of the header before the members.
const HeaderSize = 8

// MaxLen is the most members an intset may hold: Redis caps an intset at
// 2^30 entries, beyond which its byte length could overflow.
const MaxLen = 1 << 30

// New returns an empty intset of 2-byte members.
func New() []byte {
	b := make([]byte, HeaderSize)
	binary.LittleEndian.PutUint32(b, 2)
	return b
}

// Width returns the size in bytes of each member of is: 2, 4 or 8.
func Width(is []byte) int { return int(binary.LittleEndian.Uint32(is)) }

// Len returns the number of members of is.
func Len(is []byte) int { return int(binary.LittleEndian.Uint32(is[4:])) }

func setLen(is []byte, n int) { binary.LittleEndian.PutUint32(is[4:], uint32(n)) }

// widthOf returns the narrowest member width that holds v.
func widthOf(v int64) int {
	switch {
	case v < math.MinInt32 || v > math.MaxInt32:
		return 8
	case v < math.MinInt16 || v > math.MaxInt16:
		return 4
	}
	return 2
}

// get returns member i of a width-w intset.
func get(is []byte, w, i int) int64 {
	off := HeaderSize + i*w
	switch w {
	case 2:
		return int64(int16(binary.LittleEndian.Uint16(is[off:])))
	case 4:
		return int64(int32(binary.LittleEndian.Uint32(is[off:])))
	}
	return int64(binary.LittleEndian.Uint64(is[off:]))
}

// put writes v as member i of a width-w intset.
func put(is []byte, w, i int, v int64) {
	off := HeaderSize + i*w
	switch w {
	case 2:
		binary.LittleEndian.PutUint16(is[off:], uint16(v))
	case 4:
		binary.LittleEndian.PutUint32(is[off:], uint32(v))
	default:
		binary.LittleEndian.PutUint64(is[off:], uint64(v))
	}
}

// Get returns member i of is, 0 ≤ i < Len(is): the members are in
// increasing order.
func Get(is []byte, i int) int64 { return get(is, Width(is), i) }

// Search returns the position of v in is and true, or the position where v
// would be inserted and false.
func Search(is []byte, v int64) (int, bool) {
	w, n := Width(is), Len(is)
	if n == 0 || widthOf(v) > w {
		// A value wider than the members is beyond all of them.
		if v < 0 {
			return 0, false
		}
		return n, false
	}
	lo, hi := 0, n
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if get(is, w, mid) < v {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo, lo < n && get(is, w, lo) == v
}

// Contains reports whether v is a member of is.
func Contains(is []byte, v int64) bool {
	_, ok := Search(is, v)
	return ok
}

// AddSize returns the byte length is will have once v is added, and false
// when v is already a member (adding it would change nothing).
func AddSize(is []byte, v int64) (int, bool) {
	w, n := Width(is), Len(is)
	if vw := widthOf(v); vw > w {
		return HeaderSize + (n+1)*vw, true
	}
	if Contains(is, v) {
		return 0, false
	}
	return HeaderSize + (n+1)*w, true
}

// Insert adds v, which is not a member, to the intset held in b's first
// bytes; len(b) must be what AddSize returned. Members are widened first
// when v needs it, working from the end so that nothing is overwritten
// before it is read.
func Insert(b []byte, v int64) {
	w, n := Width(b), Len(b)
	if vw := widthOf(v); vw > w {
		// v is wider than every member, so it goes first or last.
		shift := 0
		if v < 0 {
			shift = 1
		}
		for i := n - 1; i >= 0; i-- {
			put(b, vw, i+shift, get(b, w, i))
		}
		if shift == 1 {
			put(b, vw, 0, v)
		} else {
			put(b, vw, n, v)
		}
		binary.LittleEndian.PutUint32(b, uint32(vw))
		setLen(b, n+1)
		return
	}
	pos, _ := Search(b, v)
	copy(b[HeaderSize+(pos+1)*w:HeaderSize+(n+1)*w], b[HeaderSize+pos*w:HeaderSize+n*w])
	put(b, w, pos, v)
	setLen(b, n+1)
}

// Add returns is with v added, growing it by append (in place when its
// capacity allows), and whether v was new.
func Add(is []byte, v int64) ([]byte, bool) {
	size, ok := AddSize(is, v)
	if !ok {
		return is, false
	}
	if size <= cap(is) {
		is = is[:size]
	} else {
		is = append(is, make([]byte, size-len(is))...)
	}
	Insert(is, v)
	return is, true
}

// RemoveAt removes member pos of is in place and returns the intset's new
// byte length: the caller shortens its slice to it.
func RemoveAt(is []byte, pos int) int {
	w, n := Width(is), Len(is)
	copy(is[HeaderSize+pos*w:], is[HeaderSize+(pos+1)*w:HeaderSize+n*w])
	setLen(is, n-1)
	return HeaderSize + (n-1)*w
}

// Remove removes v from is in place and returns the new byte length, or
// len(is) and false when v is not a member.
func Remove(is []byte, v int64) (int, bool) {
	pos, ok := Search(is, v)
	if !ok {
		return len(is), false
	}
	return RemoveAt(is, pos), true
}

// Valid reports whether b is a well-formed intset: a known width, a length
// that matches the byte count, and strictly increasing members. It is for
// tests and for payloads read from outside (RESTORE, RDB).
func Valid(b []byte) bool {
	if len(b) < HeaderSize {
		return false
	}
	w := Width(b)
	if w != 2 && w != 4 && w != 8 {
		return false
	}
	n := Len(b)
	if n > MaxLen || len(b) != HeaderSize+n*w {
		return false
	}
	for i := 1; i < n; i++ {
		if get(b, w, i-1) >= get(b, w, i) {
			return false
		}
	}
	return true
}
