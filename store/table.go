package store

import (
	"bytes"
	"hash/maphash"
	"math/bits"
	"math/rand/v2"
)

// table is a chained hash table with incremental rehashing, shaped after
// Redis's dict so that SCAN can keep Redis's promise: a key present for the
// whole of an iteration is returned at least once, with a plain numeric
// cursor, even while the table grows or shrinks between calls.
//
// While the table is resized, entries live in two bucket arrays and move from
// ht[0] to ht[1] one bucket at a time, on each operation and in the
// background cycle, so no single command pays for a whole resize.
//
// A table is not safe for concurrent use; the owning DB's mutex guards it.
type table struct {
	ht        [2][]*entry // bucket arrays; ht[1] is non-nil only while rehashing
	used      [2]int      // entries in each array
	rehashIdx int         // next bucket of ht[0] to move, or -1
	seed      maphash.Seed
}

const (
	tableInitialSize = 4
	// tableMinFill is the fill percentage under which a table shrinks.
	tableMinFill = 10
)

func newTable() table {
	return table{rehashIdx: -1, seed: maphash.MakeSeed()}
}

func (t *table) len() int { return t.used[0] + t.used[1] }

func (t *table) rehashing() bool { return t.rehashIdx >= 0 }

func (t *table) hash(key []byte) uint64 { return maphash.Bytes(t.seed, key) }

// find returns the entry for key, or nil.
func (t *table) find(key []byte) *entry {
	if t.len() == 0 {
		return nil
	}
	if t.rehashing() {
		t.rehashStep()
	}
	return t.findHashed(key, t.hash(key))
}

func (t *table) findHashed(key []byte, h uint64) *entry {
	for i := 0; i < 2; i++ {
		b := t.ht[i]
		if len(b) == 0 {
			break
		}
		for e := b[h&uint64(len(b)-1)]; e != nil; e = e.next {
			if int(e.klen) == len(key) && bytes.Equal(e.key(), key) {
				return e
			}
		}
		if !t.rehashing() {
			break
		}
	}
	return nil
}

// insert adds e, whose key must not be in the table yet.
func (t *table) insert(e *entry) {
	if t.rehashing() {
		t.rehashStep()
	}
	t.expandIfNeeded()
	i := 0
	if t.rehashing() {
		i = 1
	}
	b := t.ht[i]
	idx := t.hash(e.key()) & uint64(len(b)-1)
	e.next = b[idx]
	b[idx] = e
	t.used[i]++
}

// remove unlinks e, which must be in the table.
func (t *table) remove(e *entry) {
	if t.rehashing() {
		t.rehashStep()
	}
	pp, i := t.slot(e)
	*pp = e.next
	e.next = nil
	t.used[i]--
	// Shrink at once rather than at the next cron, as Redis 7.4's dict
	// does: a table left mostly empty makes random probe empty buckets.
	if t.sparse() {
		t.shrinkIfNeeded()
	}
}

// replace swaps old, which must be in the table, for e with the same key.
func (t *table) replace(old, e *entry) {
	pp, _ := t.slot(old)
	e.next = old.next
	old.next = nil
	*pp = e
}

// slot returns the link that points at e, which must be in the table, and
// the index of the bucket array holding it.
func (t *table) slot(e *entry) (**entry, int) {
	h := t.hash(e.key())
	for i := 0; i < 2; i++ {
		b := t.ht[i]
		if len(b) == 0 {
			break
		}
		for pp := &b[h&uint64(len(b)-1)]; *pp != nil; pp = &(*pp).next {
			if *pp == e {
				return pp, i
			}
		}
	}
	panic("store: entry not in the table")
}

func (t *table) expandIfNeeded() {
	if t.rehashing() {
		return
	}
	size := len(t.ht[0])
	if size == 0 {
		t.resize(tableInitialSize)
		return
	}
	if t.used[0] >= size {
		t.resize(t.used[0] + 1)
	}
}

// shrinkIfNeeded starts a shrink when the table is mostly empty (below
// tableMinFill%), as Redis's cron does (and Redis 7.4's dict on delete). It
// reports whether it started one.
func (t *table) shrinkIfNeeded() bool {
	if t.rehashing() || !t.sparse() {
		return false
	}
	t.resize(t.used[0])
	return true
}

// sparse reports whether ht[0] is less than tableMinFill% full and larger
// than the initial size. It multiplies rather than divides, and inlines, so
// that remove can afford to ask every time.
func (t *table) sparse() bool {
	size := len(t.ht[0])
	return size > tableInitialSize && t.used[0]*100 < size*tableMinFill
}

// resize starts moving the entries into a bucket array of the next power of
// two that holds n.
func (t *table) resize(n int) {
	size := nextPow2(max(n, tableInitialSize))
	if size == len(t.ht[0]) {
		return
	}
	buckets := make([]*entry, size)
	if len(t.ht[0]) == 0 {
		t.ht[0] = buckets
		return
	}
	t.ht[1] = buckets
	t.rehashIdx = 0
}

func nextPow2(n int) int {
	if n <= 1 {
		return 1
	}
	return 1 << bits.Len(uint(n-1))
}

// rehashStep moves one bucket, visiting at most ten empty ones on the way.
func (t *table) rehashStep() { t.rehash(1) }

