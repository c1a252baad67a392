package store

import (
	"errors"
	"math/rand/v2"
)

// The sorted set commands. Each looks keys up as its Redis 7.0 command does,
// keeps the representation Redis would (see zset_repr.go), records one
// change per key it changes weighing what Redis adds to its dirty counter,
// and deletes a key it empties.

// ErrScoreNaN means an increment made a score NaN (ZADD INCR, ZINCRBY of
// inf and -inf); nothing was changed by the member that failed.
var ErrScoreNaN = errors.New("store: resulting score is not a number (NaN)")

// ScoredMember is a member of a sorted set and its score.
type ScoredMember struct {
	Member []byte
	Score  float64
}

// zsetEntry returns the live entry for key, ErrWrongType if it is not a
// sorted set, nil if missing.
func (db *DB) zsetEntry(key []byte, flags LookupFlags) (*entry, error) {
	e := db.lookup(key, flags)
	if e != nil && e.typ() != TypeZSet {
		return nil, ErrWrongType
	}
	return e, nil
}

// zsetWrite returns a writer for e under the current limits.
func (db *DB) zsetWrite(e *entry) zsetWriter {
	return zsetWriter{e: e, limits: db.st.Limits()}
}

// zsetChanged records n changes to the sorted set e at key, deleting the
// key when it is empty, and fires event then (if it deleted the key) "del".
// n 0 records and fires nothing.
func (db *DB) zsetChanged(e *entry, key []byte, n int, event string) {
	if n == 0 {
		return
	}
	if zviewOf(e).card() == 0 {
		db.serverDelete(e) // as Redis's dbDelete (memory.go)
		db.recordN(OpDelete, key, n)
		db.notifyRemoved(EventZset, event, key, true)
		return
	}
	db.recordWrite(e, key, n) // and background work (background.go)
	db.Notify(EventZset, event, key)
}

// ZCard returns the number of members of the sorted set at key, 0 when it
// is missing, or ErrWrongType.
func (db *DB) ZCard(key []byte) (int, error) {
	e, err := db.zsetEntry(key, 0)
	if e == nil {
		return 0, err
	}
	return zviewOf(e).card(), nil
}

// ZPop removes and returns up to count ≥ 1 members with the lowest scores
// (or the highest, with max), in the order popped, as ZPOPMIN and ZPOPMAX
// do; nil, nil when the key is missing. The members are copies, safe after
// the transaction. It records one change weighing the number popped and
// deletes the key it empties. A count ≤ 0 only looks the key up (for
// writing) and type-checks it, as ZPOPMIN key 0 does. A pop fires
// "zpopmin" or "zpopmax", then "del" if it emptied the set.
func (db *DB) ZPop(key []byte, max bool, count int) ([]ScoredMember, error) {
	e, err := db.zsetEntry(key, Write)
	if e == nil || err != nil {
		return nil, err
	}
	v := zviewOf(e)
	n := v.card()
	count = min(count, n)
	if count <= 0 {
		return nil, nil
	}
	out := make([]ScoredMember, 0, count)
	start := 0
	if max {
		start = n - 1
	}
	v.each(start, max, func(m []byte, s float64) bool {
		out = append(out, ScoredMember{Member: append([]byte(nil), m...), Score: s})
		return len(out) < count
	})
	w := db.zsetWrite(e)
	event := "zpopmin"
	if max {
		w.removeRanks(n-count, count)
		event = "zpopmax"
	} else {
		w.removeRanks(0, count)
	}
	db.zsetChanged(e, key, count, event)
	return out, nil
}

// ZAddFlags are ZADD's options.
type ZAddFlags struct {
	NX, XX, GT, LT, Incr bool
}

// ZAddResult reports what ZAdd did.
type ZAddResult struct {
	Added, Updated int
	// Processed counts the members not skipped by NX, XX, GT or LT.
	Processed int
	// Score is the new score of the last member processed (for INCR).
	Score float64
}

