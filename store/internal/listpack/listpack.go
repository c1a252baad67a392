// Package listpack implements Redis 7.0's listpack: a compact, serialised
// list of strings and integers held in one byte slice.
//
// The bytes are exactly those Redis builds, so that a snapshot writer can
// dump a listpack verbatim as the payload of an RDB hash, sorted set or
// quicklist node, and a loader can adopt one after Validate. The layout is:
//
//	total bytes   uint32, little endian, the length of the whole listpack
//	count         uint16, little endian, the number of elements, or 65535
//	              (CountUnknown) when there are at least that many
//	entries       each an encoding, its data and a backlen (below)
//	terminator    0xFF
//
// An entry starts with an encoding byte that says whether it is an integer
// or a string and how long it is:
//
//	0xxxxxxx                      7-bit unsigned integer
//	10xxxxxx + data               string of up to 63 bytes
//	110xxxxx yyyyyyyy             13-bit signed integer
//	1110xxxx yyyyyyyy + data      string of up to 4095 bytes
//	11110000 + 4-byte len + data  string of up to 2^32-1 bytes
//	11110001 + 2 bytes            16-bit signed integer
//	11110010 + 3 bytes            24-bit signed integer
//	11110011 + 4 bytes            32-bit signed integer
//	11110100 + 8 bytes            64-bit signed integer
//
// Multi-byte lengths and integers are little endian. The entry ends with its
// backlen: the length of encoding plus data, written backwards in 7-bit
// groups (the high bit set on every byte but the first of the group as read
// from the right) so that the list can be walked from the tail.
//
// A string that is the canonical decimal form of an int64 (ParseInt) is
// always stored as an integer, in the smallest integer encoding, as Redis
// does; reading it back yields the same bytes.
//
// # Using it
//
// A listpack is a plain []byte: there are no pointers in it, so the garbage
// collector never scans it, and a store entry can keep it in its payload.
// Elements are addressed by their byte offset from the start of the
// listpack; -1 means "no element". Offsets come from First, Last, Next, Prev,
// Seek and Find and stay valid until the listpack is changed.
//
// The functions that change a listpack take it and return the result, with
// append's semantics: they work in place, using the slice's spare capacity
// when the result fits, and otherwise allocate a larger slice (growing as
// append does) and copy. The caller must use the returned slice and must not
// use the old one afterwards. Removing elements never allocates; Shrink
// drops spare capacity.
//
// Every function except Validate assumes a well-formed listpack: bytes from
// outside (RDB, RESTORE) must pass Validate(lp, true) first. Callers keep a
// listpack below MaxSafeSize (see SafeToAdd); a change that would make it
// longer than the 32-bit total can express panics, as it is a bug.
//
// None of these functions is safe for concurrent use with a change of the
// same listpack; concurrent readers are fine, and Len never writes.
package listpack

import (
	"encoding/binary"
	"strconv"
)

const (
	// HeaderSize is the size of the header: total bytes and count.
	HeaderSize = 6
	// CountUnknown in the header's count field means the listpack holds
	// at least that many elements and Len must count them.
	CountUnknown = 1<<16 - 1
	// MaxSafeSize is the size past which Redis refuses to grow a listpack
	// (LISTPACK_MAX_SAFETY_SIZE); SafeToAdd checks against it.
	MaxSafeSize = 1 << 30
	// IntBufSize is enough scratch space to format any int64 element.
	IntBufSize = 21
	// EmptySize is the size of a listpack with no elements.
	EmptySize = HeaderSize + 1

	eof = 0xFF

	maxTotal = 1<<32 - 1
)

// Encoding bytes and masks, as in the package comment.
const (
	enc7BitUint     = 0x00
	enc7BitUintMask = 0x80
	enc6BitStr      = 0x80
	enc6BitStrMask  = 0xC0
	enc13BitInt     = 0xC0
	enc13BitIntMask = 0xE0
	enc12BitStr     = 0xE0
	enc12BitStrMask = 0xF0
	enc32BitStr     = 0xF0
	enc16BitInt     = 0xF1
	enc24BitInt     = 0xF2
	enc32BitInt     = 0xF3
	enc64BitInt     = 0xF4
)

