package store

import (
	"bytes"
	"math"
	"slices"
	"strconv"
	"unsafe"

	"github.com/redoubt-db/redoubt/store/internal/listpack"
	"github.com/redoubt-db/redoubt/store/internal/zindex"
)

// This file holds the two representations of a sorted set and the reading
// and writing primitives the commands in zset.go are built from.
//
// The small one ("listpack", EncZSetListpack) is the entry's inline payload:
// a listpack of member, score pairs in (score, member) order, the score
// element written as Redis writes it (listpack.FormatScore).
//
// The large one ("skiplist", EncZSetSkiplist) is a zsetSkip (zset_skip.go):
// a dict of member → score and an order index of (score, member reference)
// that answers rank queries (store/internal/zindex).
//
// Both are read through a zview, which addresses members by their rank in
// ascending order, so every command is written once.

// zview reads a sorted set of either representation. Members it returns
// alias the store's memory (or scratch space) until the set next changes.
type zview struct {
	e  *entry
	lp []byte    // listpack representation, or nil
	sk *zsetSkip // skiplist representation, or nil
}

func zviewOf(e *entry) zview {
	if e.inline() {
		return zview{e: e, lp: e.payload()}
	}
	return zview{e: e, sk: e.value().(*zsetSkip)}
}

// lpScore reads the score element at p of a sorted set listpack.
func lpScore(lp []byte, p int) float64 {
	str, v, isInt := listpack.Value(lp, p)
	if isInt {
		return float64(v)
	}
	f, _ := strconv.ParseFloat(unsafe.String(unsafe.SliceData(str), len(str)), 64)
	return f
}

// lpMember returns the member element at p; an integer is formatted into a
// new slice (members must stay valid while the caller walks on).
func lpMember(lp []byte, p int) []byte {
	str, v, isInt := listpack.Value(lp, p)
	if isInt {
		return strconv.AppendInt(nil, v, 10)
	}
	return str
}

func (v zview) card() int {
	if v.sk != nil {
		return v.sk.card()
	}
	return listpack.Len(v.lp) / 2
}

// lpFind returns the offset of member's element in a sorted set listpack
// and its score, or -1.
func lpFind(lp []byte, member []byte) (int, float64) {
	p := listpack.First(lp)
	if p < 0 {
		return -1, 0
	}
	p = listpack.Find(lp, p, member, 1)
	if p < 0 {
		return -1, 0
	}
	return p, lpScore(lp, listpack.Next(lp, p))
}

// score returns member's score.
func (v zview) score(member []byte) (float64, bool) {
	if v.sk != nil {
		return v.sk.score(member)
	}
	p, s := lpFind(v.lp, member)
	return s, p >= 0
}

// rank returns member's ascending rank (0-based) and score.
func (v zview) rank(member []byte) (int, float64, bool) {
	if v.sk != nil {
		return v.sk.rank(member)
	}
	r := 0
	for p := listpack.First(v.lp); p >= 0; r++ {
		if listpack.Equal(v.lp, p, member) {
			return r, lpScore(v.lp, listpack.Next(v.lp, p)), true
		}
		p = listpack.Next(v.lp, listpack.Next(v.lp, p))
	}
	return 0, 0, false
}

// each calls fn with the members from ascending rank i on, upwards or (rev)
// downwards, until fn returns false or the set ends. 0 ≤ i < card.
func (v zview) each(i int, rev bool, fn func(member []byte, score float64) bool) {
	if v.sk != nil {
		v.sk.each(i, rev, fn)
		return
	}
	lp := v.lp
	p := listpack.Seek(lp, 2*i)
	for p >= 0 {
		sp := listpack.Next(lp, p)
		if !fn(lpMember(lp, p), lpScore(lp, sp)) {
			return
		}
		if rev {
			p = listpack.Prev(lp, p)
			if p >= 0 {
				p = listpack.Prev(lp, p)
			}
		} else {
			p = listpack.Next(lp, sp)
		}
	}
}

// at returns the member of ascending rank i.
func (v zview) at(i int) ([]byte, float64) {
	var m []byte
	var s float64
	v.each(i, false, func(mm []byte, ss float64) bool { m, s = mm, ss; return false })
	return m, s
}