// ZAdd adds members to the sorted set at key or updates their scores under
// flags, as ZADD and ZINCRBY do (scores already checked not to be NaN). It
// returns ErrScoreNaN when an increment gives NaN, after keeping the
// members before it, as Redis does. When it added or changed a member it
// fires "zadd", or "zincr" with Incr.
func (db *DB) ZAdd(key []byte, members []ScoredMember, f ZAddFlags) (ZAddResult, error) {
	var res ZAddResult
	e, err := db.zsetEntry(key, Write)
	if err != nil {
		return res, err
	}
	if e == nil {
		if f.XX || len(members) == 0 {
			return res, nil
		}
		l := db.st.Limits()
		// Redis picks the representation from the first member alone.
		e = newZSetEntry(key, l, 1, len(members[0].Member), db.st.lruClock.Load())
		db.insertEntry(e)
	}
	w := db.zsetWrite(e)
	for _, sm := range members {
		score := sm.Score
		cur, exists := zviewOf(e).score(sm.Member)
		if exists {
			if f.NX {
				continue
			}
			if f.Incr {
				score += cur
				if isNaN(score) {
					err = ErrScoreNaN
					break
				}
			}
			if (f.LT && score >= cur) || (f.GT && score <= cur) {
				continue
			}
			res.Processed++
			res.Score = score
			if score != cur {
				w.update(sm.Member, cur, score)
				res.Updated++
			}
			continue
		}
		if f.XX {
			continue
		}
		w.add(sm.Member, score)
		res.Added++
		res.Processed++
		res.Score = score
	}
	if n := res.Added + res.Updated; n > 0 {
		db.recordWrite(e, key, n) // and background work (background.go)
		if f.Incr {
			db.Notify(EventZset, "zincr", key)
		} else {
			db.Notify(EventZset, "zadd", key)
		}
	} else if zviewOf(e).card() == 0 {
		// A key created for nothing (cannot happen today: a new key
		// always gets its first member) is not left behind.
		db.serverDelete(e) // as Redis's dbDelete (memory.go)
	}
	return res, err
}

// ZRem removes members from the sorted set at key and returns how many
// were there, firing "zrem" (and "del" if it emptied the set) when any
// was.
func (db *DB) ZRem(key []byte, members [][]byte) (int, error) {
	e, err := db.zsetEntry(key, Write)
	if e == nil || err != nil {
		return 0, err
	}
	w := db.zsetWrite(e)
	n := 0
	for _, m := range members {
		if w.remove(m) {
			n++
			if w.card() == 0 {
				break
			}
		}
	}
	db.zsetChanged(e, key, n, "zrem")
	return n, nil
}

// ZScore returns member's score.
func (db *DB) ZScore(key, member []byte) (float64, bool, error) {
	e, err := db.zsetEntry(key, 0)
	if e == nil {
		return 0, false, err
	}
	s, ok := zviewOf(e).score(member)
	return s, ok, nil
}

// ZMScore returns the scores of members, with ok[i] false for a missing
// member (all false when the key is missing).
func (db *DB) ZMScore(key []byte, members [][]byte) ([]float64, []bool, error) {
	e, err := db.zsetEntry(key, 0)
	if err != nil {
		return nil, nil, err
	}
	scores := make([]float64, len(members))
	ok := make([]bool, len(members))
	if e != nil {
		v := zviewOf(e)
		for i, m := range members {
			scores[i], ok[i] = v.score(m)
		}
	}
	return scores, ok, nil
}

// ZRank returns member's rank, counting from the lowest score (or the
// highest, rev).
func (db *DB) ZRank(key, member []byte, rev bool) (int, bool, error) {
	e, err := db.zsetEntry(key, 0)
	if e == nil {
		return 0, false, err
	}
	v := zviewOf(e)
	r, _, ok := v.rank(member)
	if ok && rev {
		r = v.card() - 1 - r
	}
	return r, ok, nil
}

// ZCount returns how many members have a score in r.
func (db *DB) ZCount(key []byte, r ScoreRange) (int, error) {
	e, err := db.zsetEntry(key, 0)
	if e == nil {
		return 0, err
	}
	_, n := zviewOf(e).inRange(zrange{score: &r})
	return n, nil
}

// ZLexCount returns how many members are in r.
func (db *DB) ZLexCount(key []byte, r LexRange) (int, error) {
	e, err := db.zsetEntry(key, 0)
	if e == nil {
		return 0, err
	}
	_, n := zviewOf(e).inRange(zrange{lex: &r})
	return n, nil
}