// New returns an empty listpack with room for capacity bytes in all (at
// least EmptySize), so that the first appends need not allocate.
func New(capacity int) []byte {
	lp := make([]byte, EmptySize, max(capacity, EmptySize))
	binary.LittleEndian.PutUint32(lp, EmptySize)
	lp[HeaderSize] = eof
	return lp
}

// Bytes returns the total size that the header records, which is len(lp)
// for every listpack built by this package or passed by Validate.
func Bytes(lp []byte) int {
	return int(binary.LittleEndian.Uint32(lp))
}

// headerCount returns the raw count field.
func headerCount(lp []byte) int {
	return int(binary.LittleEndian.Uint16(lp[4:]))
}

func setTotal(lp []byte, n int) {
	if n > maxTotal {
		panic("listpack: total size exceeds 32 bits")
	}
	binary.LittleEndian.PutUint32(lp, uint32(n))
}

func setCount(lp []byte, n int) {
	binary.LittleEndian.PutUint16(lp[4:], uint16(n))
}

// addCount adds delta to the header's count unless it is unknown; as in
// Redis, a count that reaches CountUnknown stays unknown from then on.
func addCount(lp []byte, delta int) {
	n := headerCount(lp)
	if n == CountUnknown {
		return
	}
	setCount(lp, min(max(n+delta, 0), CountUnknown))
}

// Len returns the number of elements. It is O(1) unless the header says
// the count is unknown (65535 elements or more), when it walks the
// listpack. Unlike Redis's lpLength it never writes the recount back, so
// that readers sharing a listpack do not race.
func Len(lp []byte) int {
	if n := headerCount(lp); n != CountUnknown {
		return n
	}
	n := 0
	for p := First(lp); p >= 0; p = Next(lp, p) {
		n++
	}
	return n
}

// Recount returns the number of elements like Len and, as Redis's lpLength
// does, writes a recount below CountUnknown back into the header. Redis
// recounts this way whenever it asks a listpack's length (HDEL checking
// for an empty hash, for one), and the header bytes differ afterwards, so a
// writer that must match Redis byte for byte calls Recount where Redis
// calls lpLength. It writes lp: call it only with the listpack held for
// writing.
func Recount(lp []byte) int {
	if n := headerCount(lp); n != CountUnknown {
		return n
	}
	n := Len(lp)
	if n < CountUnknown {
		setCount(lp, n)
	}
	return n
}

// Empty reports whether lp has no elements.
func Empty(lp []byte) bool { return lp[HeaderSize] == eof }

// SafeToAdd reports whether add more bytes keep lp within MaxSafeSize, as
// Redis's lpSafeToAdd; a nil lp counts as empty.
func SafeToAdd(lp []byte, add int) bool {
	n := 0
	if lp != nil {
		n = len(lp)
	}
	return add >= 0 && n+add <= MaxSafeSize
}

// Shrink returns lp with no spare capacity, copying it if it has any
// (Redis's lpShrinkToFit).
func Shrink(lp []byte) []byte {
	if cap(lp) == len(lp) {
		return lp
	}
	s := make([]byte, len(lp))
	copy(s, lp)
	return s
}

// backlenSize is the number of bytes that the backlen of an entry whose
// encoding and data take l bytes needs. The thresholds are Redis's, which
// are one short of the 7-bit group limits in all but the first case; an
// exact copy keeps the bytes identical.
func backlenSize(l int) int {
	switch {
	case l <= 127:
		return 1
	case l < 16383:
		return 2
	case l < 2097151:
		return 3
	case l < 268435455:
		return 4
	default:
		return 5
	}
}

// putBacklen writes the backlen of l into buf, which has room for
// backlenSize(l) bytes, and returns the number written.
func putBacklen(buf []byte, l int) int {
	n := backlenSize(l)
	// The first byte holds the most significant group and has no
	// continuation bit; the others, less significant towards the end, have
	// it set, so a reader walking left knows when to stop.
	for i := n - 1; i >= 0; i-- {
		b := byte(l & 127)
		if i != 0 {
			b |= 128
		}
		buf[i] = b
		l >>= 7
	}
	return n
}

