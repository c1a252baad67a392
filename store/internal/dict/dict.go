// Package dict is the large representation shared by hashes (field → value),
// sets (member → empty value) and sorted sets (member → 8-byte score, with a
// separate order index kept by the sorted-set code).
//
// A Dict costs the garbage collector almost nothing: it holds no Go pointer
// per element. Keys and values live in records packed into byte chunks (an
// arena), and the hash table that finds them is made of uint32 record
// references, so a Dict of a million elements has a few hundred pointers
// (one per chunk) and a few large pointer-free arrays.
//
// # Layout
//
// A record is, in a chunk, 4-byte aligned:
//
//	next uint32    reference of the next record in the same hash bucket (0 ends
//	               the chain), or deadMark once the record is deleted
//	klen uvarint   key length
//	vlen uvarint   value length
//	key, val       the bytes
//	padding        to a multiple of 4 bytes
//
// A Ref names a record: the chunk index in its high 18 bits, the offset in
// the chunk divided by 4 in its low 14 bits. Ordinary chunks are at most
// 64 KiB; a record larger than bigRecord gets a chunk of its own at offset 0.
// Chunk 0 is never used, so Ref 0 means "none".
//
// That bounds a Dict to 2^18-2 chunks: since a record goes to a chunk of its
// own only when it is larger than 16 KiB, and compaction keeps dead space
// below live space, a Dict can always hold more than 4 GiB of keys and
// values (16 GiB of small ones). An insertion past the bound panics before
// changing anything, leaving the Dict as it was.
//
// The hash table is chained, shaped as Redis's dict: one or two bucket arrays
// of power-of-two size, with incremental rehashing from the first to the
// second, one bucket per operation, so that SCAN can keep Redis's guarantee
// with a reverse-binary cursor and no call pays for a whole resize. The chain
// links are the records' next fields.
//
// # Space reclaimed
//
// A deleted record becomes dead space in its chunk. A chunk whose last live
// record dies is freed at once. When dead bytes exceed live bytes, the Dict
// compacts incrementally: each mutating call (and Step, for an owner's
// background cycle) steps over a bounded number of records (compactBudget) of
// the chunk being emptied, the one with the smallest live fraction found, and
// always one more than half dead, moving its live records to the tail chunk;
// the chunk is freed once it is empty. So the arena stays under about twice
// the live bytes, and no call does work proportional to the Dict's size.
// Moving a record changes its Ref; the owner hears of it through OnMove. The
// bucket arrays shrink (incrementally, as they grow) when fewer than one
// bucket in ten is used. A Dict whose last element is deleted lets go of all
// its memory at once.
//
// A Dict is not safe for concurrent use, and reads (Get, Find, Random, Scan)
// also advance an incremental rehash, so even readers must be serialised;
// the owning database's mutex does that.
package dict

import (
	"encoding/binary"
	"hash/maphash"
	"iter"
	"math/bits"
)

// Ref is a stable handle on one element of a Dict, for the sorted set's order
// index. It is valid from the call that inserted the element until the
// element is deleted or moved. Elements move only inside mutating calls (Set,
// Put, Add, AddRef, Delete, DeleteRef, Step): when compaction relocates them,
// or when Set or Put give an element a value of a different length. Every move is
// reported through Dict.OnMove before the call returns. Reads (Get, Find,
// Key, Val, Scan, All, Random, Len, Bytes) and SetVal never move an element.
// Clone keeps every Ref: a Ref of the original names the same element in the
// copy.
type Ref uint32

const (
	offBits    = 14
	offMask    = 1<<offBits - 1
	chunkMax   = 4 << offBits // 64 KiB: the largest ordinary chunk
	chunkMin   = 256          // the first chunk's capacity
	maxChunks  = 1<<(32-offBits) - 1
	deadMark   = ^uint32(0)
	bigRecord  = 16 << 10 // records larger than this get their own chunk
	minCompact = 4 << 10  // dead bytes under which no compaction starts

	// compactSearch is how many chunks one call may examine when it picks
	// the next chunk to empty.
	compactSearch = 1024

	// compactBudget is how many records, live or dead, one mutating call
	// may step over while compacting.
	compactBudget = 32

	// rehashEmptyVisits is how many empty buckets a rehash step may skip
	// per bucket it moves. Redis allows 10 of its 8-byte pointers; ours are
	// 4-byte integers read in order, and a shrinking table is mostly empty,
	// so a step can afford a few cache lines of them and a shrink finishes
	// quickly.
	rehashEmptyVisits = 64

	tableInitialSize = 4
	// maxSizeHint bounds the bucket array New preallocates (16 MiB).
	maxSizeHint = 1 << 22
	// tableMinFill is the fill percentage under which the table shrinks.
	tableMinFill = 10

	// fixedBytes approximates the Dict struct and its slice headers.
	fixedBytes = 256
)

