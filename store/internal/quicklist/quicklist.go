// Package quicklist implements the representation of a large Redis list: a
// sequence of listpack nodes, each bounded by list-max-listpack-size (the
// fill), as Redis 7.0's quicklist.c arranges them.
//
// A List holds only byte slices (one per node) and a few integers, so the
// garbage collector scans one pointer per node, not per element. Nodes sit
// in a slice with room at both ends, so a new head or tail node costs O(1)
// amortised. Pushes and pops at the ends touch one node; an index is found
// by skipping whole nodes by their counts, from the nearer end, as Redis
// does.
//
// With a compress depth d > 0 (list-compress-depth), the d nodes at each
// end stay raw and the interior nodes are kept LZF-compressed when that
// saves enough, as Redis's quicklist does. Changes leave the nodes they
// touch raw; Compress, which the owner calls when a command is done,
// compresses them again, looking only at the nodes changed and the d+1
// nodes at each end, so pushes and pops at the ends cost nothing more. A
// compressed node is decompressed for reading into a one-node cache.
//
// Unlike Redis, an element of 1 GiB or more shares the rules of the
// others rather than getting a "plain" node of its own: it only ever gets
// a node to itself.
//
// A List is not safe for concurrent use.
package quicklist

import (
	"encoding/binary"

	"github.com/redoubt-db/redoubt/store/internal/listpack"
	"github.com/redoubt-db/redoubt/store/internal/lzf"
)

// Fill rules, as Redis's quicklist.c has them.
const (
	// sizeSafetyLimit bounds a node under a positive (count) fill.
	sizeSafetyLimit = 8192
	// sizeEstimateOverhead is what an element adds beyond its bytes, as
	// Redis estimates it when deciding whether it fits.
	sizeEstimateOverhead = 8
	// largeElement is the size from which an element gets a node to
	// itself (Redis's packed_threshold: a plain node).
	largeElement = 1 << 30
	// fillMax is the largest count fill Redis accepts (FILL_MAX).
	fillMax = 1 << 15
)

// optimizationLevel[i] is the node size that fill -(i+1) allows.
var optimizationLevel = [...]int{4096, 8192, 16384, 32768, 65536}

// ClampFill returns fill as Redis's quicklistSetFill clamps it: at most
// 32768 elements, at least -5 (64 KiB).
func ClampFill(fill int) int {
	return min(max(fill, -len(optimizationLevel)), fillMax)
}

// sizeMeetsFill reports whether a node of sz bytes is within a size fill.
func sizeMeetsFill(sz, fill int) bool {
	if fill >= 0 {
		return false
	}
	return sz <= optimizationLevel[-fill-1]
}

// AllowInsert reports whether an element of sz bytes may join node lp
// under fill, as Redis's _quicklistNodeAllowInsert decides.
func AllowInsert(lp []byte, fill, sz int) bool {
	if lp == nil || sz >= largeElement || len(lp) >= largeElement {
		return false
	}
	fill = ClampFill(fill)
	newSz := len(lp) + sz + sizeEstimateOverhead
	if sizeMeetsFill(newSz, fill) {
		return true
	}
	if newSz > sizeSafetyLimit {
		return false
	}
	return listpack.Len(lp) < fill
}

// allowMerge reports whether nodes a and b may become one (Redis's
// _quicklistNodeAllowMerge).
func allowMerge(a, b []byte, fill int) bool {
	if a == nil || b == nil || len(a) >= largeElement || len(b) >= largeElement {
		return false
	}
	fill = ClampFill(fill)
	sz := len(a) + len(b) - 11
	if sizeMeetsFill(sz, fill) {
		return true
	}
	if sz > sizeSafetyLimit {
		return false
	}
	return listpack.Len(a)+listpack.Len(b) <= fill
}