// decodeBacklen reads the backlen that ends at index end (inclusive),
// walking left. It returns -1 when the encoding uses more than five bytes
// or runs past the start of lp.
func decodeBacklen(lp []byte, end int) int {
	v, shift := 0, 0
	for p := end; p >= 0; p-- {
		v |= int(lp[p]&127) << shift
		if lp[p]&128 == 0 {
			return v
		}
		shift += 7
		if shift > 28 {
			return -1
		}
	}
	return -1
}

// intEncoding encodes v in its smallest integer encoding into buf (at least
// 9 bytes) and returns the length.
func intEncoding(buf []byte, v int64) int {
	switch {
	case v >= 0 && v <= 127:
		buf[0] = byte(v)
		return 1
	case v >= -4096 && v <= 4095:
		u := uint64(v) & (1<<13 - 1)
		buf[0] = byte(u>>8) | enc13BitInt
		buf[1] = byte(u)
		return 2
	case v >= -32768 && v <= 32767:
		buf[0] = enc16BitInt
		binary.LittleEndian.PutUint16(buf[1:], uint16(v))
		return 3
	case v >= -8388608 && v <= 8388607:
		u := uint32(v)
		buf[0] = enc24BitInt
		buf[1], buf[2], buf[3] = byte(u), byte(u>>8), byte(u>>16)
		return 4
	case v >= -2147483648 && v <= 2147483647:
		buf[0] = enc32BitInt
		binary.LittleEndian.PutUint32(buf[1:], uint32(v))
		return 5
	default:
		buf[0] = enc64BitInt
		binary.LittleEndian.PutUint64(buf[1:], uint64(v))
		return 9
	}
}

// strEncodedLen is the size of encoding plus data for a string of n bytes.
func strEncodedLen(n int) int {
	switch {
	case n < 64:
		return 1 + n
	case n < 4096:
		return 2 + n
	default:
		return 5 + n
	}
}

// putString writes the string encoding and data of s into buf.
func putString(buf []byte, s []byte) {
	n := len(s)
	switch {
	case n < 64:
		buf[0] = byte(n) | enc6BitStr
		copy(buf[1:], s)
	case n < 4096:
		buf[0] = byte(n>>8) | enc12BitStr
		buf[1] = byte(n)
		copy(buf[2:], s)
	default:
		if uint64(n) > maxTotal {
			panic("listpack: string longer than 32 bits")
		}
		buf[0] = enc32BitStr
		binary.LittleEndian.PutUint32(buf[1:], uint32(n))
		copy(buf[5:], s)
	}
}

// encodedLen returns the size of the encoding and data of the entry at p,
// without its backlen, or 0 for an unknown encoding byte. For the terminator
// it returns 1. It reads a string's length bytes, so p must have been
// validated.
func encodedLen(lp []byte, p int) int {
	b := lp[p]
	switch {
	case b&enc7BitUintMask == enc7BitUint:
		return 1
	case b&enc6BitStrMask == enc6BitStr:
		return 1 + int(b&0x3F)
	case b&enc13BitIntMask == enc13BitInt:
		return 2
	case b&enc12BitStrMask == enc12BitStr:
		return 2 + (int(b&0xF)<<8 | int(lp[p+1]))
	}
	switch b {
	case enc16BitInt:
		return 3
	case enc24BitInt:
		return 4
	case enc32BitInt:
		return 5
	case enc64BitInt:
		return 9
	case enc32BitStr:
		return 5 + int(binary.LittleEndian.Uint32(lp[p+1:]))
	case eof:
		return 1
	}
	return 0
}

// headerLen returns how many bytes of the entry at p hold its encoding and
// length (the part before any string data), or 0 for an unknown encoding.
func headerLen(b byte) int {
	switch {
	case b&enc7BitUintMask == enc7BitUint, b&enc6BitStrMask == enc6BitStr,
		b&enc13BitIntMask == enc13BitInt:
		return 1
	case b&enc12BitStrMask == enc12BitStr:
		return 2
	}
	switch b {
	case enc16BitInt, enc24BitInt, enc32BitInt, enc64BitInt, eof:
		return 1
	case enc32BitStr:
		return 5
	}
	return 0
}

