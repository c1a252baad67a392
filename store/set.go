package store

import (
	"math/rand/v2"
	"slices"
	"strconv"

	"github.com/redoubt-db/redoubt/internal/num"
	"github.com/redoubt-db/redoubt/store/internal/intset"
)

// Sets. A set is an intset (EncSetIntset) while every member is an integer
// in the canonical form Redis's string2ll accepts and there are at most
// set-max-intset-entries of them: the intset's bytes are the entry's inline
// payload. Otherwise it is a hashSet (EncSetHashtable) in a compound entry.
// A set converts exactly when Redis 7.0's setTypeAdd converts: when a
// non-integer is added, or an addition takes it past the limit. It never
// converts back, except that SPOP's "keep the rest" strategy and the
// SINTERSTORE family build new sets whose encoding follows their members,
// as in Redis.

// SetView reads a set inside a transaction: a stored set (ReadSet,
// ReadSets) or the result of a set operation (SUnion, SDiff). Its methods
// alias the store's memory and are valid until the transaction ends or the
// set changes. The zero SetView is an empty set (a missing key).
type SetView struct {
	e  *entry // the stored set's entry; nil for a missing key or a result
	is []byte // the intset, when the set is one
	ht *hashSet
}

// viewOf returns a view of the set entry e (nil: the empty set).
func viewOf(e *entry) SetView {
	switch {
	case e == nil:
		return SetView{}
	case e.enc() == EncSetIntset:
		return SetView{e: e, is: e.payload()}
	default:
		return SetView{e: e, ht: e.value().(*hashSet)}
	}
}

// Exists reports whether the set is a stored key (or a non-empty result).
func (s SetView) Exists() bool { return s.is != nil || s.ht != nil }

// Len returns the number of members.
func (s SetView) Len() int {
	switch {
	case s.ht != nil:
		return s.ht.len()
	case s.is != nil:
		return intset.Len(s.is)
	}
	return 0
}

// Encoding returns the set's representation: EncSetIntset or
// EncSetHashtable (EncSetIntset for the empty set).
func (s SetView) Encoding() Encoding {
	if s.ht != nil {
		return EncSetHashtable
	}
	return EncSetIntset
}

// Has reports whether m is a member.
func (s SetView) Has(m []byte) bool {
	switch {
	case s.ht != nil:
		return s.ht.has(m)
	case s.is != nil:
		v, ok := num.ParseInt(m)
		return ok && intset.Contains(s.is, v)
	}
	return false
}

// Each calls fn with each member until fn returns false: an intset's in
// increasing order, a hash table's in its own order. m is valid only during
// the call; the set must not change meanwhile.
func (s SetView) Each(fn func(m []byte) bool) {
	switch {
	case s.ht != nil:
		s.ht.each(fn)
	case s.is != nil:
		var buf [num.MaxInt64Len]byte
		for i, n := 0, intset.Len(s.is); i < n; i++ {
			if !fn(strconv.AppendInt(buf[:0], intset.Get(s.is, i), 10)) {
				return
			}
		}
	}
}

// Random returns a member chosen uniformly at random, formatted into buf
// when it is an integer. The set must not be empty.
func (s SetView) Random(buf []byte) []byte {
	if s.ht != nil {
		return s.ht.random()
	}
	return strconv.AppendInt(buf[:0], intset.Get(s.is, rand.IntN(intset.Len(s.is))), 10)
}

// Scan does one step of an SSCAN from cursor, calling fn with each member
// visited, and returns the next cursor (0 at the end). An intset is visited
// whole in one step, as Redis does; a hash table about count buckets at a
// time, with SCAN's guarantee.
func (s SetView) Scan(cursor uint64, count int, fn func(m []byte)) uint64 {
	if s.ht != nil {
		return s.ht.scan(cursor, count, fn)
	}
	s.Each(func(m []byte) bool { fn(m); return true })
	return 0
}

// maxIntsetEntries returns the most members an intset may hold under the
// limits in force: set-max-intset-entries, capped at intset.MaxLen as
// Redis caps it.
func (db *DB) maxIntsetEntries() int {
	n := db.st.Limits().SetMaxIntsetEntries
	if n >= intset.MaxLen {
		return intset.MaxLen
	}
	return int(max(n, 0))
}

