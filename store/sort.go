package store

import "github.com/redoubt-db/redoubt/store/internal/quicklist"

// What SORT needs of the store: the key it sorts, read in its natural
// order or by ranges, and the list it stores. The server does the sorting,
// the BY and GET lookups (Get, HashRead) and the replies.

// SortSource is the value SORT reads, as SortOpen returns it: a list, a
// set or a sorted set, or an empty list for a missing key. Like every view,
// it is valid only until the transaction's next change of the store.
type SortSource struct {
	e   *entry
	typ Type
}

// SortOpen looks key up as SORT does, as a read counting a hit or a miss:
// a missing key is an empty list, a list, set or sorted set is returned,
// any other type is ErrWrongType. A sorted set still in a listpack is
// converted to a skiplist first, as Redis's SORT converts it for good (even
// SORT_RO); the conversion changes no content, so nothing is recorded.
func (db *DB) SortOpen(key []byte) (SortSource, error) {
	e := db.lookup(key, 0)
	if e == nil {
		return SortSource{typ: TypeList}, nil
	}
	switch e.typ() {
	case TypeList, TypeSet:
	case TypeZSet:
		if e.inline() {
			toSkip(e)
		}
	default:
		return SortSource{}, ErrWrongType
	}
	return SortSource{e: e, typ: e.typ()}, nil
}

// Type returns TypeList, TypeSet or TypeZSet (TypeList for a missing key).
func (s SortSource) Type() Type { return s.typ }

// Len returns the number of elements.
func (s SortSource) Len() int {
	if s.e == nil {
		return 0
	}
	switch s.typ {
	case TypeList:
		var view quicklist.List
		return readList(s.e, &view).Len()
	case TypeSet:
		return viewOf(s.e).Len()
	default:
		return zviewOf(s.e).card()
	}
}

// Each calls fn with every element: a list's in order, a set's in its
// iteration order (an intset's ascending), a sorted set's by ascending
// score. fn's argument is valid only during the call.
func (s SortSource) Each(fn func(v []byte)) {
	if s.e == nil {
		return
	}
	switch s.typ {
	case TypeList:
		var view quicklist.List
		l := readList(s.e, &view)
		l.Range(0, l.Len(), fn)
		l.Release()
	case TypeSet:
		viewOf(s.e).Each(func(m []byte) bool { fn(m); return true })
	default:
		v := zviewOf(s.e)
		if v.card() > 0 {
			v.each(0, false, func(m []byte, _ float64) bool { fn(m); return true })
		}
	}
}

// Range calls fn with n elements of a list or sorted set in their natural
// order from position start, or, when rev, from position start counted
// from the tail towards the head (SORT's BY nosort with DESC). Positions
// out of range are skipped: start and n are clamped to the length before
// anything is read. A set has no natural order; Range reads none of it.
func (s SortSource) Range(start, n int, rev bool, fn func(v []byte)) {
	size := s.Len()
	if s.e == nil || s.typ == TypeSet || start < 0 || start >= size || n <= 0 {
		return
	}
	n = min(n, size-start)
	switch s.typ {
	case TypeList:
		var view quicklist.List
		l := readList(s.e, &view)
		if rev {
			l.RangeBack(size-1-start, n, fn)
		} else {
			l.Range(start, n, fn)
		}
		l.Release()
	default:
		i := start
		if rev {
			i = size - 1 - start
		}
		zviewOf(s.e).each(i, rev, func(m []byte, _ float64) bool {
			fn(m)
			n--
			return n > 0
		})
	}
}

// sortStoreFill is the node limit of the lists SortStore builds: Redis's
// quicklist default, -2 (8 KiB).
const sortStoreFill = -2

// SortStore replaces whatever dst holds with a new list of vals, in order,
// clearing its deadline, as SORT … STORE does, and records the write with
// weight n (Redis adds the number of stored elements to the dirty
// counter). With no vals, dst is deleted instead, if it exists, recording
// a delete weighing 1. A value replaced or deleted is freed as the server
// frees what a command deletes (lazyfree-lazy-server-del). The list is
// built in nodes of up to 8 KiB whatever list-max-listpack-size says, as
// Redis's SORT builds it; vals
// may alias the store (they are copied into the list before dst changes).
func (db *DB) SortStore(dst []byte, vals [][]byte, n int) {
	old := db.lookup(dst, Write)
	if len(vals) == 0 {
		if old != nil {
			db.serverDelete(old)
			db.recordN(OpDelete, dst, 1)
		}
		return
	}
	// Redis builds the list with quicklistCreate's defaults, not the
	// configured list-max-listpack-size: nodes of up to 8 KiB, and
	// compresses none of them (depth 0) until the list next changes here.
	var l quicklist.List
	for _, v := range vals {
		l.PushTail(v, sortStoreFill)
	}
	lru := db.st.lruClock.Load()
	var ne *entry
	if l.Nodes() == 1 {
		ne = newInlineEntry(dst, EncListQuicklist, l.Node(0), lru)
	} else {
		ne = newCompoundEntry(dst, EncListQuicklist, &listValue{l}, lru)
	}
	if old != nil {
		db.overwrite(old, ne)
	} else {
		db.insertEntry(ne)
	}
	db.recordN(OpWrite, dst, n)
}