// ScoreBound is one end of a score range: Value, exclusive when Excl.
type ScoreBound struct {
	Value float64
	Excl  bool
}

// ScoreRange is a range of scores, as ZRANGEBYSCORE's min and max.
type ScoreRange struct{ Min, Max ScoreBound }

func (r *ScoreRange) gteMin(s float64) bool {
	if r.Min.Excl {
		return s > r.Min.Value
	}
	return s >= r.Min.Value
}

func (r *ScoreRange) lteMax(s float64) bool {
	if r.Max.Excl {
		return s < r.Max.Value
	}
	return s <= r.Max.Value
}

// empty reports whether no score can be in the range (zslValueInRange's
// first test).
func (r *ScoreRange) empty() bool {
	return r.Min.Value > r.Max.Value || (r.Min.Value == r.Max.Value && (r.Min.Excl || r.Max.Excl))
}

// LexBound is one end of a lexicographic range: "-" (Inf < 0), "+" (Inf >
// 0), or Value, exclusive when Excl.
type LexBound struct {
	Value []byte
	Excl  bool
	Inf   int
}

// LexRange is a range of members, as ZRANGEBYLEX's min and max.
type LexRange struct{ Min, Max LexBound }

func (r *LexRange) gteMin(m []byte) bool {
	switch {
	case r.Min.Inf < 0:
		return true
	case r.Min.Inf > 0:
		return false
	}
	c := bytes.Compare(m, r.Min.Value)
	if r.Min.Excl {
		return c > 0
	}
	return c >= 0
}

func (r *LexRange) lteMax(m []byte) bool {
	switch {
	case r.Max.Inf > 0:
		return true
	case r.Max.Inf < 0:
		return false
	}
	c := bytes.Compare(m, r.Max.Value)
	if r.Max.Excl {
		return c < 0
	}
	return c <= 0
}

// empty reports whether no member can be in the range (zslLexValue… and
// the first test of zslIsInLexRange).
func (r *LexRange) empty() bool {
	if r.Min.Inf > 0 || r.Max.Inf < 0 {
		return true
	}
	if r.Min.Inf < 0 || r.Max.Inf > 0 {
		return false
	}
	c := bytes.Compare(r.Min.Value, r.Max.Value)
	return c > 0 || (c == 0 && (r.Min.Excl || r.Max.Excl))
}

// zrange selects by score or by member: exactly one of score and lex is
// set.
type zrange struct {
	score *ScoreRange
	lex   *LexRange
}

func (r zrange) gteMin(m []byte, s float64) bool {
	if r.score != nil {
		return r.score.gteMin(s)
	}
	return r.lex.gteMin(m)
}

func (r zrange) lteMax(m []byte, s float64) bool {
	if r.score != nil {
		return r.score.lteMax(s)
	}
	return r.lex.lteMax(m)
}

func (r zrange) empty() bool {
	if r.score != nil {
		return r.score.empty()
	}
	return r.lex.empty()
}

// mayHold reports whether r can hold members of v at all, as Redis's
// zslIsInRange and zslIsInLexRange test first: the range is not empty, the
// last member is not below it and the first not above it.
func (v zview) mayHold(r zrange) bool {
	if r.empty() {
		return false
	}
	m, s := v.at(v.card() - 1)
	if !r.gteMin(m, s) {
		return false
	}
	m, s = v.at(0)
	return r.lteMax(m, s)
}

// first returns the ascending rank of the first member in r, or -1.
// A lexicographic range assumes that all scores are equal, as Redis does:
// the skiplist representation searches, the listpack walks from the head.
func (v zview) first(r zrange) int {
	n := v.card()
	if n == 0 || !v.mayHold(r) {
		return -1
	}
	var i int
	if v.sk != nil {
		if r.score != nil {
			i = v.sk.idx.LowerBound(func(it zindex.Item) bool { return r.score.gteMin(it.Score) })
		} else {
			i = v.sk.lowerBound(func(m []byte, s float64) bool { return r.gteMin(m, s) })
		}
	} else {
		i = -1
		r0 := 0
		v.each(0, false, func(m []byte, s float64) bool {
			if r.gteMin(m, s) {
				i = r0
				return false
			}
			r0++
			return true
		})
		if i < 0 {
			return -1
		}
	}
	if i >= n {
		return -1
	}
	if m, s := v.at(i); !r.lteMax(m, s) {
		return -1
	}
	return i
}

