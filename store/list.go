package store

import (
	"errors"
	"unsafe"

	"github.com/redoubt-db/redoubt/store/internal/listpack"
	"github.com/redoubt-db/redoubt/store/internal/quicklist"
)

// Lists.
//
// Redis 7.0 keeps every list as a quicklist: a chain of listpack nodes, each
// bounded by list-max-listpack-size, and OBJECT ENCODING says "quicklist"
// whatever the size. Redoubt keeps the same nodes, in two forms:
//
//   - A list of one node lives in the entry's inline payload: the payload is
//     that node's listpack, so a small list costs its key, its bytes and no
//     pointer.
//   - A list of more nodes is a compound holding a quicklist.List: one byte
//     slice per node (a few KiB each), never a pointer per element.
//
// A list becomes a compound when it needs a second node and stays one.
// With list-compress-depth d > 0, the interior nodes of a compound (all but
// d at each end) are kept LZF-compressed, as Redis does: every change ends
// with quicklist's Compress (in finishList), which also applies a new depth
// to the list at its next change, and readers Release the node they
// decompressed.

// ErrOutOfRange means LSET's index is outside the list.
var ErrOutOfRange = errors.New("store: index out of range")

// listValue is the compound value of a list of several nodes.
type listValue struct{ quicklist.List }

func (v *listValue) clone() any { return &listValue{*v.List.Clone()} }

// memSize returns the bytes the list holds, kept up to date in O(1).
func (v *listValue) memSize() int { return v.List.Bytes() + 16 }

// freeEffort is the list's number of nodes, as Redis's lazy free counts a
// quicklist.
func (v *listValue) freeEffort() int { return v.Nodes() }

// listCompressDepth returns list-compress-depth in force.
func (db *DB) listCompressDepth() int { return db.st.Limits().ListCompressDepth }

// listFill returns list-max-listpack-size in force.
func (db *DB) listFill() int { return db.st.Limits().ListMaxListpackSize }

// listEntry returns the live entry of the list at key, nil when missing,
// and ErrWrongType when key holds another type.
func (db *DB) listEntry(key []byte, flags LookupFlags) (*entry, error) {
	e := db.lookup(key, flags)
	if e != nil && e.typ() != TypeList {
		return nil, ErrWrongType
	}
	return e, nil
}

// readList returns the list in e for reading. An inline list is seen
// through view, which the caller keeps (on its stack) while it uses the
// result: a view of one listpack allocates nothing.
func readList(e *entry, view *quicklist.List) *quicklist.List {
	if !e.inline() {
		return &e.value().(*listValue).List
	}
	view.Reset(e.payload())
	return view
}

// writeList returns the list in e for changing; finishList (or abandonList)
// must follow. An inline list is seen through view with the payload's
// whole capacity, so that most changes happen in place.
func writeList(e *entry, view *quicklist.List) *quicklist.List {
	if !e.inline() {
		return &e.value().(*listValue).List
	}
	n := int(e.vlen)
	buf := e.reserve(int(e.vcap), 0) // in place: lists never share their payload
	view.Reset(buf[:n])
	return view
}

// finishList stores l, the list of e as writeList returned it, back into e
// after a change: an inline list stays inline while it has one node and
// becomes a compound when it has more. An empty list deletes the key,
// recording OpDelete; otherwise it records OpWrite. n is the change's weight
// in the dirty counter. It reports whether the key was deleted.
func (db *DB) finishList(e *entry, l *quicklist.List, key []byte, n int) bool {
	if l.Len() == 0 {
		if e.inline() {
			e.vlen = 0 // the payload is garbage now; keep the entry consistent
		}
		db.serverDelete(e) // as Redis's dbDelete (memory.go)
		db.recordN(OpDelete, key, n)
		return true
	}
	db.recordN(OpWrite, key, n)
	l.SetCompressDepth(db.listCompressDepth())
	if !e.inline() {
		l.Compress()
		return false
	}
	cur := e.payload() // the whole capacity, as writeList left it
	if l.Nodes() == 1 {
		lp := l.Node(0)
		switch {
		case unsafe.SliceData(lp) == unsafe.SliceData(cur):
			e.resizePayload(len(lp))
		case len(lp) > 1024:
			// The list outgrew its allocation: leave room for the next
			// pushes, about what the allocator's size classes would.
			e.store(e.key(), lp, len(lp)/8)
		default:
			e.setPayload(lp) // rounded up to its size class
		}
		return false
	}
	// A second node: the list becomes a compound, taking over the view's
	// nodes (held in the heap once there are two); the one still in the
	// payload's allocation is copied out of it.
	for i := 0; i < l.Nodes(); i++ {
		if lp := l.Node(i); unsafe.SliceData(lp) == unsafe.SliceData(cur) {
			l.SetNode(i, append([]byte(nil), lp...))
		}
	}
	lv := &listValue{*l}
	lv.Compress()
	e.setCompound(EncListQuicklist, lv)
	return false
}