// List is a list of byte strings kept in listpack nodes. The zero value is
// an empty list.
type List struct {
	// The nodes, none empty, head first. A list of at most one node keeps
	// it in one and has no buf, so that a List on the stack viewing a
	// single listpack allocates nothing; a second node moves them to
	// buf[lo:hi].
	//
	// A node is stored either as its listpack or compressed (see isLZF).
	one    []byte
	buf    [][]byte
	lo, hi int
	count  int // elements
	bytes  int // capacity of every stored node, for Bytes

	depth int  // compress depth in force; 0 compresses nothing
	all   bool // the depth changed: the next Compress visits every node
	moved bool // nodes were added or removed since the last Compress
	added int  // nodes added since the last Compress
	// [dlo, dhi] holds the nodes changed since the last Compress, when
	// touched.
	touched  bool
	dlo, dhi int
	ncomp    int // compressed nodes

	// cache is the listpack of compressed node cached-1 (none when 0),
	// decompressed for reading. Each decompression allocates anew, so
	// what a caller holds of an earlier one stays valid.
	cached int
	cache  []byte
}

// Compression, as Redis's quicklist.c decides it.
const (
	// minCompressBytes is the smallest node worth compressing.
	minCompressBytes = 48
	// minCompressImprove is how much smaller than the node its
	// compressed form must be, beyond which it stays raw.
	minCompressImprove = 8
	// lzfHeader starts a compressed node: four zero bytes (a listpack
	// starts with its size, never 0), the listpack's size and its element
	// count, little-endian; the LZF stream follows.
	lzfHeader = 12
)

// isLZF reports whether stored node b is compressed.
func isLZF(b []byte) bool {
	return len(b) >= lzfHeader && b[0]|b[1]|b[2]|b[3] == 0
}

// FromListpack returns a list whose single node is lp, which the list
// takes over. lp must hold at least one element.
func FromListpack(lp []byte) *List {
	l := &List{}
	l.Reset(lp)
	return l
}

// Reset makes l a list whose only node is lp (or an empty list when lp is
// nil), dropping its other nodes.
func (l *List) Reset(lp []byte) {
	*l = List{}
	if lp == nil {
		return
	}
	l.one = lp
	l.count = listpack.Len(lp)
	l.bytes = cap(lp)
}

// Len returns the number of elements.
func (l *List) Len() int { return l.count }

// Nodes returns the number of nodes.
func (l *List) Nodes() int {
	if l.buf == nil {
		if l.one == nil {
			return 0
		}
		return 1
	}
	return l.hi - l.lo
}

// stored returns node i as stored: its listpack or its compressed form.
func (l *List) stored(i int) []byte {
	if l.buf == nil {
		return l.one
	}
	return l.buf[l.lo+i]
}

// Node returns node i's listpack (0 is the head), for reading,
// decompressing it when it is compressed. The result stays valid until the
// list changes.
func (l *List) Node(i int) []byte {
	s := l.stored(i)
	if !isLZF(s) {
		return s
	}
	if l.cached == i+1 {
		return l.cache
	}
	l.cache = decompress(s)
	l.cached = i + 1
	return l.cache
}

// decompress returns the listpack of compressed node s.
func decompress(s []byte) []byte {
	lp, err := lzf.Decompress(s[lzfHeader:], int(binary.LittleEndian.Uint32(s[4:])))
	if err != nil {
		panic("quicklist: corrupt compressed node")
	}
	return lp
}

// nodeLen returns the number of elements in node i without decompressing
// it.
func (l *List) nodeLen(i int) int {
	s := l.stored(i)
	if isLZF(s) {
		return int(binary.LittleEndian.Uint32(s[8:]))
	}
	return listpack.Len(s)
}

// Compressed reports whether node i is stored compressed.
func (l *List) Compressed(i int) bool { return isLZF(l.stored(i)) }

// CompressedNodes returns the number of compressed nodes.
func (l *List) CompressedNodes() int { return l.ncomp }

// SetCompressDepth sets the compress depth (list-compress-depth): d ≥ 1
// nodes at each end stay raw and the others are compressed; 0 compresses
// nothing. A new depth applies to the whole list at the next Compress.
func (l *List) SetCompressDepth(d int) {
	d = max(0, min(d, 1<<16-1)) // Redis's COMPRESS_MAX
	if d != l.depth {
		l.depth = d
		l.all = true
	}
}