// last returns the ascending rank of the last member in r, or -1.
func (v zview) last(r zrange) int {
	n := v.card()
	if n == 0 || !v.mayHold(r) {
		return -1
	}
	var i int
	if v.sk != nil {
		if r.score != nil {
			i = v.sk.idx.LowerBound(func(it zindex.Item) bool { return !r.score.lteMax(it.Score) }) - 1
		} else {
			i = v.sk.lowerBound(func(m []byte, s float64) bool { return !r.lteMax(m, s) }) - 1
		}
	} else {
		i = -1
		r0 := n - 1
		v.each(n-1, true, func(m []byte, s float64) bool {
			if r.lteMax(m, s) {
				i = r0
				return false
			}
			r0--
			return true
		})
	}
	if i < 0 {
		return -1
	}
	if m, s := v.at(i); !r.gteMin(m, s) {
		return -1
	}
	return i
}

// inRange returns the first rank of the members in r and how many there
// are walking upwards from it while they stay in r, as Redis counts them.
func (v zview) inRange(r zrange) (first, count int) {
	first = v.first(r)
	if first < 0 {
		return 0, 0
	}
	v.each(first, false, func(m []byte, s float64) bool {
		if !r.lteMax(m, s) {
			return false
		}
		count++
		return true
	})
	return first, count
}

// lpInsert adds member with score to a sorted set listpack at its place in
// (score, member) order and returns the listpack. member is not in it.
func lpInsert(lp []byte, member []byte, score float64) []byte {
	p := listpack.First(lp)
	for p >= 0 {
		sp := listpack.Next(lp, p)
		s := lpScore(lp, sp)
		if s > score || (s == score && lpCompare(lp, p, member) > 0) {
			break
		}
		p = listpack.Next(lp, sp)
	}
	if p < 0 {
		p = len(lp) - 1
	}
	var sbuf [32]byte
	lp, p = listpack.InsertBefore(lp, p, member)
	lp, _ = listpack.InsertAfter(lp, p, listpack.FormatScore(sbuf[:0], score))
	return lp
}

// lpCompare compares the element at p with s as strings.
func lpCompare(lp []byte, p int, s []byte) int {
	str, v, isInt := listpack.Value(lp, p)
	if isInt {
		var buf [listpack.IntBufSize]byte
		return bytes.Compare(strconv.AppendInt(buf[:0], v, 10), s)
	}
	return bytes.Compare(str, s)
}

// lpPairSize returns the bytes member and score add to a listpack.
func lpPairSize(member []byte, score float64) int {
	var sbuf [32]byte
	return lpElemSize(member) + lpElemSize(listpack.FormatScore(sbuf[:0], score))
}

// zsetLimits reports whether a set of n members, the longest maxLen bytes,
// may be a listpack under l.
func zsetFitsListpack(l *Limits, n int, maxLen int) bool {
	return int64(n) <= l.ZSetMaxListpackEntries && int64(maxLen) <= l.ZSetMaxListpackValue
}

// toSkip converts a listpack sorted set entry to the large representation.
func toSkip(e *entry) *zsetSkip {
	lp := e.payload()
	sk := newZSetSkip(listpack.Len(lp) / 2)
	for p := listpack.First(lp); p >= 0; {
		sp := listpack.Next(lp, p)
		m := lpMember(lp, p)
		s := lpScore(lp, sp)
		sk.insert(m, s)
		p = listpack.Next(lp, sp)
	}
	e.setCompound(EncZSetSkiplist, sk)
	return sk
}

// zsetWriter changes one sorted set entry, keeping its representation as
// Redis does.
type zsetWriter struct {
	e      *entry
	limits *Limits
}

// lp returns the listpack for writing: its length is the payload's, its
// capacity the payload's plus extra bytes of room.
func (w *zsetWriter) lpRoom(extra int) []byte {
	n := int(w.e.vlen)
	return w.e.resizePayload(n + extra)[:n]
}