// newList stores a new list at key holding vals pushed at the head (left)
// or tail in order, recording the write with weight n. vals is not empty.
func (db *DB) newList(key []byte, vals [][]byte, left bool, n int) int {
	var l quicklist.List
	fill := db.listFill()
	for _, v := range vals {
		if left {
			l.PushHead(v, fill)
		} else {
			l.PushTail(v, fill)
		}
	}
	var e *entry
	if l.Nodes() == 1 {
		e = newInlineEntry(key, EncListQuicklist, l.Node(0), db.st.lruClock.Load())
	} else {
		l.SetCompressDepth(db.listCompressDepth())
		l.Compress()
		e = newCompoundEntry(key, EncListQuicklist, &listValue{l}, db.st.lruClock.Load())
	}
	db.insertEntry(e)
	db.recordN(OpWrite, key, n)
	return len(vals)
}

// maxListElement is the longest element a list takes: a listpack node
// records its size in 32 bits. Redis keeps elements of 1 GiB and more in
// nodes of their own; proto-max-bulk-len (at most 4 GiB - 1 here) rarely
// lets one in, and one that would overflow a node is refused.
const maxListElement = 1<<32 - 64

// tooLarge reports whether any of vals is longer than a list takes.
func tooLarge(vals ...[]byte) bool {
	for _, v := range vals {
		if len(v) > maxListElement {
			return true
		}
	}
	return false
}

// ListPush adds vals at the head (left) or the tail of the list at key, in
// order, creating it unless onlyExisting (LPUSHX, RPUSHX), and returns the
// list's new length: 0 when onlyExisting and the key is missing.
func (db *DB) ListPush(key []byte, vals [][]byte, left, onlyExisting bool) (int, error) {
	e, err := db.listEntry(key, Write)
	if err != nil {
		return 0, err
	}
	if tooLarge(vals...) {
		return 0, ErrTooLarge
	}
	if e == nil {
		if onlyExisting || len(vals) == 0 {
			return 0, nil
		}
		return db.newList(key, vals, left, len(vals)), nil
	}
	var view quicklist.List
	l := writeList(e, &view)
	fill := db.listFill()
	for _, v := range vals {
		if left {
			l.PushHead(v, fill)
		} else {
			l.PushTail(v, fill)
		}
	}
	n := l.Len()
	db.finishList(e, l, key, len(vals))
	return n, nil
}

// ListExists reports whether key holds a list, looking it up for writing
// (no hit or miss counted): ErrWrongType when it holds another type.
func (db *DB) ListExists(key []byte) (bool, error) {
	e, err := db.listEntry(key, Write)
	return e != nil, err
}

// ListLen returns the length of the list at key, 0 when it is missing.
func (db *DB) ListLen(key []byte) (int, error) {
	e, err := db.listEntry(key, 0)
	if e == nil || err != nil {
		return 0, err
	}
	if e.inline() {
		return listpack.Len(e.payload()), nil
	}
	return e.value().(*listValue).Len(), nil
}

// ListPop removes up to count ≥ 1 elements from the head (left) or the tail
// of the list at key and returns copies of them in the order popped; nil,
// nil when the key is missing. Popping the last element deletes the key.
// It records one change counting the elements popped.
func (db *DB) ListPop(key []byte, left bool, count int) ([][]byte, error) {
	var out [][]byte
	var arena []byte
	var lens []int
	ok, err := db.ListPopEach(key, left, count, func(n int) {
		out = make([][]byte, n)
		lens = make([]int, 0, n)
	}, func(v []byte) {
		arena = append(arena, v...)
		lens = append(lens, len(v))
	})
	if !ok || err != nil {
		return nil, err
	}
	off := 0
	for i, n := range lens {
		out[i] = arena[off : off+n : off+n]
		off += n
	}
	return out, nil
}

