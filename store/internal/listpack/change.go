package listpack

import (
	"errors"
	"math"
	"slices"
	"strconv"
)

// element is one value to write: a string (which is stored as an integer
// when ParseInt accepts it) or an integer.
type element struct {
	enc    [9]byte // the integer encoding when isInt
	encLen int     // encoding and data size, without backlen
	isInt  bool
	s      []byte
}

func strElement(s []byte) element {
	if v, ok := ParseInt(s); ok {
		return intElement(v)
	}
	return element{encLen: strEncodedLen(len(s)), s: s}
}

func intElement(v int64) element {
	var e element
	e.isInt = true
	e.encLen = intEncoding(e.enc[:], v)
	return e
}

// size is the whole entry's size, backlen included.
func (e *element) size() int { return e.encLen + backlenSize(e.encLen) }

// put writes the entry into buf, which has room for e.size() bytes.
func (e *element) put(buf []byte) {
	if e.isInt {
		copy(buf, e.enc[:e.encLen])
	} else {
		putString(buf, e.s)
	}
	putBacklen(buf[e.encLen:], e.encLen)
}

// splice resizes the oldLen bytes at off to newLen bytes, moving the rest of
// the listpack, and returns the slice: in place when the capacity allows,
// else a larger copy. The new bytes' content is undefined and the header is
// not updated.
func splice(lp []byte, off, oldLen, newLen int) []byte {
	n := len(lp)
	total := n - oldLen + newLen
	if total > maxTotal {
		panic("listpack: total size exceeds 32 bits")
	}
	if total > n {
		lp = slices.Grow(lp, total-n)[:total]
	}
	copy(lp[off+newLen:], lp[off+oldLen:n])
	return lp[:total]
}

// insert writes e before the element at p (or the terminator) and returns
// the listpack and the new element's offset.
func insert(lp []byte, p int, e *element) ([]byte, int) {
	sz := e.size()
	lp = splice(lp, p, 0, sz)
	e.put(lp[p:])
	setTotal(lp, len(lp))
	addCount(lp, 1)
	return lp, p
}

// replace writes e in place of the element at p.
func replace(lp []byte, p int, e *element) []byte {
	sz := e.size()
	lp = splice(lp, p, entryLen(lp, p), sz)
	e.put(lp[p:])
	setTotal(lp, len(lp))
	return lp
}

// Append adds s at the tail (lpAppend).
func Append(lp, s []byte) []byte {
	e := strElement(s)
	lp, _ = insert(lp, len(lp)-1, &e)
	return lp
}

// AppendInt adds the integer v at the tail (lpAppendInteger); the bytes are
// those Append of v's decimal form writes.
func AppendInt(lp []byte, v int64) []byte {
	e := intElement(v)
	lp, _ = insert(lp, len(lp)-1, &e)
	return lp
}

// AppendAll adds every element of ss at the tail in order, growing lp at
// most once. The result is the same as appending them one at a time.
func AppendAll(lp []byte, ss ...[]byte) []byte {
	add := 0
	for _, s := range ss {
		e := strElement(s)
		add += e.size()
	}
	if len(lp)+add > maxTotal {
		panic("listpack: total size exceeds 32 bits")
	}
	p := len(lp) - 1
	lp = slices.Grow(lp, add)[:len(lp)+add]
	for _, s := range ss {
		e := strElement(s)
		e.put(lp[p:])
		p += e.size()
	}
	lp[p] = eof
	setTotal(lp, len(lp))
	addCount(lp, len(ss))
	return lp
}

// Prepend adds s at the head (lpPrepend).
func Prepend(lp, s []byte) []byte {
	e := strElement(s)
	lp, _ = insert(lp, HeaderSize, &e)
	return lp
}

// PrependInt adds the integer v at the head.
func PrependInt(lp []byte, v int64) []byte {
	e := intElement(v)
	lp, _ = insert(lp, HeaderSize, &e)
	return lp
}

// InsertBefore adds s before the element at p and returns the listpack and
// the new element's offset. p may also be the terminator's offset
// (len(lp)-1), which appends.
func InsertBefore(lp []byte, p int, s []byte) ([]byte, int) {
	e := strElement(s)
	return insert(lp, p, &e)
}

// InsertAfter adds s after the element at p and returns the listpack and
// the new element's offset.
func InsertAfter(lp []byte, p int, s []byte) ([]byte, int) {
	e := strElement(s)
	return insert(lp, p+entryLen(lp, p), &e)
}

// InsertIntBefore adds the integer v before the element at p (or the
// terminator) and returns the listpack and the new element's offset.
func InsertIntBefore(lp []byte, p int, v int64) ([]byte, int) {
	e := intElement(v)
	return insert(lp, p, &e)
}

// InsertIntAfter adds the integer v after the element at p and returns the
// listpack and the new element's offset.
func InsertIntAfter(lp []byte, p int, v int64) ([]byte, int) {
	e := intElement(v)
	return insert(lp, p+entryLen(lp, p), &e)
}

