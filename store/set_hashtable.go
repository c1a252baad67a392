package store

import (
	"math/rand/v2"

	"github.com/redoubt-db/redoubt/store/internal/dict"
)

// hashSet is the large representation of a set ("hashtable"): the members
// of a set that holds a non-integer or more than set-max-intset-entries
// members, as the keys of a dict.Dict with empty values, as Redis keeps
// them in a dict with NULL values. The dict holds no Go pointer per member.
type hashSet struct {
	d *dict.Dict
}

func newHashSet(n int) *hashSet { return &hashSet{d: dict.New(n)} }

func (h *hashSet) len() int { return h.d.Len() }

func (h *hashSet) has(m []byte) bool {
	_, ok := h.d.Find(m)
	return ok
}

// add adds a copy of m and reports whether it was new.
func (h *hashSet) add(m []byte) bool { return h.d.Add(m, nil) }

func (h *hashSet) remove(m []byte) bool { return h.d.Delete(m) }

// each calls fn with every member until it returns false. m aliases the
// table's memory and is valid only during the call.
func (h *hashSet) each(fn func(m []byte) bool) {
	for k := range h.d.All() {
		if !fn(k) {
			return
		}
	}
}

// random returns a member chosen at random, as Redis's dictGetRandomKey
// does; the set must not be empty. The member aliases the table's memory
// until its next change.
func (h *hashSet) random() []byte {
	k, _ := h.d.Random(rand.IntN)
	return k
}

// scan calls fn with the members of one step of an SSCAN from cursor and
// returns the next cursor, as Redis's scanGenericCommand steps a dict:
// bucket after bucket until count members were seen, the iteration ends,
// or ten times count buckets were visited.
func (h *hashSet) scan(cursor uint64, count int, fn func(m []byte)) uint64 {
	seen := 0
	for budget := count * 10; ; budget-- {
		cursor = h.d.Scan(cursor, func(k, _ []byte) { fn(k); seen++ })
		if cursor == 0 || budget <= 0 || seen >= count {
			return cursor
		}
	}
}

func (h *hashSet) clone() any { return &hashSet{d: h.d.Clone()} }

// memSize is the approximate memory of the set in bytes, in O(1).
func (h *hashSet) memSize() int { return 16 + h.d.Bytes() }

// freeEffort is the work of freeing the set as Redis's lazyfree counts it:
// one unit per member (memory.go).
func (h *hashSet) freeEffort() int { return h.len() }

// bgPending and bgStep hand the table's rehash and compaction to the
// store's cron (background.go).
func (h *hashSet) bgPending() bool        { return h.d.Pending() }
func (h *hashSet) bgStep(budget int) bool { return h.d.Step(budget) }