// Dict is a hash table of byte-string keys to byte-string values stored
// without per-element Go pointers. The zero value is not usable; call New.
type Dict struct {
	// OnMove, when set, is called when an element moves from Ref old to Ref
	// new (see Ref). During the call both refs are readable with Key and
	// Val and hold the same key and value; old is invalid once OnMove
	// returns. OnMove must not change the Dict.
	OnMove func(old, new Ref)

	chunks [][]byte // chunk i holds the records of Refs with i in the top bits; chunks[0] is nil
	live   []int    // live record bytes per chunk
	free   []uint32 // indexes of freed chunks, for reuse
	tail   uint32   // chunk that records are appended to, 0 for none

	usedBytes  int // sum of len(chunks[i]): live and dead record bytes
	liveBytes  int // sum of live
	allocBytes int // sum of cap(chunks[i])

	compactSrc  uint32 // chunk being emptied, 0 when none
	compactOff  int    // next record offset in compactSrc
	compactScan uint32 // where the search for a chunk to empty goes on

	ht        [2][]uint32 // bucket arrays of Refs; ht[1] is non-nil only while rehashing
	used      [2]int      // elements in each
	rehashIdx int         // next bucket of ht[0] to move, or -1
	seed      maphash.Seed
}

// New returns an empty Dict with room for about sizeHint elements before its
// table grows. Hints above maxSizeHint count as maxSizeHint, so that a hint
// taken from untrusted input cannot allocate much.
func New(sizeHint int) *Dict {
	d := &Dict{rehashIdx: -1, seed: maphash.MakeSeed(), chunks: make([][]byte, 1), live: make([]int, 1)}
	if sizeHint > 0 {
		sizeHint = min(sizeHint, maxSizeHint)
		d.ht[0] = make([]uint32, nextPow2(max(sizeHint, tableInitialSize)))
	}
	return d
}

// Len returns the number of elements.
func (d *Dict) Len() int { return d.used[0] + d.used[1] }

// Bytes returns the approximate memory the Dict holds, in bytes: its chunks'
// capacity, its bucket arrays and its bookkeeping. It costs O(1).
func (d *Dict) Bytes() int {
	return fixedBytes + d.allocBytes + 4*(len(d.ht[0])+len(d.ht[1])) +
		32*cap(d.chunks) + 4*cap(d.free)
}

// ---- records ----

// rec returns the chunk holding r and r's offset in it.
func (d *Dict) rec(r Ref) ([]byte, int) {
	return d.chunks[r>>offBits], int(r&offMask) << 2
}

func (d *Dict) next(r Ref) Ref {
	c, o := d.rec(r)
	return Ref(binary.LittleEndian.Uint32(c[o:]))
}

func (d *Dict) setNext(r, n Ref) {
	c, o := d.rec(r)
	binary.LittleEndian.PutUint32(c[o:], uint32(n))
}

// parse returns the offset of r's key in its chunk c and the key and value
// lengths.
func parse(c []byte, o int) (ko, klen, vlen int) {
	o += 4
	if b := c[o]; b < 0x80 {
		klen = int(b)
		o++
	} else {
		k, n := binary.Uvarint(c[o:])
		klen = int(k)
		o += n
	}
	if b := c[o]; b < 0x80 {
		vlen = int(b)
		o++
	} else {
		v, n := binary.Uvarint(c[o:])
		vlen = int(v)
		o += n
	}
	return o, klen, vlen
}

// recSize is the size in its chunk of a record with these lengths.
func recSize(klen, vlen int) int {
	n := 4 + uvarintLen(klen) + uvarintLen(vlen) + klen + vlen
	return (n + 3) &^ 3
}