// setEntry looks key up for a command that writes it: e is nil when the
// key is missing, ErrWrongType when it holds another type.
func (db *DB) setEntry(key []byte, flags LookupFlags) (*entry, error) {
	e := db.lookup(key, flags)
	if e != nil && e.typ() != TypeSet {
		return nil, ErrWrongType
	}
	return e, nil
}

// ReadSet looks key up as a read (counting a hit or miss and touching it)
// and returns a view of its set: the zero SetView when the key is missing,
// ErrWrongType when it holds another type. SISMEMBER, SMEMBERS, SCARD,
// SRANDMEMBER, SSCAN and the sorted-set commands that take sets as inputs
// (ZUNION, ZINTER, ZDIFF and their STORE forms, where every member scores 1)
// read sets through it:
//
//	s, err := db.ReadSet(key)
//	s.Each(func(m []byte) bool { …; return true })
func (db *DB) ReadSet(key []byte) (SetView, error) {
	e, err := db.setEntry(key, 0)
	if err != nil {
		return SetView{}, err
	}
	return viewOf(e), nil
}

// ReadSets reads each key as ReadSet does, in order, and stops at the first
// that holds another type with ErrWrongType, as Redis's set operations do.
func (db *DB) ReadSets(keys [][]byte) ([]SetView, error) {
	sets := make([]SetView, len(keys))
	for i, k := range keys {
		s, err := db.ReadSet(k)
		if err != nil {
			return nil, err
		}
		sets[i] = s
	}
	return sets, nil
}

// newSetEntry returns an entry for key holding an empty set of the
// representation Redis's setTypeCreate picks for a set whose first member
// is first: an intset when it is an integer.
func (db *DB) newSetEntry(key, first []byte) *entry {
	lru := db.st.lruClock.Load()
	if _, ok := num.ParseInt(first); ok {
		return newInlineEntry(key, EncSetIntset, intset.New(), lru)
	}
	return newCompoundEntry(key, EncSetHashtable, newHashSet(0), lru)
}

// setAdd adds m to the set entry e, converting it as Redis's setTypeAdd
// does, and reports whether m was new.
func (db *DB) setAdd(e *entry, m []byte) bool {
	if e.enc() == EncSetHashtable {
		return e.value().(*hashSet).add(m)
	}
	v, isInt := num.ParseInt(m)
	if !isInt {
		h := intsetToHash(e.payload(), 1)
		h.add(m)
		e.setCompound(EncSetHashtable, h)
		return true
	}
	size, ok := intset.AddSize(e.payload(), v)
	if !ok {
		return false
	}
	b := e.resizePayload(size)
	intset.Insert(b, v)
	if intset.Len(b) > db.maxIntsetEntries() {
		e.setCompound(EncSetHashtable, intsetToHash(b, 0))
	}
	return true
}

// intsetToHash returns a hash table holding the members of is, with room
// for extra more.
func intsetToHash(is []byte, extra int) *hashSet {
	n := intset.Len(is)
	h := newHashSet(n + extra)
	var buf [num.MaxInt64Len]byte
	for i := 0; i < n; i++ {
		h.add(strconv.AppendInt(buf[:0], intset.Get(is, i), 10))
	}
	return h
}

// setRemove removes m from the set entry e and reports whether it was a
// member. The caller deletes a set left empty.
func setRemove(e *entry, m []byte) bool {
	if e.enc() == EncSetHashtable {
		return e.value().(*hashSet).remove(m)
	}
	v, ok := num.ParseInt(m)
	if !ok {
		return false
	}
	pos, ok := intset.Search(e.payload(), v)
	if !ok {
		return false
	}
	e.resizePayload(intset.RemoveAt(e.writablePayload(), pos))
	return true
}

// setLen returns the number of members of the set entry e.
func setLen(e *entry) int {
	if e.enc() == EncSetHashtable {
		return e.value().(*hashSet).len()
	}
	return intset.Len(e.payload())
}