// ZRangeSpec is what ZRANGE and its variants select. With neither Score
// nor Lex set, Start and Stop are ranks (negative counting from the end,
// as ZRANGE takes them); Rev counts ranks from the highest score and walks
// score and lex ranges downwards. Limit < 0 means no limit; Offset and
// Limit apply to score and lex ranges only.
type ZRangeSpec struct {
	Start, Stop   int64
	Score         *ScoreRange
	Lex           *LexRange
	Rev           bool
	Offset, Limit int64
}

// zselect calls fn with the members spec selects from v, in reply order.
// It returns how many it will call fn for first, through count, so that a
// reply can start with its length: count is called once, before fn.
func zselect(v zview, spec *ZRangeSpec, count func(n int), fn func(m []byte, s float64)) {
	n := v.card()
	if spec.Score == nil && spec.Lex == nil {
		start, k := rangeBounds(spec.Start, spec.Stop, n)
		count(k)
		if k == 0 {
			return
		}
		from := start
		if spec.Rev {
			from = n - 1 - start
		}
		i := 0
		v.each(from, spec.Rev, func(m []byte, s float64) bool {
			fn(m, s)
			i++
			return i < k
		})
		return
	}
	r := zrange{score: spec.Score, lex: spec.Lex}
	var from int
	if spec.Rev {
		from = v.last(r)
	} else {
		from = v.first(r)
	}
	if from < 0 || spec.Offset < 0 || (spec.Offset > 0 && spec.Offset >= int64(n)) {
		count(0)
		return
	}
	// As Redis: skip offset members without looking at them, then take
	// up to limit (all when negative) while they are in range.
	if spec.Rev {
		from -= int(spec.Offset)
	} else {
		from += int(spec.Offset)
	}
	if from < 0 || from >= n || spec.Limit == 0 {
		count(0)
		return
	}
	var sel []ScoredMember
	limit := spec.Limit
	v.each(from, spec.Rev, func(m []byte, s float64) bool {
		if spec.Rev {
			if !r.gteMin(m, s) {
				return false
			}
		} else if !r.lteMax(m, s) {
			return false
		}
		sel = append(sel, ScoredMember{m, s})
		if limit > 0 {
			limit--
		}
		return limit != 0
	})
	count(len(sel))
	for _, sm := range sel {
		fn(sm.Member, sm.Score)
	}
}

// ZRange calls count once with the number of members spec selects from
// the sorted set at key, then fn with each in order, as ZRANGE and its
// variants reply. A missing key selects nothing (count(0)). Members passed
// to fn alias the store until the transaction ends.
func (db *DB) ZRange(key []byte, spec ZRangeSpec, count func(n int), fn func(member []byte, score float64)) error {
	e, err := db.zsetEntry(key, 0)
	if err != nil {
		return err
	}
	if e == nil {
		count(0)
		return nil
	}
	zselect(zviewOf(e), &spec, count, fn)
	return nil
}

// storeZSet replaces whatever dst holds with the sorted set of members
// (distinct, any order), or deletes dst when there are none, as the STORE
// commands do: the representation is the one Redis gives such a result.
// It records one change weighing one, or nothing when an empty result
// meets a missing dst.
func (db *DB) storeZSet(dst []byte, members []ScoredMember) {
	old := db.lookup(dst, Write)
	if len(members) == 0 {
		if old != nil {
			db.serverDelete(old) // as Redis's dbDelete: lazyfree-lazy-server-del
			db.recordN(OpDelete, dst, 1)
		}
		return
	}
	maxLen := 0
	for _, sm := range members {
		maxLen = max(maxLen, len(sm.Member))
	}
	l := db.st.Limits()
	lru := db.st.lruClock.Load()
	ne := newZSetEntry(dst, l, len(members), maxLen, lru)
	if ne.inline() {
		sortScored(members)
		w := zsetWriter{e: ne, limits: l}
		lp := w.lpRoom(0)
		for _, sm := range members {
			lp = lpAppendPair(lp, sm.Member, sm.Score)
		}
		w.lpDone(lp)
	} else {
		sk := ne.value().(*zsetSkip)
		for _, sm := range members {
			sk.insert(sm.Member, sm.Score)
		}
	}
	if old != nil {
		db.overwrite(old, ne) // as Redis's dbOverwrite: lazyfree-lazy-server-del
	} else {
		db.insertEntry(ne)
	}
	db.recordWrite(ne, dst, 1)
}