func uvarintLen(x int) int { return (bits.Len64(uint64(x)|1) + 6) / 7 }

// Key returns the key of the element r. It aliases the Dict's memory until
// its next change. r must be valid.
func (d *Dict) Key(r Ref) []byte {
	c, o := d.rec(r)
	ko, kl, _ := parse(c, o)
	return c[ko : ko+kl : ko+kl]
}

// Val returns the value of the element r. It aliases the Dict's memory until
// its next change. r must be valid.
func (d *Dict) Val(r Ref) []byte {
	c, o := d.rec(r)
	ko, kl, vl := parse(c, o)
	return c[ko+kl : ko+kl+vl : ko+kl+vl]
}

func (d *Dict) kv(r Ref) (key, val []byte) {
	c, o := d.rec(r)
	ko, kl, vl := parse(c, o)
	return c[ko : ko+kl : ko+kl], c[ko+kl : ko+kl+vl : ko+kl+vl]
}

// SetVal overwrites the value of element r with val, which must have the
// same length as the current value; it reports false, changing nothing, if
// the lengths differ. r stays valid.
func (d *Dict) SetVal(r Ref, val []byte) bool {
	c, o := d.rec(r)
	ko, kl, vl := parse(c, o)
	if vl != len(val) {
		return false
	}
	copy(c[ko+kl:], val)
	return true
}

// appendRecord stores a new record for key and val, with next 0, and returns
// its Ref.
func (d *Dict) appendRecord(key, val []byte) Ref {
	size := recSize(len(key), len(val))
	var ci uint32
	if size > bigRecord {
		ci = d.newChunk(size)
	} else {
		ci = d.tail
		c := d.chunks[ci]
		if ci == 0 || len(c)+size > cap(c) {
			if ci != 0 && cap(c) < chunkMax && len(c)+size <= chunkMax {
				n := make([]byte, len(c), min(chunkMax, max(2*cap(c), nextPow2(len(c)+size))))
				copy(n, c)
				d.allocBytes += cap(n) - cap(c)
				d.chunks[ci] = n
			} else {
				want := min(chunkMax, max(chunkMin, nextPow2(size), nextPow2(d.liveBytes/2)))
				ci = d.newChunk(want)
				d.tail = ci
			}
		}
	}
	c := d.chunks[ci]
	o := len(c)
	c = c[:o+size]
	binary.LittleEndian.PutUint32(c[o:], 0)
	p := o + 4
	p += binary.PutUvarint(c[p:], uint64(len(key)))
	p += binary.PutUvarint(c[p:], uint64(len(val)))
	p += copy(c[p:], key)
	p += copy(c[p:], val)
	clear(c[p : o+size])
	d.chunks[ci] = c
	d.live[ci] += size
	d.liveBytes += size
	d.usedBytes += size
	return Ref(ci<<offBits | uint32(o>>2))
}

// newChunk allocates an empty chunk of capacity n and returns its index.
func (d *Dict) newChunk(n int) uint32 {
	var ci uint32
	if k := len(d.free); k > 0 {
		ci = d.free[k-1]
		d.free = d.free[:k-1]
	} else {
		if len(d.chunks) >= maxChunks {
			panic("dict: too many chunks")
		}
		ci = uint32(len(d.chunks))
		d.chunks = append(d.chunks, nil)
		d.live = append(d.live, 0)
	}
	d.chunks[ci] = make([]byte, 0, n)
	d.allocBytes += n
	return ci
}

// freeChunk releases chunk ci, which holds no live record.
func (d *Dict) freeChunk(ci uint32) {
	c := d.chunks[ci]
	d.allocBytes -= cap(c)
	d.usedBytes -= len(c)
	d.chunks[ci] = nil
	d.live[ci] = 0
	d.free = append(d.free, ci)
	if ci == d.tail {
		d.tail = 0
	}
	if ci == d.compactSrc {
		d.compactSrc = 0
	}
}