// Release drops the decompressed node kept for reading, once a reader is
// done; what callers hold of it stays valid.
func (l *List) Release() { l.cached, l.cache = 0, nil }

// Compress brings the list in line with its compress depth after a
// change: the nodes within the depth of either end raw, the others
// compressed when that saves enough. It looks at the nodes changed since
// the last call and at the depth+1 nodes at each end, unless the depth
// changed, when it visits every node.
func (l *List) Compress() {
	n := l.Nodes()
	d := l.depth
	touched, lo, hi, moved, added := l.touched, l.dlo, l.dhi, l.moved, l.added
	l.touched, l.moved, l.added = false, false, 0
	l.Release()
	if l.all {
		l.all = false
		if d == 0 && l.ncomp == 0 {
			return
		}
		for i := 0; i < n; i++ {
			if d > 0 && i >= d && i < n-d {
				l.compressNode(i)
			} else {
				l.decompressNode(i)
			}
		}
		return
	}
	if d == 0 || n == 0 {
		return
	}
	if moved && l.ncomp > 0 {
		// An end node may have been removed, bringing a compressed one
		// within the depth.
		for k := 0; k < min(d, n); k++ {
			l.decompressNode(k)
			l.decompressNode(n - 1 - k)
		}
	}
	if n <= 2*d {
		return // no interior
	}
	if moved {
		// A node that was within the depth of an end at the last
		// Compress is now at most `added` nodes further in: look at
		// that many past the depth at each end.
		k := min(max(added, 1), n-2*d)
		for j := 0; j < k; j++ {
			l.compressNode(d + j)
			l.compressNode(n - 1 - d - j)
		}
	}
	if touched {
		for i := max(lo, d); i <= min(hi, n-1-d); i++ {
			l.compressNode(i)
		}
	}
}

// compressNode stores node i compressed, unless it is already, is too
// small or does not compress well enough.
func (l *List) compressNode(i int) {
	s := l.stored(i)
	if isLZF(s) || len(s) < minCompressBytes {
		return
	}
	var hdr [lzfHeader]byte
	binary.LittleEndian.PutUint32(hdr[4:], uint32(len(s)))
	binary.LittleEndian.PutUint32(hdr[8:], uint32(listpack.Len(s)))
	c, ok := lzf.AppendCompress(hdr[:], s, len(s)-minCompressImprove-1)
	if !ok {
		return
	}
	if cap(c)-len(c) > 16 {
		c = append([]byte(nil), c...) // exact size: it stays a while
	}
	l.put(i, c)
}

// decompressNode stores node i raw.
func (l *List) decompressNode(i int) {
	if s := l.stored(i); isLZF(s) {
		l.put(i, l.Node(i))
	}
}

// put stores b as node i, keeping the byte and compressed-node counts,
// without marking the node changed.
func (l *List) put(i int, b []byte) {
	old := l.stored(i)
	if isLZF(old) {
		l.ncomp--
	}
	if isLZF(b) {
		l.ncomp++
	}
	l.cached = 0
	l.bytes += cap(b) - cap(old)
	if l.buf == nil {
		l.one = b
	} else {
		l.buf[l.lo+i] = b
	}
}

// touch marks node i changed.
func (l *List) touch(i int) {
	if !l.touched {
		l.touched, l.dlo, l.dhi = true, i, i
		return
	}
	l.dlo, l.dhi = min(l.dlo, i), max(l.dhi, i)
}

// Bytes is the memory the list holds: its nodes' capacity and the node
// slice. It is kept up to date by every change, in O(1).
func (l *List) Bytes() int { return l.bytes + cap(l.buf)*24 + 64 }

// SetNode replaces node i with lp, which must hold the same elements (a
// copy, say).
func (l *List) SetNode(i int, lp []byte) { l.setNode(i, lp) }

// setNode replaces node i with listpack lp, keeping the counts.
func (l *List) setNode(i int, lp []byte) {
	l.put(i, lp)
	l.touch(i)
}

