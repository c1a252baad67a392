// Package zindex is the order index of a large sorted set: the (score,
// member) pairs in order, as Item values that name their member by a
// reference into another structure (the sorted set's dict), with rank
// queries in logarithmic time.
//
// The items live in a sequence of sorted chunks of at most maxChunk items,
// found by binary search over a dense array of the chunks' last items, and
// a Fenwick tree of the chunk lengths turns a chunk and an offset into a
// rank and back. An insertion or a deletion moves the items of one chunk
// (at most two); a chunk that fills up passes items to a neighbour with
// room, or splits in two when both are three-quarters full, and one that
// runs low merges with a small neighbour: only a split or a merge rebuilds
// the last-item array and the Fenwick tree, in O(chunks). There is one Go
// pointer per chunk, none per item, so the garbage collector scans a
// million-member index in about ten thousand steps, and an item costs 16
// bytes plus the chunks' spare room (about 23 bytes in all, measured).
//
// BenchmarkIndex and BenchmarkBTree compare it with github.com/tidwall/btree
// holding the same items, whose rank query has to be a binary search over
// its counted GetAt (O(log² n)).
//
// The order is the owner's: New takes a comparison of two items, which
// compares scores and then the members the references name. An Index is not
// safe for concurrent use.
package zindex

import "slices"

// Item is one member of the set: its score and a reference that the
// comparison function resolves to the member.
type Item struct {
	Score float64
	Ref   uint32
}

// maxChunk is the most items a chunk holds; a chunk that would exceed it
// splits in two halves. minChunk is the size under which a chunk merges
// with a neighbour when both fit in one.
const (
	maxChunk = 128
	minChunk = maxChunk / 4
)

// Index is an ordered multiset of Items with rank queries.
type Index struct {
	cmp    func(a, b Item) int
	chunks [][]Item
	lasts  []Item  // lasts[i] is chunks[i]'s last item: searched densely
	fen    []int32 // Fenwick tree (1-based) of len(chunks[i])
	n      int
}

// New returns an empty Index ordered by cmp, which must be a total order
// (negative, zero or positive as a sorts before, with or after b).
func New(cmp func(a, b Item) int) *Index { return &Index{cmp: cmp} }

// Len returns the number of items.
func (x *Index) Len() int { return x.n }

// Bytes approximates the memory the index holds.
func (x *Index) Bytes() int {
	b := 64 + cap(x.chunks)*24 + cap(x.lasts)*16 + cap(x.fen)*4
	for _, c := range x.chunks {
		b += cap(c) * 16
	}
	return b
}

// Clone returns a copy sharing no memory with x, ordered by cmp (the
// clone's owner resolves references in its own structure).
func (x *Index) Clone(cmp func(a, b Item) int) *Index {
	c := &Index{cmp: cmp, n: x.n, fen: slices.Clone(x.fen), lasts: slices.Clone(x.lasts), chunks: make([][]Item, len(x.chunks))}
	for i, ch := range x.chunks {
		c.chunks[i] = slices.Clone(ch)
	}
	return c
}

// rebuild recomputes the last items and the Fenwick tree from the chunks,
// in O(chunks).
func (x *Index) rebuild() {
	n := len(x.chunks)
	x.lasts = x.lasts[:0]
	for _, ch := range x.chunks {
		x.lasts = append(x.lasts, ch[len(ch)-1])
	}
	if cap(x.fen) >= n+1 {
		x.fen = x.fen[:n+1]
	} else {
		x.fen = make([]int32, n+1)
	}
	for i := 1; i <= n; i++ {
		x.fen[i] = int32(len(x.chunks[i-1]))
	}
	for i := 1; i <= n; i++ {
		if j := i + i&-i; j <= n {
			x.fen[j] += x.fen[i]
		}
	}
}

// add adds d to chunk c's length in the Fenwick tree.
func (x *Index) add(c int, d int32) {
	for i := c + 1; i < len(x.fen); i += i & -i {
		x.fen[i] += d
	}
}