// kill marks the record r dead and frees its chunk if it was the last live
// record there.
func (d *Dict) kill(r Ref) {
	c, o := d.rec(r)
	_, kl, vl := parse(c, o)
	size := recSize(kl, vl)
	binary.LittleEndian.PutUint32(c[o:], deadMark)
	ci := uint32(r >> offBits)
	d.live[ci] -= size
	d.liveBytes -= size
	if d.live[ci] == 0 {
		if ci == d.tail && ci != d.compactSrc {
			// Rewind the tail rather than freeing it.
			d.usedBytes -= len(c)
			d.chunks[ci] = c[:0]
		} else {
			d.freeChunk(ci)
		}
	}
}

// ---- hash table ----

func (d *Dict) hash(key []byte) uint64 { return maphash.Bytes(d.seed, key) }

func (d *Dict) rehashing() bool { return d.rehashIdx >= 0 }

func (d *Dict) keyIs(r Ref, key []byte) bool {
	c, o := d.rec(r)
	ko, kl, _ := parse(c, o)
	return kl == len(key) && string(c[ko:ko+kl]) == string(key)
}

// lookup finds key. It returns the bucket array and index where its chain
// starts, the element before it in the chain (0 if first) and the element
// (0 if absent; then tbl and idx name where a new element goes).
func (d *Dict) lookup(key []byte) (tbl int, idx uint64, prev, cur Ref) {
	h := d.hash(key)
	for i := 0; i < 2; i++ {
		b := d.ht[i]
		if len(b) == 0 {
			break
		}
		idx = h & uint64(len(b)-1)
		prev = 0
		for r := Ref(b[idx]); r != 0; prev, r = r, d.next(r) {
			if d.keyIs(r, key) {
				return i, idx, prev, r
			}
		}
		if !d.rehashing() {
			break
		}
	}
	return 0, 0, 0, 0
}

// setLink makes the link after prev (or the head of bucket idx of ht[tbl]
// when prev is 0) point at r.
func (d *Dict) setLink(tbl int, idx uint64, prev, r Ref) {
	if prev == 0 {
		d.ht[tbl][idx] = uint32(r)
	} else {
		d.setNext(prev, r)
	}
}

// Find returns the Ref of key's element.
func (d *Dict) Find(key []byte) (Ref, bool) {
	if d.Len() == 0 {
		return 0, false
	}
	if d.rehashing() {
		d.rehash(1)
	}
	_, _, _, r := d.lookup(key)
	return r, r != 0
}

// Get returns the value of key. val aliases the Dict's memory until its next
// change.
func (d *Dict) Get(key []byte) (val []byte, ok bool) {
	r, ok := d.Find(key)
	if !ok {
		return nil, false
	}
	return d.Val(r), true
}

// Set sets key to val, inserting it or replacing its value, and reports
// whether it was inserted.
func (d *Dict) Set(key, val []byte) (inserted bool) {
	_, inserted = d.Put(key, val)
	return inserted
}

// Put is Set that also returns the element's Ref.
func (d *Dict) Put(key, val []byte) (Ref, bool) {
	r, inserted := d.put(key, val, true)
	d.compactStep()
	return r, inserted
}

// Add inserts key with val if key is absent and reports whether it did.
func (d *Dict) Add(key, val []byte) bool {
	_, inserted := d.AddRef(key, val)
	return inserted
}

// AddRef is Add that also returns the element's Ref, the existing one's when
// key was present.
func (d *Dict) AddRef(key, val []byte) (Ref, bool) {
	r, inserted := d.put(key, val, false)
	if inserted {
		d.compactStep()
	}
	return r, inserted
}

func (d *Dict) put(key, val []byte, replace bool) (Ref, bool) {
	if d.rehashing() {
		d.rehash(1)
	}
	tbl, idx, prev, cur := d.lookup(key)
	if cur != 0 {
		if !replace || d.SetVal(cur, val) {
			return cur, false
		}
		// A value of another length: write a new record in the old
		// one's place in the chain.
		r := d.appendRecord(key, val)
		d.setNext(r, d.next(cur))
		d.setLink(tbl, idx, prev, r)
		if d.OnMove != nil {
			d.OnMove(cur, r)
		}
		d.kill(cur)
		return r, false
	}
	d.expandIfNeeded()
	r := d.appendRecord(key, val)
	tbl = 0
	if d.rehashing() {
		tbl = 1
	}
	b := d.ht[tbl]
	idx = d.hash(key) & uint64(len(b)-1)
	d.setNext(r, Ref(b[idx]))
	b[idx] = uint32(r)
	d.used[tbl]++
	return r, true
}