// insertNode makes lp node i, shifting the nodes from i on.
func (l *List) insertNode(i int, lp []byte) {
	l.cached = 0
	l.moved = true
	l.added++
	if l.touched {
		if l.dlo >= i {
			l.dlo++
		}
		if l.dhi >= i {
			l.dhi++
		}
	}
	l.touch(i)
	if l.buf == nil {
		if l.one == nil {
			l.one = lp
			l.bytes += cap(lp)
			return
		}
		// A second node: both move to buf, with room at either end.
		l.buf = make([][]byte, 4)
		l.lo, l.hi = 1, 2
		l.buf[1] = l.one
		l.one = nil
	}
	n := l.hi - l.lo
	switch {
	case i == 0 && l.lo > 0:
		l.lo--
	case i == n && l.hi < len(l.buf):
		l.hi++
	default:
		l.grow(i)
	}
	l.buf[l.lo+i] = lp
	l.bytes += cap(lp)
}

// grow makes a gap at node i, with room at both ends: when most of buf is
// in use it moves to a larger one, else it moves nodes towards the free
// side.
func (l *List) grow(i int) {
	n := l.hi - l.lo
	if n+1 > len(l.buf)*3/4 || len(l.buf) < 4 {
		nb := make([][]byte, max(4, 2*(n+1)))
		lo := (len(nb) - (n + 1)) / 2
		copy(nb[lo:], l.buf[l.lo:l.lo+i])
		copy(nb[lo+i+1:], l.buf[l.lo+i:l.hi])
		l.buf, l.lo, l.hi = nb, lo, lo+n+1
		return
	}
	// Recentre: the nodes take the middle of buf, with a gap at i.
	lo := (len(l.buf) - (n + 1)) / 2
	old := l.buf[l.lo:l.hi]
	tmp := make([][]byte, n) // small: n ≤ len(buf)
	copy(tmp, old)
	clear(old)
	copy(l.buf[lo:], tmp[:i])
	copy(l.buf[lo+i+1:], tmp[i:])
	l.lo, l.hi = lo, lo+n+1
}

// removeNode drops node i.
func (l *List) removeNode(i int) {
	l.cached = 0
	l.moved = true
	if l.touched {
		if l.dlo > i {
			l.dlo--
		}
		if l.dhi >= i {
			l.dhi--
		}
		if l.dlo > l.dhi {
			l.touched = false
		}
	}
	if isLZF(l.stored(i)) {
		l.ncomp--
	}
	if l.buf == nil {
		l.bytes -= cap(l.one)
		l.one = nil
		return
	}
	j := l.lo + i
	l.bytes -= cap(l.buf[j])
	if i < (l.hi-l.lo)/2 {
		copy(l.buf[l.lo+1:j+1], l.buf[l.lo:j])
		l.buf[l.lo] = nil
		l.lo++
	} else {
		copy(l.buf[j:], l.buf[j+1:l.hi])
		l.hi--
		l.buf[l.hi] = nil
	}
	if l.lo == l.hi {
		l.lo, l.hi = 0, 0
	}
	if len(l.buf) > 16 && (l.hi-l.lo)*8 < len(l.buf) {
		n := l.hi - l.lo
		nb := make([][]byte, max(4, 2*n))
		lo := (len(nb) - n) / 2
		copy(nb[lo:], l.buf[l.lo:l.hi])
		l.buf, l.lo, l.hi = nb, lo, lo+n
	}
}

// newNode returns a listpack holding v alone.
func newNode(v []byte) []byte {
	return listpack.Append(listpack.New(listpack.EmptySize+len(v)+11), v)
}

// seal gives a node that stopped being an end node its spare capacity
// back: it will rarely grow again.
func (l *List) seal(i int) {
	if lp := l.stored(i); !isLZF(lp) && cap(lp)-len(lp) > 64 {
		l.setNode(i, listpack.Shrink(lp))
	}
}

// PushHead adds v at the head.
func (l *List) PushHead(v []byte, fill int) {
	if n := l.Nodes(); n > 0 && AllowInsert(l.Node(0), fill, len(v)) {
		l.setNode(0, listpack.Prepend(l.Node(0), v))
	} else {
		l.insertNode(0, newNode(v))
		if n > 0 {
			l.seal(1)
		}
	}
	l.count++
}