// ListPopEach is ListPop for a caller that uses the elements at once, such
// as a reply writer: begin gets how many will be popped, then each gets
// every one of them in the order popped, aliasing the store only until it
// returns. ok is false (and nothing is called) when the key is missing.
func (db *DB) ListPopEach(key []byte, left bool, count int, begin func(n int), each func(v []byte)) (ok bool, err error) {
	e, err := db.listEntry(key, Write)
	if e == nil || err != nil || count < 1 {
		return false, err
	}
	var view quicklist.List
	l := writeList(e, &view)
	count = min(count, l.Len())
	begin(count)
	if left {
		l.Range(0, count, each)
		l.DeleteRange(0, count)
	} else {
		l.RangeBack(l.Len()-1, count, each)
		l.DeleteRange(l.Len()-count, count)
	}
	db.finishList(e, l, key, count)
	return true, nil
}

// ListMPop pops up to count ≥ 1 elements from the first key of keys that
// holds a list, as LMPOP does: missing keys are skipped, and a key of
// another type stops the search with ErrWrongType. It returns that key (a
// copy) and copies of the elements, or nil, nil, nil when no key holds a
// list.
func (db *DB) ListMPop(keys [][]byte, left bool, count int) ([]byte, [][]byte, error) {
	var key []byte
	var vals [][]byte
	err := db.ListMPopEach(keys, left, count, func(k []byte, n int) {
		key = append([]byte(nil), k...)
		vals = make([][]byte, 0, n)
	}, func(v []byte) {
		vals = append(vals, append([]byte(nil), v...))
	})
	return key, vals, err
}

// ListMPopEach is ListMPop for a caller that uses the elements at once:
// begin gets the key popped from and how many elements, then each gets
// them in order, aliasing the store only until it returns. Nothing is
// called when no key holds a list.
func (db *DB) ListMPopEach(keys [][]byte, left bool, count int, begin func(key []byte, n int), each func(v []byte)) error {
	for _, k := range keys {
		e, err := db.listEntry(k, Write)
		if err != nil {
			return err
		}
		if e == nil {
			continue
		}
		_, err = db.ListPopEach(k, left, count, func(n int) { begin(k, n) }, each)
		return err
	}
	return nil
}

// rangeBounds converts a start and stop index (negative counts from the
// tail) into a clamped range [start, start+n) of a list of length size, as
// Redis's LRANGE and LTRIM do; n is 0 when the range is empty.
func rangeBounds(start, stop int64, size int) (int, int) {
	ln := int64(size)
	if start < 0 {
		start += ln
	}
	if stop < 0 {
		stop += ln
	}
	if start < 0 {
		start = 0
	}
	if start > stop || start >= ln {
		return 0, 0
	}
	if stop >= ln {
		stop = ln - 1
	}
	return int(start), int(stop - start + 1)
}

// ListRange calls begin with the number of elements of the list at key in
// the range [start, stop] (LRANGE's indexes: negative counts from the tail,
// out of range is clamped), then each with every one of them in order. A
// missing key is an empty range. Values alias the store until the
// transaction ends and each's argument only until it returns.
func (db *DB) ListRange(key []byte, start, stop int64, begin func(n int), each func(v []byte)) error {
	e, err := db.listEntry(key, 0)
	if err != nil {
		return err
	}
	if e == nil {
		begin(0)
		return nil
	}
	var view quicklist.List
	l := readList(e, &view)
	from, n := rangeBounds(start, stop, l.Len())
	begin(n)
	if n == 0 {
		return nil
	}
	l.Range(from, n, each)
	l.Release()
	return nil
}