// Delete removes key and reports whether it was present.
func (d *Dict) Delete(key []byte) bool {
	if d.Len() == 0 {
		return false
	}
	if d.rehashing() {
		d.rehash(1)
	}
	tbl, idx, prev, cur := d.lookup(key)
	if cur == 0 {
		return false
	}
	d.unlink(tbl, idx, prev, cur)
	return true
}

// DeleteRef removes the element r, which must be valid.
func (d *Dict) DeleteRef(r Ref) {
	tbl, idx, prev := d.linkOf(r)
	d.unlink(tbl, idx, prev, r)
}

func (d *Dict) unlink(tbl int, idx uint64, prev, cur Ref) {
	d.setLink(tbl, idx, prev, d.next(cur))
	d.used[tbl]--
	if d.Len() == 0 {
		// The last element: let go of everything at once.
		*d = Dict{OnMove: d.OnMove, seed: d.seed, rehashIdx: -1,
			chunks: d.chunks[:1:1], live: d.live[:1:1]}
		return
	}
	d.kill(cur)
	if d.sparse() {
		d.shrinkIfNeeded()
	}
	d.compactStep()
}

// linkOf returns where the chain link to r, which must be in the table, is.
func (d *Dict) linkOf(r Ref) (tbl int, idx uint64, prev Ref) {
	h := d.hash(d.Key(r))
	for i := 0; i < 2; i++ {
		b := d.ht[i]
		if len(b) == 0 {
			break
		}
		idx = h & uint64(len(b)-1)
		prev = 0
		for x := Ref(b[idx]); x != 0; prev, x = x, d.next(x) {
			if x == r {
				return i, idx, prev
			}
		}
	}
	panic("dict: element not in the table")
}

func (d *Dict) expandIfNeeded() {
	if d.rehashing() {
		return
	}
	size := len(d.ht[0])
	if size == 0 {
		d.resize(tableInitialSize)
		return
	}
	if d.used[0] >= size {
		d.resize(d.used[0] + 1)
	}
}

// sparse reports whether ht[0] is under tableMinFill% full and larger than
// the initial size.
func (d *Dict) sparse() bool {
	size := len(d.ht[0])
	return size > tableInitialSize && d.used[0]*100 < size*tableMinFill
}

func (d *Dict) shrinkIfNeeded() {
	if d.rehashing() || !d.sparse() {
		return
	}
	d.resize(d.used[0])
}

// resize starts moving the elements into a bucket array of the next power
// of two that holds n.
func (d *Dict) resize(n int) {
	size := nextPow2(max(n, tableInitialSize))
	if size == len(d.ht[0]) {
		return
	}
	b := make([]uint32, size)
	if len(d.ht[0]) == 0 {
		d.ht[0] = b
		return
	}
	d.ht[1] = b
	d.rehashIdx = 0
}

func nextPow2(n int) int {
	if n <= 1 {
		return 1
	}
	return 1 << bits.Len(uint(n-1))
}

// rehash moves up to n non-empty buckets from ht[0] to ht[1], visiting at
// most rehashEmptyVisits*n empty ones.
func (d *Dict) rehash(n int) {
	emptyVisits := n * rehashEmptyVisits
	src, dst := d.ht[0], d.ht[1]
	mask := uint64(len(dst) - 1)
	for ; n > 0 && d.used[0] > 0; n-- {
		for src[d.rehashIdx] == 0 {
			d.rehashIdx++
			if emptyVisits--; emptyVisits == 0 {
				return
			}
		}
		for r := Ref(src[d.rehashIdx]); r != 0; {
			next := d.next(r)
			idx := d.hash(d.Key(r)) & mask
			d.setNext(r, Ref(dst[idx]))
			dst[idx] = uint32(r)
			d.used[0]--
			d.used[1]++
			r = next
		}
		src[d.rehashIdx] = 0
		d.rehashIdx++
	}
	if d.used[0] == 0 {
		d.ht[0], d.ht[1] = dst, nil
		d.used[0], d.used[1] = d.used[1], 0
		d.rehashIdx = -1
	}
}