// prefix returns the number of items in chunks before c.
func (x *Index) prefix(c int) int {
	s := int32(0)
	for i := c; i > 0; i -= i & -i {
		s += x.fen[i]
	}
	return int(s)
}

// locate returns the chunk holding rank i (0 ≤ i < Len) and the offset in
// it.
func (x *Index) locate(i int) (int, int) {
	pos := 0
	rem := int32(i)
	n := len(x.fen) - 1
	step := 1
	for step*2 <= n {
		step *= 2
	}
	for ; step > 0; step /= 2 {
		if pos+step <= n && x.fen[pos+step] <= rem {
			pos += step
			rem -= x.fen[pos]
		}
	}
	return pos, int(rem)
}

// chunkFor returns the chunk where item belongs: the first whose last item
// does not sort before it, or the last chunk.
func (x *Index) chunkFor(it Item) int {
	lo, hi := 0, len(x.lasts)-1
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if x.cmp(x.lasts[mid], it) < 0 {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// search returns the offset in ch of the first item not before it.
func (x *Index) search(ch []Item, it Item) int {
	lo, hi := 0, len(ch)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if x.cmp(ch[mid], it) < 0 {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// Insert adds it at its place in the order.
func (x *Index) Insert(it Item) {
	x.n++
	if len(x.chunks) == 0 {
		x.chunks = append(x.chunks, append(make([]Item, 0, 8), it))
		x.rebuild()
		return
	}
	c := x.chunkFor(it)
	ch := x.chunks[c]
	if len(ch) == cap(ch) {
		// Grow by doubling, but never past what a split needs.
		ch = slices.Grow(ch, min(max(8, len(ch)), maxChunk+1-len(ch)))
	}
	ch = slices.Insert(ch, x.search(ch, it), it)
	if len(ch) <= maxChunk {
		x.chunks[c] = ch
		x.lasts[c] = ch[len(ch)-1]
		x.add(c, 1)
		return
	}
	x.chunks[c] = ch
	x.lasts[c] = ch[len(ch)-1]
	x.add(c, 1)
	// Full: pass items to a neighbour with room, which changes no chunk
	// boundaries' count, rather than split (which rebuilds the tree).
	if c+1 < len(x.chunks) && len(x.chunks[c+1]) < maxChunk*3/4 {
		x.shift(c, c+1)
		return
	}
	if c > 0 && len(x.chunks[c-1]) < maxChunk*3/4 {
		x.shift(c, c-1)
		return
	}
	// Split in halves, each with room to grow.
	half := len(ch) / 2
	left := make([]Item, half, maxChunk*3/4)
	copy(left, ch[:half])
	right := make([]Item, len(ch)-half, maxChunk*3/4)
	copy(right, ch[half:])
	x.chunks[c] = left
	x.chunks = slices.Insert(x.chunks, c+1, right)
	x.rebuild()
}

// shift moves items from chunk from to its neighbour to, half the
// difference of their lengths, keeping the order: from's last items to the
// head of the next chunk, or its first items to the tail of the previous.
func (x *Index) shift(from, to int) {
	src, dst := x.chunks[from], x.chunks[to]
	k := (len(src) - len(dst)) / 2
	dst = slices.Grow(dst, k)
	if to == from+1 {
		dst = slices.Insert(dst, 0, src[len(src)-k:]...)
		src = src[:len(src)-k]
		x.lasts[from] = src[len(src)-1]
	} else {
		dst = append(dst, src[:k]...)
		src = slices.Delete(src, 0, k)
		x.lasts[to] = dst[len(dst)-1]
	}
	x.chunks[from], x.chunks[to] = src, dst
	x.add(from, int32(-k))
	x.add(to, int32(k))
}

// Delete removes the item that compares equal to it, reporting whether
// there was one.
func (x *Index) Delete(it Item) bool {
	if x.n == 0 {
		return false
	}
	c := x.chunkFor(it)
	ch := x.chunks[c]
	o := x.search(ch, it)
	if o == len(ch) || x.cmp(ch[o], it) != 0 {
		return false
	}
	x.removeAt(c, o)
	return true
}

// removeAt removes offset o of chunk c, merging or dropping the chunk when
// it runs low.
func (x *Index) removeAt(c, o int) {
	x.n--
	ch := slices.Delete(x.chunks[c], o, o+1)
	x.chunks[c] = ch
	switch {
	case len(ch) == 0:
		x.chunks = slices.Delete(x.chunks, c, c+1)
		x.rebuild()
	case len(ch) < minChunk && c+1 < len(x.chunks) && len(ch)+len(x.chunks[c+1]) <= maxChunk*3/4:
		x.chunks[c] = append(ch, x.chunks[c+1]...)
		x.chunks = slices.Delete(x.chunks, c+1, c+2)
		x.rebuild()
	case len(ch) < minChunk && c > 0 && len(ch)+len(x.chunks[c-1]) <= maxChunk*3/4:
		x.chunks[c-1] = append(x.chunks[c-1], ch...)
		x.chunks = slices.Delete(x.chunks, c, c+1)
		x.rebuild()
	default:
		if cap(ch) > 4*len(ch) && cap(ch) > 32 {
			x.chunks[c] = slices.Clip(slices.Clone(ch))
		}
		x.lasts[c] = ch[len(ch)-1]
		x.add(c, -1)
	}
}

// At returns the item of rank i, 0 ≤ i < Len.
func (x *Index) At(i int) Item {
	c, o := x.locate(i)
	return x.chunks[c][o]
}

// Replace puts it in place of the item of rank i; it must sort at the same
// place (a new reference to the same member).
func (x *Index) Replace(i int, it Item) {
	c, o := x.locate(i)
	x.chunks[c][o] = it
	if o == len(x.chunks[c])-1 {
		x.lasts[c] = it
	}
}

// DeleteAt removes and returns the item of rank i, 0 ≤ i < Len.
func (x *Index) DeleteAt(i int) Item {
	c, o := x.locate(i)
	it := x.chunks[c][o]
	x.removeAt(c, o)
	return it
}

// LowerBound returns the rank of the first item for which pred is true,
// pred being false and then true along the order (Len if it never is).
func (x *Index) LowerBound(pred func(Item) bool) int {
	lo, hi := 0, len(x.lasts)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if !pred(x.lasts[mid]) {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo == len(x.chunks) {
		return x.n
	}
	ch := x.chunks[lo]
	a, b := 0, len(ch)
	for a < b {
		mid := int(uint(a+b) >> 1)
		if !pred(ch[mid]) {
			a = mid + 1
		} else {
			b = mid
		}
	}
	return x.prefix(lo) + a
}

// Rank returns the rank of the item equal to it, if there is one.
func (x *Index) Rank(it Item) (int, bool) {
	if x.n == 0 {
		return 0, false
	}
	c := x.chunkFor(it)
	ch := x.chunks[c]
	o := x.search(ch, it)
	if o == len(ch) || x.cmp(ch[o], it) != 0 {
		return 0, false
	}
	return x.prefix(c) + o, true
}

// Ascend calls fn with the items from rank i upwards until fn returns
// false. The index must not change meanwhile.
func (x *Index) Ascend(i int, fn func(Item) bool) {
	if i < 0 || i >= x.n {
		return
	}
	c, o := x.locate(i)
	for ; c < len(x.chunks); c, o = c+1, 0 {
		for _, it := range x.chunks[c][o:] {
			if !fn(it) {
				return
			}
		}
	}
}

// Descend calls fn with the items from rank i downwards until fn returns
// false. The index must not change meanwhile.
func (x *Index) Descend(i int, fn func(Item) bool) {
	if i < 0 || i >= x.n {
		return
	}
	c, o := x.locate(i)
	for {
		ch := x.chunks[c]
		for ; o >= 0; o-- {
			if !fn(ch[o]) {
				return
			}
		}
		if c == 0 {
			return
		}
		c--
		o = len(x.chunks[c]) - 1
	}
}