// SAdd adds members to the set at key, creating it if needed, as SADD
// does, and returns how many were new, firing "sadd" when any was.
func (db *DB) SAdd(key []byte, members [][]byte) (int, error) {
	e, err := db.setEntry(key, Write)
	if err != nil || len(members) == 0 {
		return 0, err
	}
	if e == nil {
		e = db.newSetEntry(key, members[0])
		db.insertEntry(e)
	}
	added := 0
	for _, m := range members {
		if db.setAdd(e, m) {
			added++
		}
	}
	if added > 0 {
		db.recordWrite(e, key, added) // and background work (background.go)
		db.Notify(EventSet, "sadd", key)
	}
	return added, nil
}

// SRem removes members from the set at key, as SREM does, deleting the key
// when it empties, and returns how many were members. It fires "srem" when
// it removed any, then "del" when it deleted the key.
func (db *DB) SRem(key []byte, members [][]byte) (int, error) {
	e, err := db.setEntry(key, Write)
	if e == nil || err != nil {
		return 0, err
	}
	removed := 0
	for _, m := range members {
		if setRemove(e, m) {
			removed++
			if setLen(e) == 0 {
				db.serverDelete(e) // as Redis's dbDelete (memory.go)
				db.recordN(OpDelete, key, removed)
				db.notifyRemoved(EventSet, "srem", key, true)
				return removed, nil
			}
		}
	}
	if removed > 0 {
		db.recordWrite(e, key, removed) // and background work (background.go)
		db.Notify(EventSet, "srem", key)
	}
	return removed, nil
}

// SMove moves member from the set at src to the set at dst, as SMOVE does,
// and reports whether src held it. A missing src is not an error even when
// dst holds another type; otherwise ErrWrongType is returned, before
// anything changes, when either holds another type. A move fires "srem"
// on src ("del" if emptied), then "new" if it created dst, then "sadd" on
// dst if the member was not there, as Redis does.
func (db *DB) SMove(src, dst, member []byte) (bool, error) {
	se := db.lookup(src, Write)
	de := db.lookup(dst, Write)
	if se == nil {
		return false, nil
	}
	if se.typ() != TypeSet || (de != nil && de.typ() != TypeSet) {
		return false, ErrWrongType
	}
	if se == de {
		return viewOf(se).Has(member), nil
	}
	if !setRemove(se, member) {
		return false, nil
	}
	deleted := setLen(se) == 0
	if deleted {
		db.serverDelete(se) // as Redis's dbDelete (memory.go)
		db.recordN(OpDelete, src, 1)
	} else {
		db.recordWrite(se, src, 1) // and background work (background.go)
	}
	db.notifyRemoved(EventSet, "srem", src, deleted)
	if de == nil {
		de = db.newSetEntry(dst, member)
		db.insertEntry(de)
	}
	if db.setAdd(de, member) {
		db.recordWrite(de, dst, 1) // and background work (background.go)
		db.Notify(EventSet, "sadd", dst)
	}
	return true, nil
}

// SPop removes one random member of the set at key and returns a copy, as
// SPOP without a count does; ok is false when the key is missing. It fires
// "spop", and "del" when it emptied the set.
func (db *DB) SPop(key []byte) (member []byte, ok bool, err error) {
	e, err := db.setEntry(key, Write)
	if e == nil || err != nil {
		return nil, false, err
	}
	var buf [num.MaxInt64Len]byte
	member = slices.Clone(viewOf(e).Random(buf[:]))
	setRemove(e, member)
	deleted := setLen(e) == 0
	if deleted {
		db.serverDelete(e) // as Redis's dbDelete (memory.go)
		db.recordN(OpDelete, key, 1)
	} else {
		db.recordWrite(e, key, 1) // and background work (background.go)
	}
	db.notifyRemoved(EventSet, "spop", key, deleted)
	return member, true, nil
}

// spopMoveRatio is Redis's SPOP_MOVE_STRATEGY_MUL: SPOP with a count builds
// a new set of the members that stay once fewer than one in this many
// would.
const spopMoveRatio = 5