// lpDone stores the listpack a change left, which lpRoom's slice grew in
// place or which was reallocated.
func (w *zsetWriter) lpDone(lp []byte) {
	if len(lp) > 0 && int(w.e.vcap) >= len(lp) && unsafe.SliceData(lp) == unsafe.SliceData(w.e.payload()) {
		w.e.vlen = uint32(len(lp))
		if wasteful(len(lp), w.e.vcap) {
			w.e.setPayload(lp)
		}
		return
	}
	w.e.setPayload(lp)
}

// card returns the number of members.
func (w *zsetWriter) card() int { return zviewOf(w.e).card() }

// add inserts member (not in the set) with score, converting first when
// Redis would.
func (w *zsetWriter) add(member []byte, score float64) {
	if w.e.inline() {
		lp := w.e.payload()
		n := listpack.Len(lp) / 2
		if int64(n+1) > w.limits.ZSetMaxListpackEntries || int64(len(member)) > w.limits.ZSetMaxListpackValue ||
			!listpack.SafeToAdd(lp, len(member)) {
			toSkip(w.e).insert(member, score)
			return
		}
		lp = w.lpRoom(lpPairSize(member, score))
		w.lpDone(lpInsert(lp, member, score))
		return
	}
	w.e.value().(*zsetSkip).insert(member, score)
}

// update moves member from score old to score (they differ).
func (w *zsetWriter) update(member []byte, old, score float64) {
	if w.e.inline() {
		lp := w.lpRoom(lpPairSize(member, score))
		p, _ := lpFind(lp, member)
		m := append([]byte(nil), member...)
		lp, _ = listpack.DeleteAt(lp, p, 2)
		w.lpDone(lpInsert(lp, m, score))
		return
	}
	w.e.value().(*zsetSkip).update(member, old, score)
}

// remove deletes member, reporting whether it was there.
func (w *zsetWriter) remove(member []byte) bool {
	if w.e.inline() {
		lp := w.e.writablePayload()
		p, _ := lpFind(lp, member)
		if p < 0 {
			return false
		}
		lp, _ = listpack.DeleteAt(lp, p, 2)
		w.lpDone(lp)
		return true
	}
	return w.e.value().(*zsetSkip).remove(member)
}

// removeRanks deletes count members from ascending rank first on.
func (w *zsetWriter) removeRanks(first, count int) {
	if count <= 0 {
		return
	}
	if w.e.inline() {
		lp := w.e.writablePayload()
		p := listpack.Seek(lp, 2*first)
		lp, _ = listpack.DeleteAt(lp, p, 2*count)
		w.lpDone(lp)
		return
	}
	sk := w.e.value().(*zsetSkip)
	for ; count > 0; count-- {
		sk.removeAt(first)
	}
}

// newZSetEntry returns an empty sorted set entry for key in the
// representation Redis creates for n members the longest maxLen bytes.
func newZSetEntry(key []byte, l *Limits, n, maxLen int, lru uint32) *entry {
	if !zsetFitsListpack(l, n, maxLen) {
		return newCompoundEntry(key, EncZSetSkiplist, newZSetSkip(min(n, 1<<20)), lru)
	}
	return newInlineEntry(key, EncZSetListpack, listpack.New(0), lru)
}

// isNaN reports whether f is not a number.
func isNaN(f float64) bool { return math.IsNaN(f) }

// lpAppendPair appends member and score at the tail of a sorted set
// listpack (the caller keeps the order).
func lpAppendPair(lp []byte, member []byte, score float64) []byte {
	var sbuf [32]byte
	lp = listpack.Append(lp, member)
	return listpack.Append(lp, listpack.FormatScore(sbuf[:0], score))
}

// sortScored sorts members by (score, member).
func sortScored(ms []ScoredMember) {
	slices.SortFunc(ms, func(a, b ScoredMember) int {
		switch {
		case a.Score < b.Score:
			return -1
		case a.Score > b.Score:
			return 1
		}
		return bytes.Compare(a.Member, b.Member)
	})
}