// entryLen returns the whole size of the entry at p, backlen included.
func entryLen(lp []byte, p int) int {
	l := encodedLen(lp, p)
	return l + backlenSize(l)
}

// First returns the offset of the first element, or -1 if there is none.
func First(lp []byte) int {
	if lp[HeaderSize] == eof {
		return -1
	}
	return HeaderSize
}

// Last returns the offset of the last element, or -1 if there is none.
func Last(lp []byte) int {
	return Prev(lp, len(lp)-1)
}

// Next returns the offset of the element after the one at p, or -1 if p is
// the last.
func Next(lp []byte, p int) int {
	p += entryLen(lp, p)
	if lp[p] == eof {
		return -1
	}
	return p
}

// Prev returns the offset of the element before the one at p, or -1 if p is
// the first. Prev of the terminator's offset (len(lp)-1) is the last element.
func Prev(lp []byte, p int) int {
	if p <= HeaderSize {
		return -1
	}
	l := decodeBacklen(lp, p-1)
	return p - l - backlenSize(l)
}

// Seek returns the offset of the element at index, counting from 0 at the
// head, or from -1 at the tail for a negative index; -1 if out of range. It
// walks from whichever end is nearer when the count is known.
func Seek(lp []byte, index int) int {
	forward := true
	if n := headerCount(lp); n != CountUnknown {
		if index < 0 {
			index += n
		}
		if index < 0 || index >= n {
			return -1
		}
		if index > n/2 {
			forward = false
			index -= n
		}
	} else if index < 0 {
		forward = false
	}
	if forward {
		p := First(lp)
		for ; index > 0 && p >= 0; index-- {
			p = Next(lp, p)
		}
		return p
	}
	p := Last(lp)
	for ; index < -1 && p >= 0; index++ {
		p = Prev(lp, p)
	}
	return p
}

// entry decodes the element at p. For a string it returns its data as
// lp[s:s+n] with isInt false; for an integer, v and isInt true. size is the
// whole entry's size, backlen included.
func entry(lp []byte, p int) (s, n int, v int64, isInt bool, size int) {
	b := lp[p]
	var u uint64
	var bits uint
	switch {
	case b&enc7BitUintMask == enc7BitUint:
		return 0, 0, int64(b), true, 2
	case b&enc6BitStrMask == enc6BitStr:
		n = int(b & 0x3F)
		return p + 1, n, 0, false, 1 + n + backlenSize(1+n)
	case b&enc13BitIntMask == enc13BitInt:
		u, bits, size = uint64(b&0x1F)<<8|uint64(lp[p+1]), 13, 3
	case b&enc12BitStrMask == enc12BitStr:
		n = int(b&0xF)<<8 | int(lp[p+1])
		return p + 2, n, 0, false, 2 + n + backlenSize(2+n)
	case b == enc16BitInt:
		u, bits, size = uint64(binary.LittleEndian.Uint16(lp[p+1:])), 16, 4
	case b == enc24BitInt:
		u = uint64(lp[p+1]) | uint64(lp[p+2])<<8 | uint64(lp[p+3])<<16
		bits, size = 24, 5
	case b == enc32BitInt:
		u, bits, size = uint64(binary.LittleEndian.Uint32(lp[p+1:])), 32, 6
	case b == enc64BitInt:
		return 0, 0, int64(binary.LittleEndian.Uint64(lp[p+1:])), true, 10
	case b == enc32BitStr:
		n = int(binary.LittleEndian.Uint32(lp[p+1:]))
		return p + 5, n, 0, false, 5 + n + backlenSize(5+n)
	default:
		// Not a valid encoding (Validate rejects these). Redis answers
		// 12345678900000000 plus the byte as a hint; so do we.
		return 0, 0, 12345678900000000 + int64(b), true, 1
	}
	// Sign-extend a bits-wide two's complement value.
	if u >= 1<<(bits-1) {
		return 0, 0, int64(u) - 1<<bits, true, size
	}
	return 0, 0, int64(u), true, size
}