// SPopN removes up to count ≥ 0 random members of the set at key, as SPOP
// with a count does. When the key exists, it calls header with the number
// of members that will come out, then fn with each of them (valid only
// during the call). It reports whether the key existed. Like Redis it uses
// one of three strategies, which decide the representation of what stays:
// popping everything (the key is deleted), popping members one by one, or,
// when few stay, moving those to a new set that replaces the old one.
// Unless count is 0 it fires "spop", and "del" when it emptied the set.
func (db *DB) SPopN(key []byte, count int64, header func(n int), fn func(m []byte)) (bool, error) {
	e, err := db.setEntry(key, Write)
	if e == nil || err != nil {
		return false, err
	}
	if count == 0 {
		header(0)
		return true, nil
	}
	size := setLen(e)
	if count >= int64(size) {
		// Everything comes out, in the order of a union of the one set
		// (an intset result is sorted), and the key goes.
		res := db.unionOf([]SetView{viewOf(e)})
		header(res.Len())
		res.Each(func(m []byte) bool { fn(m); return true })
		db.FreeResult(res) // as Redis frees its SUNION (memory.go)
		db.serverDelete(e) // as Redis's dbDelete (memory.go)
		db.recordN(OpDelete, key, size)
		db.notifyRemoved(EventSet, "spop", key, true)
		return true, nil
	}
	db.Notify(EventSet, "spop", key)
	n := int(count)
	header(n)
	remaining := size - n
	var buf [num.MaxInt64Len]byte
	if remaining*spopMoveRatio > n {
		var m []byte
		for range n {
			// A hash table's member aliases its memory: copy it before
			// removing it.
			m = append(m[:0], viewOf(e).Random(buf[:])...)
			setRemove(e, m)
			fn(m)
		}
	} else {
		// Move the members that stay to a new set, as Redis does, then
		// pop everything left in the old one.
		var kept *entry
		for range remaining {
			m := slices.Clone(viewOf(e).Random(buf[:]))
			if kept == nil {
				kept = db.newSetEntry(key, m)
			}
			db.setAdd(kept, m)
			setRemove(e, m)
		}
		viewOf(e).Each(func(m []byte) bool { fn(m); return true })
		// The new value takes the old entry's place, keeping its key,
		// deadline and access time.
		e = db.replaceSetValue(e, kept)
	}
	db.recordWrite(e, key, n) // and background work (background.go)
	return true, nil
}

// replaceSetValue makes e hold the set value of src, an entry that is not
// in the keyspace.
// The old value is dropped as Redis's dbOverwrite drops it
// (lazyfree-lazy-server-del, memory.go). It returns the entry that holds
// the key afterwards: e, or a new one.
func (db *DB) replaceSetValue(e, src *entry) *entry {
	lazy := db.st.lazy(lazyServerDelBit)
	if src.inline() {
		if !e.inline() {
			// From a compound entry back to an inline one.
			ne := newInlineEntry(e.key(), EncSetIntset, src.payload(), e.lru())
			db.swapEntry(e, ne)
			db.drop(e, lazy)
			return ne
		}
		e.setEnc(EncSetIntset)
		e.setPayload(src.payload())
		return e
	}
	if !e.inline() {
		// The old value goes to drop in a detached copy of the entry,
		// which keeps the old compound while e takes a new one.
		old := *e
		e.setCompound(EncSetHashtable, src.value())
		db.drop(&old, lazy)
		return e
	}
	e.setCompound(EncSetHashtable, src.value())
	return e
}

// swapEntry puts ne in e's place in the keyspace, with e's deadline.
func (db *DB) swapEntry(e, ne *entry) {
	if when, ok := db.expiry(e); ok {
		db.persistEntry(e)
		db.setExpireEntry(ne, when)
	}
	db.replaceEntry(e, ne)
}

// SInter calls fn with each member of the intersection of sets (from
// ReadSets) in the order Redis replies with it: the members of the
// smallest set, in its order, that every other holds. It stops after limit
// members when limit > 0 and returns how many it found.
func SInter(sets []SetView, limit int, fn func(m []byte)) int {
	if len(sets) == 0 {
		return 0
	}
	for _, s := range sets {
		if !s.Exists() {
			return 0
		}
	}
	sorted := slices.Clone(sets)
	slices.SortStableFunc(sorted, func(a, b SetView) int { return a.Len() - b.Len() })
	first := sorted[0]
	n := 0
	first.Each(func(m []byte) bool {
		for _, s := range sorted[1:] {
			if s.e != nil && s.e == first.e {
				continue
			}
			if !s.Has(m) {
				return true
			}
		}
		n++
		if fn != nil {
			fn(m)
		}
		return limit <= 0 || n < limit
	})
	return n
}