// ---- compaction ----

// Step does up to about budget units of the incremental housekeeping that
// mutating calls otherwise do a little of each: moving buckets of a resize in
// progress (starting a shrink if the table is sparse) and compacting chunks.
// It reports whether work remains. An owner may call it from a background
// cycle, as Redis's cron rehashes, so that a Dict that stopped changing still
// gives back its dead space. It may move elements (see Ref and OnMove).
func (d *Dict) Step(budget int) (more bool) {
	if d.rehashing() {
		d.rehash(budget)
	} else {
		d.shrinkIfNeeded()
	}
	for i := 0; i < budget/compactBudget+1; i++ {
		d.compactStep()
	}
	return d.Pending()
}

// Pending reports, in O(1), whether Step has work to do: a resize in
// progress or due, or a compaction in progress or due. An owner uses it
// to decide whether its background cycle should visit the Dict.
func (d *Dict) Pending() bool {
	return d.rehashing() || d.sparse() || d.compactSrc != 0 || d.wantsCompaction()
}

// wantsCompaction reports whether dead space is large enough to compact.
func (d *Dict) wantsCompaction() bool {
	dead := d.usedBytes - d.liveBytes
	return dead > d.liveBytes && dead >= minCompact
}

// compactStep does a bounded amount of compaction work (compactBudget
// records) when dead space exceeds live space.
func (d *Dict) compactStep() {
	if d.compactSrc == 0 {
		if !d.wantsCompaction() {
			return
		}
		n := uint32(len(d.chunks))
		if n <= 1 {
			return
		}
		// Empty the chunk with the smallest live fraction among the next
		// compactSearch ones (all of them in a Dict of up to 64 MiB): it
		// gives back the most space per element moved.
		best, bestLive, bestLen := uint32(0), 0, 0
		for tries := 0; tries < compactSearch && tries < int(n)-1; tries++ {
			d.compactScan++
			if d.compactScan >= n {
				d.compactScan = 1
			}
			ci := d.compactScan
			c := d.chunks[ci]
			if c == nil || d.live[ci]*2 >= len(c) {
				continue
			}
			if best == 0 || d.live[ci]*bestLen < bestLive*len(c) {
				best, bestLive, bestLen = ci, d.live[ci], len(c)
			}
		}
		d.compactSrc, d.compactOff = best, 0
		if d.compactSrc == 0 {
			return
		}
		if d.compactSrc == d.tail {
			d.tail = 0 // seal it: appends go to a new chunk
		}
	}
	ci := d.compactSrc
	for budget := compactBudget; budget > 0 && d.compactSrc == ci; budget-- {
		c := d.chunks[ci]
		o := d.compactOff
		if o >= len(c) {
			// Only dead records were left after the last live one.
			d.freeChunk(ci)
			return
		}
		ko, kl, vl := parse(c, o)
		d.compactOff = o + recSize(kl, vl)
		if binary.LittleEndian.Uint32(c[o:]) == deadMark {
			continue
		}
		old := Ref(ci<<offBits | uint32(o>>2))
		tbl, idx, prev := d.linkOf(old)
		r := d.appendRecord(c[ko:ko+kl], c[ko+kl:ko+kl+vl])
		d.setNext(r, d.next(old))
		d.setLink(tbl, idx, prev, r)
		if d.OnMove != nil {
			d.OnMove(old, r)
		}
		d.kill(old) // frees the chunk after its last live record
	}
}

// ---- iteration ----

// Scan calls fn for the elements of the bucket(s) at cursor and returns the
// next cursor, 0 when the iteration is complete; start with 0. An element
// present for the whole iteration is returned at least once, even if the
// table grows or shrinks between calls (it may be returned more than once).
// This is Redis's reverse-binary cursor: the high bits of the bucket index
// are incremented first, so a cursor stays meaningful across a resize. fn
// must not change the Dict; key and val alias its memory.
func (d *Dict) Scan(cursor uint64, fn func(key, val []byte)) (next uint64) {
	if d.Len() == 0 {
		return 0
	}
	v := cursor
	chain := func(head uint32) {
		for r := Ref(head); r != 0; r = d.next(r) {
			fn(d.kv(r))
		}
	}
	if !d.rehashing() {
		b := d.ht[0]
		m := uint64(len(b) - 1)
		chain(b[v&m])
		v |= ^m
		return bits.Reverse64(bits.Reverse64(v) + 1)
	}
	small, large := d.ht[0], d.ht[1]
	if len(small) > len(large) {
		small, large = large, small
	}
	m0, m1 := uint64(len(small)-1), uint64(len(large)-1)
	chain(small[v&m0])
	// Every bucket of the larger array that expands the smaller's one.
	for {
		chain(large[v&m1])
		v |= ^m1
		v = bits.Reverse64(bits.Reverse64(v) + 1)
		if v&(m0^m1) == 0 {
			break
		}
	}
	return v
}