// PushTail adds v at the tail.
func (l *List) PushTail(v []byte, fill int) {
	n := l.Nodes()
	if n > 0 && AllowInsert(l.Node(n-1), fill, len(v)) {
		l.setNode(n-1, listpack.Append(l.Node(n-1), v))
	} else {
		l.insertNode(n, newNode(v))
		if n > 0 {
			l.seal(n - 1)
		}
	}
	l.count++
}

// Pop removes the head (or tail) element and appends it to dst, returning
// the result and false when the list is empty.
func (l *List) Pop(head bool, dst []byte) ([]byte, bool) {
	if l.count == 0 {
		return dst, false
	}
	i, p := 0, 0
	if head {
		p = listpack.First(l.Node(0))
	} else {
		i = l.Nodes() - 1
		p = listpack.Last(l.Node(i))
	}
	var scratch [listpack.IntBufSize]byte
	dst = append(dst, listpack.Get(l.Node(i), p, scratch[:0])...)
	l.Delete(Pos{i, p})
	return dst, true
}

// Pos is the place of an element: node N, byte offset P in it. The zero
// Pos is the head when the list is not empty; Valid reports whether a Pos
// names an element.
type Pos struct{ N, P int }

// End is the Pos past either end.
var End = Pos{-1, -1}

// Valid reports whether p names an element.
func (p Pos) Valid() bool { return p.N >= 0 }

// Seek returns the Pos of the element at index (0 the head, -1 the tail),
// or End when out of range. It skips whole nodes from the nearer end.
func (l *List) Seek(index int) Pos {
	if index < 0 {
		index += l.count
	}
	if index < 0 || index >= l.count {
		return End
	}
	if index <= l.count/2 {
		for i := 0; i < l.Nodes(); i++ {
			n := l.nodeLen(i)
			if index < n {
				return Pos{i, listpack.Seek(l.Node(i), index)}
			}
			index -= n
		}
		return End
	}
	back := l.count - 1 - index // 0 is the tail
	for i := l.Nodes() - 1; i >= 0; i-- {
		n := l.nodeLen(i)
		if back < n {
			return Pos{i, listpack.Seek(l.Node(i), -1-back)}
		}
		back -= n
	}
	return End
}

// Head returns the Pos of the first element, End if empty.
func (l *List) Head() Pos {
	if l.count == 0 {
		return End
	}
	return Pos{0, listpack.HeaderSize}
}

// Tail returns the Pos of the last element, End if empty.
func (l *List) Tail() Pos {
	if l.count == 0 {
		return End
	}
	i := l.Nodes() - 1
	return Pos{i, listpack.Last(l.Node(i))}
}

// Next returns the Pos after p, End after the tail.
func (l *List) Next(p Pos) Pos {
	lp := l.Node(p.N)
	if q := listpack.Next(lp, p.P); q >= 0 {
		return Pos{p.N, q}
	}
	if p.N+1 < l.Nodes() {
		return Pos{p.N + 1, listpack.HeaderSize}
	}
	return End
}

// Prev returns the Pos before p, End before the head.
func (l *List) Prev(p Pos) Pos {
	if q := listpack.Prev(l.Node(p.N), p.P); q >= 0 {
		return Pos{p.N, q}
	}
	if p.N > 0 {
		return Pos{p.N - 1, listpack.Last(l.Node(p.N - 1))}
	}
	return End
}

// Get returns the element at p. A string aliases the node until the list
// changes; an integer is formatted into scratch (give it IntBufSize of
// capacity to avoid an allocation).
func (l *List) Get(p Pos, scratch []byte) []byte {
	return listpack.Get(l.Node(p.N), p.P, scratch)
}