// ListIndex returns the element at index (negative counts from the tail) of
// the list at key; ok is false when the key is missing or the index out of
// range. The value aliases the store (or scratch, for an integer element)
// until the transaction ends.
func (db *DB) ListIndex(key []byte, index int64, scratch []byte) (val []byte, ok bool, err error) {
	e, err := db.listEntry(key, 0)
	if e == nil || err != nil {
		return nil, false, err
	}
	var view quicklist.List
	l := readList(e, &view)
	if index >= int64(l.Len()) || index < -int64(l.Len()) {
		return nil, false, nil
	}
	p := l.Seek(int(index))
	val = l.Get(p, scratch)
	l.Release() // val stays valid
	return val, true, nil
}

// ListSet replaces the element at index of the list at key with val (LSET):
// ErrNoSuchKey when the key is missing, ErrOutOfRange when the index is.
func (db *DB) ListSet(key []byte, index int64, val []byte) error {
	e, err := db.listEntry(key, Write)
	if err != nil {
		return err
	}
	if e == nil {
		return ErrNoSuchKey
	}
	if tooLarge(val) {
		return ErrTooLarge
	}
	var view quicklist.List
	l := writeList(e, &view)
	if index >= int64(l.Len()) || index < -int64(l.Len()) {
		db.abandonList(e, l)
		return ErrOutOfRange
	}
	l.Replace(l.Seek(int(index)), val)
	db.finishList(e, l, key, 1)
	return nil
}

// abandonList undoes writeList when nothing changed.
func (db *DB) abandonList(e *entry, l *quicklist.List) {
	if e.inline() {
		e.resizePayload(len(l.Node(0)))
	}
	l.Release()
}

// ListInsert adds val before (or after) the first element equal to pivot
// in the list at key (LINSERT) and returns the new length: 0 when the key
// is missing, -1 when there is no such element. An element too long for a
// node (maxListElement) is ErrTooLarge, as in ListPush and ListSet.
func (db *DB) ListInsert(key []byte, after bool, pivot, val []byte) (int, error) {
	e, err := db.listEntry(key, Write)
	if e == nil || err != nil {
		return 0, err
	}
	if tooLarge(val) {
		return 0, ErrTooLarge
	}
	var view quicklist.List
	l := writeList(e, &view)
	for p := l.Head(); p.Valid(); p = l.Next(p) {
		if l.Equal(p, pivot) {
			l.Insert(p, after, val, db.listFill())
			n := l.Len()
			db.finishList(e, l, key, 1)
			return n, nil
		}
	}
	db.abandonList(e, l)
	return -1, nil
}

// ListRem removes elements equal to val from the list at key (LREM): the
// first count from the head when count > 0, the last -count from the tail
// when count < 0, all when 0. It returns how many it removed.
func (db *DB) ListRem(key []byte, count int64, val []byte) (int, error) {
	e, err := db.listEntry(key, Write)
	if e == nil || err != nil {
		return 0, err
	}
	var view quicklist.List
	l := writeList(e, &view)
	removed := int64(0)
	if count >= 0 {
		for p := l.Head(); p.Valid(); {
			if !l.Equal(p, val) {
				p = l.Next(p)
				continue
			}
			p = l.Delete(p)
			removed++
			if removed == count {
				break
			}
		}
	} else {
		for p := l.Tail(); p.Valid(); {
			if !l.Equal(p, val) {
				p = l.Prev(p)
				continue
			}
			prev := l.Prev(p)
			l.Delete(p)
			p = prev
			removed++
			if removed == -count {
				break
			}
		}
	}
	if removed == 0 {
		db.abandonList(e, l)
		return 0, nil
	}
	db.finishList(e, l, key, int(removed))
	return int(removed), nil
}

// ListTrim keeps only the elements in [start, stop] of the list at key
// (LTRIM's indexes), deleting the key when none is left.
func (db *DB) ListTrim(key []byte, start, stop int64) error {
	e, err := db.listEntry(key, Write)
	if e == nil || err != nil {
		return err
	}
	var view quicklist.List
	l := writeList(e, &view)
	size := l.Len()
	from, n := rangeBounds(start, stop, size)
	ltrim, rtrim := from, size-from-n
	if n == 0 {
		ltrim, rtrim = size, 0
	}
	if rtrim > 0 {
		l.DeleteRange(size-rtrim, rtrim)
	}
	if ltrim > 0 {
		l.DeleteRange(0, ltrim)
	}
	// Redis counts a trim that removed nothing as a change of 0: the key is
	// still signalled modified, and nothing is added to the dirty counter.
	if ltrim+rtrim == 0 {
		db.abandonList(e, l)
		db.recordN(OpWrite, key, NoDirty)
		return nil
	}
	db.finishList(e, l, key, ltrim+rtrim)
	return nil
}