// Replace puts s in place of the element at p, which keeps its offset
// (lpReplace).
func Replace(lp []byte, p int, s []byte) []byte {
	e := strElement(s)
	return replace(lp, p, &e)
}

// ReplaceInt puts the integer v in place of the element at p.
func ReplaceInt(lp []byte, p int, v int64) []byte {
	e := intElement(v)
	return replace(lp, p, &e)
}

// Delete removes the element at p and returns the listpack and the offset
// of the element that followed it, which is now at p, or -1 if it was the
// last (lpDelete). It never allocates.
func Delete(lp []byte, p int) ([]byte, int) {
	lp = splice(lp, p, entryLen(lp, p), 0)
	setTotal(lp, len(lp))
	addCount(lp, -1)
	if lp[p] == eof {
		return lp, -1
	}
	return lp, p
}

// DeleteAt removes up to n elements starting with the one at p and returns
// the listpack and the offset of the element after them, or -1 if none is
// left after them (lpDeleteRangeWithEntry). It never allocates.
func DeleteAt(lp []byte, p, n int) ([]byte, int) {
	if n <= 0 {
		return lp, p
	}
	end, deleted := p, 0
	for ; deleted < n && lp[end] != eof; deleted++ {
		end += entryLen(lp, end)
	}
	lp = splice(lp, p, end-p, 0)
	setTotal(lp, len(lp))
	addCount(lp, -deleted)
	if lp[p] == eof {
		return lp, -1
	}
	return lp, p
}

// DeleteRange removes up to n elements starting at index (negative counts
// from the tail, as in Seek); an index out of range removes nothing
// (lpDeleteRange). It never allocates.
func DeleteRange(lp []byte, index, n int) []byte {
	if n <= 0 {
		return lp
	}
	p := Seek(lp, index)
	if p < 0 {
		return lp
	}
	if c := headerCount(lp); c != CountUnknown {
		if index < 0 {
			index += c
		}
		if c-index <= n {
			// Everything from p on goes: move the terminator.
			lp[p] = eof
			lp = lp[:p+1]
			setTotal(lp, len(lp))
			setCount(lp, index)
			return lp
		}
	}
	lp, _ = DeleteAt(lp, p, n)
	return lp
}

// FormatScore appends to dst the element that Redis stores in a sorted
// set's listpack for score: the decimal integer when score is integral and
// within ±2^62 (-0 becomes 0), else "inf", "-inf", "nan" or the %.17g form.
// Appending the result stores it as Redis does (an integer encoding for the
// integral case).
func FormatScore(dst []byte, score float64) []byte {
	// Redis's double2ll range: (double)(LLONG_MAX/2), which is 2^62.
	const lim = float64(1 << 62)
	if score >= -lim && score <= lim {
		if i := int64(score); float64(i) == score {
			return strconv.AppendInt(dst, i, 10)
		}
	}
	switch {
	case math.IsNaN(score):
		return append(dst, "nan"...)
	case math.IsInf(score, 1):
		return append(dst, "inf"...)
	case math.IsInf(score, -1):
		return append(dst, "-inf"...)
	}
	return strconv.AppendFloat(dst, score, 'g', 17, 64)
}

// Score returns the element at p as a sorted set's score, the inverse of
// FormatScore (Redis's zzlGetScore): an integer element as a float64, a
// string element parsed as a double. ok is false for a string that is not
// one, which a listpack that Validate and the sorted set's own checks
// passed never holds.
func Score(lp []byte, p int) (score float64, ok bool) {
	s, v, isInt := Value(lp, p)
	if isInt {
		return float64(v), true
	}
	f, err := strconv.ParseFloat(string(s), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, false
	}
	return f, true
}

// Merge appends the elements of src to lp and returns the result, as
// Redis's lpMerge joins two quicklist nodes: the bytes are those of
// appending src's elements one by one, and src is not changed. src must
// not share memory with lp.
func Merge(lp, src []byte) []byte {
	add := len(src) - EmptySize
	if add <= 0 {
		return lp
	}
	n := len(lp)
	if n+add > maxTotal {
		panic("listpack: total size exceeds 32 bits")
	}
	lp = slices.Grow(lp, add)[:n+add]
	copy(lp[n-1:], src[HeaderSize:]) // src's entries and terminator over lp's
	setTotal(lp, len(lp))
	if headerCount(lp) != CountUnknown {
		setCount(lp, min(headerCount(lp)+Len(src), CountUnknown))
	}
	return lp
}

// ElemSize returns the bytes s takes as an element of a listpack: its
// encoding, data and backlen, a canonical integer counted in the integer
// encoding it is stored in. Callers use it to size a payload before they
// change it.
func ElemSize(s []byte) int {
	e := strElement(s)
	return e.size()
}