// All returns an iterator over every element, in no particular order. The
// Dict must not change during the iteration; key and val alias its memory.
// It reads the chunks in order, which is faster than walking the table.
func (d *Dict) All() iter.Seq2[[]byte, []byte] {
	return func(yield func(key, val []byte) bool) {
		for _, c := range d.chunks {
			for o := 0; o < len(c); {
				ko, kl, vl := parse(c, o)
				dead := binary.LittleEndian.Uint32(c[o:]) == deadMark
				o += recSize(kl, vl)
				if !dead && !yield(c[ko:ko+kl:ko+kl], c[ko+kl:ko+kl+vl:ko+kl+vl]) {
					return
				}
			}
		}
	}
}

// randomProbes is how many buckets Random picks at random before it reads
// runs of randomWalk buckets from random starts instead. The table keeps at
// least tableMinFill% fill outside a shrink, so the probes rarely all miss.
const (
	randomProbes = 32
	randomWalk   = 1024
)

// Random returns a random element, or nils when the Dict is empty. rnd(n)
// must return a uniform integer in [0, n). As Redis's dictGetRandomKey, it
// picks a random non-empty bucket and then a random element of its chain, so
// elements in short chains are slightly favoured. Its expected cost is O(1):
// the table shrinks as soon as it is sparse, and while a shrink is under way,
// after randomProbes misses it reads runs of buckets in order, cheap per
// empty bucket.
func (d *Dict) Random(rnd func(n int) int) (key, val []byte) {
	if d.Len() == 0 {
		return nil, nil
	}
	if d.rehashing() {
		d.rehash(1)
	} else {
		d.shrinkIfNeeded()
	}
	runs := [2][]uint32{d.ht[0][max(d.rehashIdx, 0):], d.ht[1]}
	n := len(runs[0]) + len(runs[1])
	for probe := 0; probe < randomProbes; probe++ {
		i := rnd(n)
		var head uint32
		if i < len(runs[0]) {
			head = runs[0][i]
		} else {
			head = runs[1][i-len(runs[0])]
		}
		if head != 0 {
			return d.kv(d.randomInChain(Ref(head), rnd))
		}
	}
	for {
		i := rnd(n)
		b := runs[0]
		if i >= len(b) {
			b, i = runs[1], i-len(b)
		}
		for end := min(i+randomWalk, len(b)); i < end; i++ {
			if b[i] != 0 {
				return d.kv(d.randomInChain(Ref(b[i]), rnd))
			}
		}
	}
}

func (d *Dict) randomInChain(head Ref, rnd func(n int) int) Ref {
	n := 0
	for r := head; r != 0; r = d.next(r) {
		n++
	}
	r := head
	for i := rnd(n); i > 0; i-- {
		r = d.next(r)
	}
	return r
}

// Clone returns a deep copy of d, whose Refs name the same elements as d's.
// OnMove is not copied.
func (d *Dict) Clone() *Dict {
	c := *d
	c.OnMove = nil
	c.chunks = make([][]byte, len(d.chunks))
	c.allocBytes = 0
	for i, ch := range d.chunks {
		if ch != nil {
			n := make([]byte, len(ch), cap(ch))
			copy(n, ch)
			c.chunks[i] = n
			c.allocBytes += cap(n)
		}
	}
	c.live = append([]int(nil), d.live...)
	c.free = append([]uint32(nil), d.free...)
	for i := range d.ht {
		if d.ht[i] != nil {
			c.ht[i] = append([]uint32(nil), d.ht[i]...)
		}
	}
	return &c
}