// PosOptions are LPOS's RANK, COUNT and MAXLEN.
type PosOptions struct {
	Rank   int64 // the rank of the first match to report; negative searches from the tail; not 0
	Count  int64 // how many matches to report, 0 all
	MaxLen int64 // how many elements to compare at most, 0 all
}

// ListPos calls fn with the index of each element of the list at key that
// equals val, as LPOS searches: from the head, or from the tail for a
// negative rank, skipping the first |rank|-1 matches, stopping after count
// matches (0: no limit) or maxlen compared elements (0: no limit). fn
// returning false stops the search. It reports whether the key exists.
func (db *DB) ListPos(key, val []byte, opt PosOptions, fn func(index int) bool) (bool, error) {
	e, err := db.listEntry(key, 0)
	if e == nil || err != nil {
		return false, err
	}
	var view quicklist.List
	l := readList(e, &view)
	rank, back := opt.Rank, false
	if rank < 0 {
		rank, back = -rank, true // MinInt64 stays negative, as in Redis
	}
	size := l.Len()
	p := l.Head()
	if back {
		p = l.Tail()
	}
	matches := int64(0)
	for i := int64(0); p.Valid() && (opt.MaxLen == 0 || i < opt.MaxLen); i++ {
		if l.Equal(p, val) {
			matches++
			if matches >= rank {
				idx := int(i)
				if back {
					idx = size - 1 - int(i)
				}
				// Redis's test, with its wrapping arithmetic: a rank of
				// MinInt64 (which negating leaves negative) never stops.
				if !fn(idx) || (opt.Count != 0 && matches-rank+1 >= opt.Count) {
					break
				}
			}
		}
		if back {
			p = l.Prev(p)
		} else {
			p = l.Next(p)
		}
	}
	l.Release()
	return true, nil
}

// ListMove pops an element from the head (srcLeft) or tail of the list at
// src and pushes it at the head (dstLeft) or tail of the list at dst,
// creating it (LMOVE, RPOPLPUSH). ok is false when src is missing.
// ErrWrongType is returned, with nothing changed, when src or an existing
// dst is not a list. src == dst rotates the list. val is a copy. As Redis
// counts the move as one change, the dirty counter gets 1 in all.
func (db *DB) ListMove(src, dst []byte, srcLeft, dstLeft bool) (val []byte, ok bool, err error) {
	se, err := db.listEntry(src, Write)
	if se == nil || err != nil {
		return nil, false, err
	}
	if _, err := db.listEntry(dst, Write); err != nil {
		return nil, false, err
	}
	var view quicklist.List
	l := writeList(se, &view)
	val, _ = l.Pop(srcLeft, nil)
	if string(src) == string(dst) {
		if dstLeft {
			l.PushHead(val, db.listFill())
		} else {
			l.PushTail(val, db.listFill())
		}
		db.finishList(se, l, src, 1)
		return val, true, nil
	}
	db.finishList(se, l, src, 1)
	db.pushOne(dst, val, dstLeft)
	return val, true, nil
}

// pushOne adds v at one end of the list at key, which is missing or a list,
// recording a change that does not count in the dirty counter (the move
// that brought it counted already).
func (db *DB) pushOne(key, v []byte, left bool) {
	e := db.keys.find(key) // looked up (and expired) already by the caller
	if e != nil && db.st.expiryHold.Load() != 0 && e.volatile() && db.expiredAt(e, db.now()) {
		db.expireEntry(e) // the caller's lookup left it, expiry being held
		e = nil
	}
	if e == nil {
		db.newList(key, [][]byte{v}, left, NoDirty)
		return
	}
	var view quicklist.List
	l := writeList(e, &view)
	if left {
		l.PushHead(v, db.listFill())
	} else {
		l.PushTail(v, db.listFill())
	}
	db.finishList(e, l, key, NoDirty)
}