// ZRangeStore stores what spec selects from src at dst and returns how
// many members it stored, as ZRANGESTORE does. src must be a sorted set
// (or missing); dst is overwritten whatever it holds. It fires
// "zrangestore", or "del" when it deleted dst for an empty result.
func (db *DB) ZRangeStore(dst, src []byte, spec ZRangeSpec) (int, error) {
	e, err := db.zsetEntry(src, 0)
	if err != nil {
		return 0, err
	}
	var sel []ScoredMember
	if e != nil {
		zselect(zviewOf(e), &spec, func(n int) { sel = make([]ScoredMember, 0, n) }, func(m []byte, s float64) {
			sel = append(sel, ScoredMember{append([]byte(nil), m...), s})
		})
	}
	db.storeZSet(dst, sel)
	db.NotifyStored(EventZset, "zrangestore", dst, len(sel))
	return len(sel), nil
}

// ZRemRangeByRank removes the members of ranks start..stop (negative
// counting from the end) and returns how many, firing the command's event
// ("zremrangebyrank", "zremrangebyscore", "zremrangebylex") when it removed
// any, then "del" if it emptied the set.
func (db *DB) ZRemRange(key []byte, spec ZRangeSpec) (int, error) {
	e, err := db.zsetEntry(key, Write)
	if e == nil || err != nil {
		return 0, err
	}
	v := zviewOf(e)
	var first, n int
	event := "zremrangebyrank"
	if spec.Score == nil && spec.Lex == nil {
		first, n = rangeBounds(spec.Start, spec.Stop, v.card())
	} else {
		first, n = v.inRange(zrange{score: spec.Score, lex: spec.Lex})
		event = "zremrangebyscore"
		if spec.Lex != nil {
			event = "zremrangebylex"
		}
	}
	if n == 0 {
		return 0, nil
	}
	w := db.zsetWrite(e)
	w.removeRanks(first, n)
	db.zsetChanged(e, key, n, event)
	return n, nil
}

// ZRandMember returns one random member, ok false when key is missing.
func (db *DB) ZRandMember(key []byte) (ScoredMember, bool, error) {
	e, err := db.zsetEntry(key, 0)
	if e == nil {
		return ScoredMember{}, false, err
	}
	v := zviewOf(e)
	m, s := v.at(rand.IntN(v.card()))
	return ScoredMember{m, s}, true, nil
}

// ZRandMembers chooses members at random as ZRANDMEMBER with a count does,
// looking the key up once: distinct members (at most the set's size) for
// count > 0, -count members that may repeat for count < 0. It calls header
// with the number of members first (0 when the key is missing or count is
// 0), then fn with each; with a negative count it stops early when fn
// returns false, so that a huge count costs only what the caller accepts.
// Nothing is allocated in proportion to a negative count. Members alias
// the store.
func (db *DB) ZRandMembers(key []byte, count int64, header func(n int64), fn func(m []byte, s float64) bool) error {
	e, err := db.zsetEntry(key, 0)
	if err != nil {
		return err
	}
	if e == nil || count == 0 {
		header(0)
		return nil
	}
	v := zviewOf(e)
	n := v.card()
	if count < 0 {
		header(-count)
		for k := -count; k > 0; k-- {
			m, s := v.at(rand.IntN(n))
			if !fn(m, s) {
				return nil
			}
		}
		return nil
	}
	if count >= int64(n) {
		header(int64(n))
		v.each(0, false, func(m []byte, s float64) bool { fn(m, s); return true })
		return nil
	}
	k := int(count)
	// Choose k distinct ranks: a partial shuffle when k is a large part
	// of n, else rejection of repeats.
	var ranks []int
	if k*3 > n {
		ranks = rand.Perm(n)[:k]
	} else {
		seen := make(map[int]struct{}, k)
		for len(ranks) < k {
			r := rand.IntN(n)
			if _, dup := seen[r]; dup {
				continue
			}
			seen[r] = struct{}{}
			ranks = append(ranks, r)
		}
	}
	header(int64(k))
	for _, r := range ranks {
		m, s := v.at(r)
		fn(m, s)
	}
	return nil
}