// setBuilder collects the result of a set operation, as Redis builds it in
// an object that starts as an intset and converts as setTypeAdd converts.
type setBuilder struct {
	db *DB
	is []byte
	ht *hashSet
}

func (b *setBuilder) add(m []byte) bool {
	if b.ht != nil {
		return b.ht.add(m)
	}
	if b.is == nil {
		b.is = intset.New()
	}
	v, ok := num.ParseInt(m)
	if !ok {
		b.ht = intsetToHash(b.is, 1)
		b.is = nil
		return b.ht.add(m)
	}
	var added bool
	b.is, added = intset.Add(b.is, v)
	if added && intset.Len(b.is) > b.db.maxIntsetEntries() {
		b.ht = intsetToHash(b.is, 0)
		b.is = nil
	}
	return added
}

func (b *setBuilder) remove(m []byte) bool {
	if b.ht != nil {
		return b.ht.remove(m)
	}
	v, ok := num.ParseInt(m)
	if !ok || b.is == nil {
		return false
	}
	n, ok := intset.Remove(b.is, v)
	b.is = b.is[:n]
	return ok
}

// view returns the result; an empty one is the zero SetView.
func (b *setBuilder) view() SetView {
	if b.ht != nil {
		if b.ht.len() == 0 {
			return SetView{}
		}
		return SetView{ht: b.ht}
	}
	if b.is == nil || intset.Len(b.is) == 0 {
		return SetView{}
	}
	return SetView{is: b.is}
}

// FreeResult lets go of res, the result of SUnion or SDiff once it has
// been replied with, as Redis frees the temporary set of SUNION and SDIFF
// (and of SPOP with a count that takes everything): in the background when
// it is big and LazyFree.ServerDel is set, which INFO counts in
// lazyfreed_objects. res must not be used afterwards.
func (db *DB) FreeResult(res SetView) {
	if res.ht == nil || !db.st.lazy(lazyServerDelBit) {
		return // the collector frees it; nothing is counted
	}
	db.drop(newCompoundEntry(nil, EncSetHashtable, res.ht, 0), true)
}

// unionOf returns the union of sets, built as Redis builds it.
func (db *DB) unionOf(sets []SetView) SetView {
	b := setBuilder{db: db}
	for _, s := range sets {
		s.Each(func(m []byte) bool { b.add(m); return true })
	}
	return b.view()
}

// SUnion returns the union of sets (from ReadSets), a new set whose
// representation follows its members as Redis's would: its order is the
// order Redis replies with when it is an intset.
func (db *DB) SUnion(sets []SetView) SetView { return db.unionOf(sets) }

// SInterSet returns the intersection of sets as a new set, for
// SINTERSTORE.
func (db *DB) SInterSet(sets []SetView) SetView {
	b := setBuilder{db: db}
	SInter(sets, 0, func(m []byte) { b.add(m) })
	return b.view()
}

// SDiff returns the members of sets[0] that no other set holds, as a new
// set, choosing between Redis's two algorithms as Redis does (which decides
// the result's representation when its limits are crossed on the way).
func (db *DB) SDiff(sets []SetView) SetView {
	if len(sets) == 0 || !sets[0].Exists() {
		return SetView{}
	}
	first := sets[0]
	for _, s := range sets[1:] {
		if s.e != nil && s.e == first.e {
			// A key named again as its own subtrahend.
			return SetView{}
		}
	}
	one, two := 0, 0
	for _, s := range sets {
		if s.Exists() {
			one += first.Len()
			two += s.Len()
		}
	}
	b := setBuilder{db: db}
	if one/2 <= two {
		rest := slices.Clone(sets[1:])
		slices.SortStableFunc(rest, func(a, b SetView) int { return b.Len() - a.Len() })
		first.Each(func(m []byte) bool {
			for _, s := range rest {
				if s.Has(m) {
					return true
				}
			}
			b.add(m)
			return true
		})
		return b.view()
	}
	n := 0
	for i, s := range sets {
		if !s.Exists() {
			continue
		}
		s.Each(func(m []byte) bool {
			if i == 0 {
				if b.add(m) {
					n++
				}
			} else if b.remove(m) {
				n--
			}
			return true
		})
		if n == 0 {
			break
		}
	}
	return b.view()
}

