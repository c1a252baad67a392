package store

import (
	"math"
	"math/rand/v2"
	"unsafe"

	"github.com/redoubt-db/redoubt/store/internal/dict"
)

// hashTable is the "hashtable" representation of a hash: the dict package's
// table of fields to values, whose bytes live in arenas, so a hash of a
// million fields holds a few hundred Go pointers rather than millions.
// It is a compound entry's value.
type hashTable struct{ d *dict.Dict }

// hashTableSize is what a hashTable adds to its Dict's own figure.
const hashTableSize = int(unsafe.Sizeof(hashTable{}))

func newHashTable(sizeHint int) *hashTable { return &hashTable{d: dict.New(sizeHint)} }

func (t *hashTable) len() int { return t.d.Len() }

func (t *hashTable) get(field []byte) ([]byte, bool) { return t.d.Get(field) }

// set sets field to val and reports whether the field is new.
func (t *hashTable) set(field, val []byte) bool { return t.d.Set(field, val) }

func (t *hashTable) delete(field []byte) bool { return t.d.Delete(field) }

// each calls fn with every field and value until it returns false.
func (t *hashTable) each(fn func(field, val []byte) bool) {
	for f, v := range t.d.All() {
		if !fn(f, v) {
			return
		}
	}
}

// scan does one HSCAN step from cursor, as Redis's scanGenericCommand does
// on a hash table: it visits buckets until it has passed count fields, has
// visited ten times as many buckets as count (twice that, as Redis counts
// a hash's elements in pairs), or the cursor is back to 0.
func (t *hashTable) scan(cursor uint64, count int64, fn func(field, val []byte)) uint64 {
	maxIter := int64(math.MaxInt64)
	if count <= math.MaxInt64/20 {
		maxIter = count * 20
	}
	var seen int64
	visit := func(f, v []byte) { seen++; fn(f, v) }
	cursor = t.d.Scan(cursor, visit)
	for cursor != 0 && maxIter > 0 && seen < count {
		maxIter--
		cursor = t.d.Scan(cursor, visit)
	}
	return cursor
}

// random returns a random field and its value; the table must not be empty.
func (t *hashTable) random() (field, val []byte) { return t.d.Random(rand.IntN) }

// randomDistinct calls fn with count < len() distinct fields chosen at
// random, until fn returns false. As Redis does, when count is close to
// the size (more than a third of it) the fields are picked from all of them
// (a partial shuffle), and otherwise drawn at random and the repeats
// skipped. Either way the memory used is bounded by the table's size.
func (t *hashTable) randomDistinct(count int, fn func(field, val []byte) bool) {
	n := t.len()
	if count*3 > n {
		type pair struct{ f, v []byte }
		all := make([]pair, 0, n)
		t.each(func(f, v []byte) bool { all = append(all, pair{f, v}); return true })
		for i := 0; i < count; i++ {
			j := i + rand.IntN(n-i)
			all[i], all[j] = all[j], all[i]
			if !fn(all[i].f, all[i].v) {
				return
			}
		}
		return
	}
	seen := make(map[string]struct{}, count)
	for len(seen) < count {
		f, v := t.random()
		if _, dup := seen[string(f)]; dup {
			continue
		}
		seen[string(f)] = struct{}{}
		if !fn(f, v) {
			return
		}
	}
}

// clone returns a deep copy, for COPY.
func (t *hashTable) clone() any { return &hashTable{d: t.d.Clone()} }

// memSize returns the bytes the table holds, in O(1).
func (t *hashTable) memSize() int { return hashTableSize + t.d.Bytes() }

// freeEffort is the work of freeing the table as Redis counts it: one unit
// per field.
func (t *hashTable) freeEffort() int { return t.len() }

// bgPending and bgStep hand the table's rehash and compaction to the
// store's cron (background.go).
func (t *hashTable) bgPending() bool        { return t.d.Pending() }
func (t *hashTable) bgStep(budget int) bool { return t.d.Step(budget) }

// A hashTable is a compound value: COPY clones it.
var _ cloner = (*hashTable)(nil)