// Range calls fn with n ≥ 0 elements from index from ≥ 0 on, in order,
// walking each node's listpack directly. The argument aliases the list
// (or a scratch buffer, for an integer) only until fn returns.
func (l *List) Range(from, n int, fn func(v []byte)) {
	p := l.Seek(from)
	if !p.Valid() {
		return
	}
	var scratch [listpack.IntBufSize]byte
	off := p.P
	for i := p.N; n > 0 && i < l.Nodes(); i++ {
		lp := l.Node(i)
		for ; n > 0 && off >= 0; n-- {
			fn(listpack.Get(lp, off, scratch[:0]))
			off = listpack.Next(lp, off)
		}
		off = listpack.HeaderSize
	}
}

// RangeBack is Range walking towards the head: n elements from index from
// down.
func (l *List) RangeBack(from, n int, fn func(v []byte)) {
	p := l.Seek(from)
	if !p.Valid() {
		return
	}
	var scratch [listpack.IntBufSize]byte
	off := p.P
	for i := p.N; n > 0 && i >= 0; i-- {
		lp := l.Node(i)
		if off < 0 {
			off = listpack.Last(lp)
		}
		for ; n > 0 && off >= 0; n-- {
			fn(listpack.Get(lp, off, scratch[:0]))
			off = listpack.Prev(lp, off)
		}
		off = -1
	}
}

// Equal reports whether the element at p equals v.
func (l *List) Equal(p Pos, v []byte) bool { return listpack.Equal(l.Node(p.N), p.P, v) }

// Replace puts v in place of the element at p (LSET). As in Redis, the node
// may then exceed the fill.
func (l *List) Replace(p Pos, v []byte) {
	l.setNode(p.N, listpack.Replace(l.Node(p.N), p.P, v))
}

// Delete removes the element at p and returns the Pos of the element that
// followed it, or End. Positions of elements before p stay valid.
func (l *List) Delete(p Pos) Pos {
	lp, q := listpack.Delete(l.Node(p.N), p.P)
	l.count--
	if listpack.Empty(lp) {
		l.removeNode(p.N)
		if p.N < l.Nodes() {
			return Pos{p.N, listpack.HeaderSize}
		}
		return End
	}
	l.setNode(p.N, lp)
	if q >= 0 {
		return Pos{p.N, q}
	}
	if p.N+1 < l.Nodes() {
		return Pos{p.N + 1, listpack.HeaderSize}
	}
	return End
}

// locate returns the node holding the element at index (0 ≤ index <
// Len) and the element's index within it, skipping whole nodes from the
// nearer end.
func (l *List) locate(index int) (node, local int) {
	if index <= l.count/2 {
		for i := 0; i < l.Nodes(); i++ {
			n := l.nodeLen(i)
			if index < n {
				return i, index
			}
			index -= n
		}
		return l.Nodes(), 0
	}
	back := l.count - index // elements from index to the tail
	for i := l.Nodes() - 1; i >= 0; i-- {
		n := l.nodeLen(i)
		if back <= n {
			return i, n - back
		}
		back -= n
	}
	return 0, index
}

// DeleteRange removes n ≥ 0 elements from index start ≥ 0 on (fewer if the
// list ends first).
func (l *List) DeleteRange(start, n int) {
	if start < 0 || n <= 0 || start >= l.count {
		return
	}
	n = min(n, l.count-start)
	i, start := l.locate(start)
	for i < l.Nodes() && n > 0 {
		c := l.nodeLen(i)
		if start >= c {
			start -= c
			i++
			continue
		}
		k := min(n, c-start)
		n -= k
		l.count -= k
		if k == c {
			l.removeNode(i)
			continue
		}
		l.setNode(i, listpack.DeleteRange(l.Node(i), start, k))
		start = 0
		i++
	}
}

