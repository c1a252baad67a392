package store

import "math/rand/v2"

// hashSet is the large representation of a set ("hashtable"): the members
// of a set that holds a non-integer or more than set-max-intset-entries
// members.
//
// TEMPORARY: a Go map stands in until the dict package (store/internal/dict)
// lands; only this file changes then. Its SCAN returns everything at once.
type hashSet struct {
	m     map[string]struct{}
	bytes int // sum of the members' lengths, for memSize
}

func newHashSet(n int) *hashSet { return &hashSet{m: make(map[string]struct{}, n)} }

func (h *hashSet) len() int { return len(h.m) }

func (h *hashSet) has(m []byte) bool {
	_, ok := h.m[string(m)]
	return ok
}

// add adds a copy of m and reports whether it was new.
func (h *hashSet) add(m []byte) bool {
	if _, ok := h.m[string(m)]; ok {
		return false
	}
	h.m[string(m)] = struct{}{}
	h.bytes += len(m)
	return true
}

func (h *hashSet) remove(m []byte) bool {
	if _, ok := h.m[string(m)]; !ok {
		return false
	}
	delete(h.m, string(m))
	h.bytes -= len(m)
	return true
}

// each calls fn with every member until it returns false. m is valid only
// during the call.
func (h *hashSet) each(fn func(m []byte) bool) {
	for k := range h.m {
		if !fn([]byte(k)) {
			return
		}
	}
}

// random returns a member chosen uniformly; the set must not be empty.
func (h *hashSet) random() []byte {
	i := rand.IntN(len(h.m))
	for k := range h.m {
		if i == 0 {
			return []byte(k)
		}
		i--
	}
	panic("unreachable")
}

// scan calls fn with the members of one step of an SSCAN from cursor and
// returns the next cursor.
func (h *hashSet) scan(cursor uint64, count int, fn func(m []byte)) uint64 {
	h.each(func(m []byte) bool { fn(m); return true })
	return 0
}

func (h *hashSet) clone() any {
	c := newHashSet(len(h.m))
	for k := range h.m {
		c.m[k] = struct{}{}
	}
	c.bytes = h.bytes
	return c
}

func (h *hashSet) memSize() int { return 48 + len(h.m)*40 + h.bytes }