// rehash moves up to n non-empty buckets from ht[0] to ht[1]. It reports
// whether rehashing is still in progress.
func (t *table) rehash(n int) bool {
	if !t.rehashing() {
		return false
	}
	emptyVisits := n * 10
	src, dst := t.ht[0], t.ht[1]
	mask := uint64(len(dst) - 1)
	for ; n > 0 && t.used[0] > 0; n-- {
		for src[t.rehashIdx] == nil {
			t.rehashIdx++
			if emptyVisits--; emptyVisits == 0 {
				return true
			}
		}
		for e := src[t.rehashIdx]; e != nil; {
			next := e.next
			idx := t.hash(e.key()) & mask
			e.next = dst[idx]
			dst[idx] = e
			t.used[0]--
			t.used[1]++
			e = next
		}
		src[t.rehashIdx] = nil
		t.rehashIdx++
	}
	if t.used[0] == 0 {
		t.ht[0], t.ht[1] = dst, nil
		t.used[0], t.used[1] = t.used[1], 0
		t.rehashIdx = -1
		return false
	}
	return true
}

// scan calls fn for every entry of the bucket(s) at cursor and returns the
// next cursor, 0 when the iteration is complete. This is Redis's
// reverse-binary cursor: the high bits of the bucket index are incremented
// first, so a bucket index stays meaningful across a resize, and an
// iteration visits every bucket that held a key at its start.
func (t *table) scan(cursor uint64, fn func(*entry)) uint64 {
	if t.len() == 0 {
		return 0
	}
	v := cursor
	if !t.rehashing() {
		b := t.ht[0]
		m := uint64(len(b) - 1)
		for e := b[v&m]; e != nil; e = e.next {
			fn(e)
		}
		v |= ^m
		v = bits.Reverse64(bits.Reverse64(v) + 1)
		return v
	}
	small, large := t.ht[0], t.ht[1]
	if len(small) > len(large) {
		small, large = large, small
	}
	m0, m1 := uint64(len(small)-1), uint64(len(large)-1)
	for e := small[v&m0]; e != nil; e = e.next {
		fn(e)
	}
	// Visit every bucket of the larger array that expands from the
	// smaller array's bucket.
	for {
		for e := large[v&m1]; e != nil; e = e.next {
			fn(e)
		}
		v |= ^m1
		v = bits.Reverse64(bits.Reverse64(v) + 1)
		if v&(m0^m1) == 0 {
			break
		}
	}
	return v
}

// randomProbes is how many buckets random picks at random before it reads
// runs of buckets instead. At the fill a table keeps outside a shrink (at
// least tableMinFill%, since it shrinks below that) all of them miss about
// 4% of the time.
const randomProbes = 32

// randomWalk is how many buckets in a row random reads from a random start
// after randomProbes misses: 8 KiB of bucket array, read in order.
const randomWalk = 1024

// random returns a random entry, or nil when the table is empty: usually a
// random entry of a uniformly chosen non-empty bucket, so that, as with
// Redis's dictGetRandomKey, keys in short chains are slightly favoured.
func (t *table) random() *entry {
	e, _ := t.randomVisits()
	return e
}

// randomVisits is random, also returning how many buckets it looked at.
//
// Picking buckets at random until one is not empty costs size/used tries on
// average, each a cache miss, so a sparse table (one that lost most of its
// keys, or the rest of the old array while a shrink moves them) used to
// cost milliseconds per call. Two things keep that bounded. A table shrinks
// as soon as it is sparse (remove, and random itself, start the shrink, as
// Redis 7.4 does on delete rather than waiting for the cron), so only a
// shrink in progress leaves many empty buckets. And after randomProbes
// misses, random reads runs of randomWalk buckets in order from random
// starts, which costs a few nanoseconds per empty bucket instead of a cache
// miss. A run returns its first non-empty bucket, which favours keys after
// long gaps, as Redis's dictGetSomeKeys (behind RANDOMKEY) does.
func (t *table) randomVisits() (*entry, int) {
	if t.len() == 0 {
		return nil, 0
	}
	if t.rehashing() {
		t.rehashStep()
	} else {
		t.shrinkIfNeeded()
	}
	// The buckets that can hold entries, in order: ht[0] from rehashIdx
	// on (those before it were moved), then ht[1], empty when not
	// rehashing.
	runs := [2][]*entry{t.ht[0][max(t.rehashIdx, 0):], t.ht[1]}
	n := len(runs[0]) + len(runs[1])
	for probe := 1; probe <= randomProbes; probe++ {
		i := rand.IntN(n)
		var head *entry
		if i < len(runs[0]) {
			head = runs[0][i]
		} else {
			head = runs[1][i-len(runs[0])]
		}
		if head != nil {
			return randomInChain(head), probe
		}
	}
	visits := randomProbes
	for {
		i := rand.IntN(n)
		b := runs[0]
		if i >= len(b) {
			b, i = runs[1], i-len(b)
		}
		for end := min(i+randomWalk, len(b)); i < end; i++ {
			visits++
			if b[i] != nil {
				return randomInChain(b[i]), visits
			}
		}
	}
}

// randomInChain returns a uniformly chosen entry of the chain at head.
func randomInChain(head *entry) *entry {
	n := 0
	for e := head; e != nil; e = e.next {
		n++
	}
	e := head
	for i := rand.IntN(n); i > 0; i-- {
		e = e.next
	}
	return e
}

// each calls fn for every entry; fn must not change the table.
func (t *table) each(fn func(*entry)) {
	for i := 0; i < 2; i++ {
		for _, e := range t.ht[i] {
			for ; e != nil; e = e.next {
				fn(e)
			}
		}
	}
}