// Insert adds v before (or after) the element at p (LINSERT), following
// Redis's _quicklistInsert: into p's node when it has room, else into the
// neighbour when p is at that end and the neighbour has room, else into a
// new node at that end, else by splitting p's node and merging what it can.
func (l *List) Insert(p Pos, after bool, v []byte, fill int) {
	lp := l.Node(p.N)
	sz := len(v)
	l.count++
	if AllowInsert(lp, fill, sz) {
		if after {
			lp, _ = listpack.InsertAfter(lp, p.P, v)
		} else {
			lp, _ = listpack.InsertBefore(lp, p.P, v)
		}
		l.setNode(p.N, lp)
		return
	}
	atTail := after && listpack.Next(lp, p.P) < 0
	atHead := !after && p.P == listpack.HeaderSize
	switch {
	case atTail:
		if p.N+1 < l.Nodes() && AllowInsert(l.Node(p.N+1), fill, sz) {
			l.setNode(p.N+1, listpack.Prepend(l.Node(p.N+1), v))
		} else {
			l.insertNode(p.N+1, newNode(v))
		}
		return
	case atHead:
		if p.N > 0 && AllowInsert(l.Node(p.N-1), fill, sz) {
			l.setNode(p.N-1, listpack.Append(l.Node(p.N-1), v))
		} else {
			l.insertNode(p.N, newNode(v))
		}
		return
	}
	// Split: the elements up to p (with after) or before p (without) stay,
	// the rest go to a new node after it, and v joins one of the halves.
	idx := 0
	for q := listpack.First(lp); q != p.P; q = listpack.Next(lp, q) {
		idx++
	}
	cut := idx // elements kept in the left node
	if after {
		cut = idx + 1
	}
	total := listpack.Len(lp)
	right := listpack.DeleteRange(append([]byte(nil), lp...), 0, cut)
	left := listpack.DeleteRange(lp, cut, total-cut)
	if after {
		right = listpack.Prepend(right, v)
	} else {
		left = listpack.Append(left, v)
	}
	l.setNode(p.N, listpack.Shrink(left))
	l.insertNode(p.N+1, right)
	l.mergeAround(p.N, fill)
}

// mergeAround tries to merge the nodes next to node c and c with its
// neighbours, as Redis's _quicklistMergeNodes does after a split.
func (l *List) mergeAround(c, fill int) {
	// prev_prev with prev
	if c >= 2 && l.tryMerge(c-2, fill) {
		c--
	}
	// next with next_next
	if c+2 < l.Nodes() {
		l.tryMerge(c+1, fill)
	}
	// center with prev
	if c >= 1 && l.tryMerge(c-1, fill) {
		c--
	}
	// the result with next
	if c+1 < l.Nodes() {
		l.tryMerge(c, fill)
	}
}

// tryMerge merges nodes i and i+1 when the fill allows, reporting whether
// it did.
func (l *List) tryMerge(i, fill int) bool {
	a, b := l.Node(i), l.Node(i+1)
	if !allowMerge(a, b, fill) {
		return false
	}
	m := make([]byte, 0, len(a)+len(b)-listpack.EmptySize)
	m = append(m, a[:len(a)-1]...)
	m = append(m, b[listpack.HeaderSize:]...)
	setHeader(m, l.nodeLen(i)+l.nodeLen(i+1))
	l.setNode(i, m)
	l.removeNode(i + 1)
	return true
}

// setHeader writes a listpack's total and count after its bytes were
// joined.
func setHeader(lp []byte, count int) {
	n := len(lp)
	lp[0], lp[1], lp[2], lp[3] = byte(n), byte(n>>8), byte(n>>16), byte(n>>24)
	c := min(count, listpack.CountUnknown)
	lp[4], lp[5] = byte(c), byte(c>>8)
}

// Clone returns a deep copy of l.
func (l *List) Clone() *List {
	c := &List{count: l.count, depth: l.depth, all: l.all, ncomp: l.ncomp,
		moved: l.moved, added: l.added, touched: l.touched, dlo: l.dlo, dhi: l.dhi}
	n := l.Nodes()
	if n <= 1 {
		if n == 1 {
			c.one = append([]byte(nil), l.one...)
			c.bytes = cap(c.one)
		}
		return c
	}
	c.buf = make([][]byte, max(4, n+2))
	c.lo, c.hi = 1, 1+n
	for i := 0; i < n; i++ {
		lp := append([]byte(nil), l.stored(i)...)
		c.buf[c.lo+i] = lp
		c.bytes += cap(lp)
	}
	return c
}