// SStore stores the result of a set operation at dst, replacing whatever
// dst held and clearing its deadline, as SINTERSTORE, SUNIONSTORE and
// SDIFFSTORE do; an empty result deletes dst instead. It returns the
// result's size. res must be a result (SUnion, SDiff, SInterSet), not a
// stored set.
func (db *DB) SStore(dst []byte, res SetView) int {
	old := db.lookup(dst, Write)
	n := res.Len()
	if n == 0 {
		if old != nil {
			db.serverDelete(old) // as Redis's dbDelete: lazyfree-lazy-server-del
			db.recordN(OpDelete, dst, 1)
		}
		return 0
	}
	var ne *entry
	lru := db.st.lruClock.Load()
	if res.ht != nil {
		ne = newCompoundEntry(dst, EncSetHashtable, res.ht, lru)
	} else {
		ne = newInlineEntry(dst, EncSetIntset, res.is, lru)
	}
	if old != nil {
		db.overwrite(old, ne) // as Redis's dbOverwrite: lazyfree-lazy-server-del
	} else {
		db.insertEntry(ne)
	}
	db.recordWrite(ne, dst, 1)
	return n
}

// SetCard returns the number of members of the set at key, 0 when it is
// missing.
func (db *DB) SetCard(key []byte) (int, error) {
	s, err := db.ReadSet(key)
	return s.Len(), err
}

// srandSubRatio is Redis's SRANDMEMBER_SUB_STRATEGY_MUL: SRANDMEMBER with
// a count copies the whole set and drops members from it when it asks for
// more than a third of them.
const srandSubRatio = 3

// SRandMember picks random members of the set at key, as SRANDMEMBER with a
// count does: count distinct members (the whole set if it has no more)
// when uniq, else count members drawn independently. When the key exists
// it calls header with the number of members of the reply, then fn with
// each (valid only during the call) until fn returns false, which lets the
// caller stop a reply it cannot send. Nothing is allocated from count: the
// independent draws are streamed, and the distinct ones need at most the
// set's size. It reports whether the key existed.
func (db *DB) SRandMember(key []byte, count uint64, uniq bool, header func(n uint64), fn func(m []byte) bool) (bool, error) {
	s, err := db.ReadSet(key)
	if !s.Exists() || err != nil {
		return false, err
	}
	size := uint64(s.Len())
	var buf [num.MaxInt64Len]byte
	switch {
	case count == 0:
		header(0)
	case !uniq || count == 1:
		header(count)
		for i := uint64(0); i < count; i++ {
			if !fn(s.Random(buf[:])) {
				break
			}
		}
	case count >= size:
		header(size)
		s.Each(fn)
	case count*srandSubRatio > size:
		// A uniform sample by a partial Fisher-Yates shuffle of a copy.
		all := make([][]byte, 0, size)
		s.Each(func(m []byte) bool { all = append(all, slices.Clone(m)); return true })
		header(count)
		for i := range int(count) {
			j := i + rand.IntN(len(all)-i)
			all[i], all[j] = all[j], all[i]
			if !fn(all[i]) {
				break
			}
		}
	default:
		// Few members of a big set: draw until count distinct ones.
		seen := make(map[string]struct{}, count)
		picked := make([][]byte, 0, count)
		for uint64(len(picked)) < count {
			m := s.Random(buf[:])
			if _, dup := seen[string(m)]; !dup {
				seen[string(m)] = struct{}{}
				picked = append(picked, slices.Clone(m))
			}
		}
		header(count)
		for _, m := range picked {
			if !fn(m) {
				break
			}
		}
	}
	return true, nil
}