// Get returns the element at p as bytes. A string element is returned as a
// slice of lp (valid until lp changes; do not modify it); an integer is
// formatted in decimal into scratch, which should have a capacity of at
// least IntBufSize so that Get does not allocate.
func Get(lp []byte, p int, scratch []byte) []byte {
	s, n, v, isInt, _ := entry(lp, p)
	if isInt {
		return strconv.AppendInt(scratch[:0], v, 10)
	}
	return lp[s : s+n : s+n]
}

// Value returns the element at p either as a string (a slice of lp, with
// isInt false) or as an integer (v, with isInt true), as it is stored; it
// never allocates.
func Value(lp []byte, p int) (str []byte, v int64, isInt bool) {
	s, n, v, isInt, _ := entry(lp, p)
	if isInt {
		return nil, v, true
	}
	return lp[s : s+n : s+n], 0, false
}

// Int returns the element at p as an int64 when it is stored as an integer.
// A string element, even one that parses as a number, reports false: the
// listpack never holds a canonical integer as a string, so one that does
// not parse exactly is no integer.
func Int(lp []byte, p int) (int64, bool) {
	_, _, v, isInt, _ := entry(lp, p)
	return v, isInt
}

// EntrySize returns the number of bytes the element at p takes in lp,
// encoding, data and backlen together.
func EntrySize(lp []byte, p int) int {
	return entryLen(lp, p)
}

// Equal reports whether the element at p equals s as a string: an integer
// element equals the canonical decimal form of its value (lpCompare).
func Equal(lp []byte, p int, s []byte) bool {
	str, v, isInt := Value(lp, p)
	if !isInt {
		return string(str) == string(s)
	}
	w, ok := ParseInt(s)
	return ok && w == v
}

// Find returns the offset of the first element equal to v (as Equal
// decides), looking at the element at p and then at every (skip+1)th
// element after it, or -1. A hash whose fields and values alternate finds a
// field with skip 1 from First (Redis's lpFind).
func Find(lp []byte, p int, v []byte, skip int) int {
	if p < 0 {
		return -1
	}
	parsed := false
	var vi int64
	vIsInt := false
	for {
		b := lp[p]
		if b == eof {
			return -1
		}
		var size int
		if b&enc6BitStrMask == enc6BitStr {
			// The common case, a short string, without entry's switch.
			n := int(b & 0x3F)
			if n == len(v) && string(lp[p+1:p+1+n]) == string(v) {
				return p
			}
			size = n + 2 // 1+n ≤ 64 needs a one-byte backlen
		} else {
			s, n, ev, isInt, sz := entry(lp, p)
			if isInt {
				if !parsed {
					vi, vIsInt = ParseInt(v)
					parsed = true
				}
				if vIsInt && ev == vi {
					return p
				}
			} else if n == len(v) && string(lp[s:s+n]) == string(v) {
				return p
			}
			size = sz
		}
		p += size
		for i := 0; i < skip && lp[p] != eof; i++ {
			if c := lp[p]; c&enc6BitStrMask == enc6BitStr {
				p += int(c&0x3F) + 2
			} else if c&enc7BitUintMask == enc7BitUint {
				p += 2
			} else {
				p += entryLen(lp, p)
			}
		}
	}
}

// ParseInt reports whether s is the canonical decimal form of an int64 and
// returns its value: an optional minus sign and digits with no leading zero
// (except "0" itself), no spaces, no "+", no "-0", and in range. This is
// Redis's lpStringToInt64, which decides whether a listpack stores a string
// as an integer.
func ParseInt(s []byte) (int64, bool) {
	if len(s) == 0 || len(s) >= IntBufSize {
		return 0, false
	}
	if len(s) == 1 && s[0] == '0' {
		return 0, true
	}
	neg := false
	i := 0
	if s[0] == '-' {
		neg = true
		i++
		if i == len(s) {
			return 0, false
		}
	}
	if s[i] < '1' || s[i] > '9' {
		return 0, false
	}
	var u uint64
	for ; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if u > (1<<64-1)/10 {
			return 0, false
		}
		u *= 10
		if u > 1<<64-1-d {
			return 0, false
		}
		u += d
	}
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return -int64(u), true
	}
	if u > 1<<63-1 {
		return 0, false
	}
	return int64(u), true
}
