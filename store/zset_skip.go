package store

import (
	"bytes"
	"encoding/binary"
	"math"

	"github.com/redoubt-db/redoubt/store/internal/dict"
	"github.com/redoubt-db/redoubt/store/internal/zindex"
)

// zsetSkip is the large representation of a sorted set, which OBJECT
// ENCODING calls "skiplist" as Redis does: a dict of member → score (the
// score's 8 bytes) and an order index of (score, dict reference) in
// (score, member) order, which answers ranks. Neither holds a Go pointer
// per member. When the dict moves a member (compaction), OnMove gives the
// index the member's new reference.
type zsetSkip struct {
	d   *dict.Dict
	idx *zindex.Index
}

// zsetItemBytes is what a member costs the order index: a 16-byte item and
// the chunks' spare room, a third on average.
const zsetItemBytes = 21

func newZSetSkip(hint int) *zsetSkip {
	z := &zsetSkip{d: dict.New(hint)}
	z.idx = zindex.New(z.cmp)
	z.d.OnMove = z.moved
	return z
}

// clone implements cloner: the dict's clone keeps every reference, so the
// index is copied as it is.
func (z *zsetSkip) clone() any {
	c := &zsetSkip{d: z.d.Clone()}
	c.idx = z.idx.Clone(c.cmp)
	c.d.OnMove = c.moved
	return c
}

// memSize implements sizer: the dict's own figure and the index's, both
// kept up to date as they change.
func (z *zsetSkip) memSize() int { return 64 + z.d.Bytes() + z.idx.Len()*zsetItemBytes }

// freeEffort is the work of freeing the set as Redis's lazyfree counts a
// skiplist: one unit per member (memory.go).
func (z *zsetSkip) freeEffort() int { return z.card() }

// bgPending and bgStep hand the dict's rehash and compaction to the store's
// cron (background.go); a member the dict moves reaches the index through
// OnMove.
func (z *zsetSkip) bgPending() bool        { return z.d.Pending() }
func (z *zsetSkip) bgStep(budget int) bool { return z.d.Step(budget) }

// cmp orders index items by score, then member.
func (z *zsetSkip) cmp(a, b zindex.Item) int {
	switch {
	case a.Score < b.Score:
		return -1
	case a.Score > b.Score:
		return 1
	case a.Ref == b.Ref:
		return 0
	}
	return bytes.Compare(z.d.Key(dict.Ref(a.Ref)), z.d.Key(dict.Ref(b.Ref)))
}

// moved follows the dict's relocation of a member.
func (z *zsetSkip) moved(old, new dict.Ref) {
	s := decodeScore(z.d.Val(old))
	if i, ok := z.idx.Rank(zindex.Item{Score: s, Ref: uint32(old)}); ok {
		z.idx.Replace(i, zindex.Item{Score: s, Ref: uint32(new)})
	}
}

func encodeScore(buf *[8]byte, s float64) []byte {
	binary.LittleEndian.PutUint64(buf[:], math.Float64bits(s))
	return buf[:]
}

func decodeScore(b []byte) float64 { return math.Float64frombits(binary.LittleEndian.Uint64(b)) }

func (z *zsetSkip) card() int { return z.idx.Len() }

// score returns member's score.
func (z *zsetSkip) score(member []byte) (float64, bool) {
	v, ok := z.d.Get(member)
	if !ok {
		return 0, false
	}
	return decodeScore(v), true
}

// rank returns member's ascending rank and score.
func (z *zsetSkip) rank(member []byte) (int, float64, bool) {
	r, ok := z.d.Find(member)
	if !ok {
		return 0, 0, false
	}
	s := decodeScore(z.d.Val(r))
	i, ok := z.idx.Rank(zindex.Item{Score: s, Ref: uint32(r)})
	return i, s, ok
}

// insert adds a member that is not in the set.
func (z *zsetSkip) insert(member []byte, score float64) {
	var buf [8]byte
	r, _ := z.d.AddRef(member, encodeScore(&buf, score))
	z.idx.Insert(zindex.Item{Score: score, Ref: uint32(r)})
}

// update moves an existing member from score old to score.
func (z *zsetSkip) update(member []byte, old, score float64) {
	r, _ := z.d.Find(member)
	z.idx.Delete(zindex.Item{Score: old, Ref: uint32(r)})
	var buf [8]byte
	z.d.SetVal(r, encodeScore(&buf, score))
	z.idx.Insert(zindex.Item{Score: score, Ref: uint32(r)})
}

// remove deletes a member, reporting whether it was there.
func (z *zsetSkip) remove(member []byte) bool {
	r, ok := z.d.Find(member)
	if !ok {
		return false
	}
	z.idx.Delete(zindex.Item{Score: decodeScore(z.d.Val(r)), Ref: uint32(r)})
	z.d.DeleteRef(r)
	return true
}

// removeAt deletes the member of ascending rank i.
func (z *zsetSkip) removeAt(i int) {
	it := z.idx.DeleteAt(i)
	z.d.DeleteRef(dict.Ref(it.Ref))
}

// lowerBound returns the first rank whose member satisfies pred, pred being
// false then true along the ranks (card if none does).
func (z *zsetSkip) lowerBound(pred func(m []byte, s float64) bool) int {
	return z.idx.LowerBound(func(it zindex.Item) bool { return pred(z.d.Key(dict.Ref(it.Ref)), it.Score) })
}

// each calls fn with the members from rank i upwards (or downwards) until
// fn returns false.
func (z *zsetSkip) each(i int, rev bool, fn func(m []byte, s float64) bool) {
	iter := func(it zindex.Item) bool { return fn(z.d.Key(dict.Ref(it.Ref)), it.Score) }
	if rev {
		z.idx.Descend(i, iter)
	} else {
		z.idx.Ascend(i, iter)
	}
}
