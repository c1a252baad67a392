package store

import (
	"math"
	"slices"

	"github.com/redoubt-db/redoubt/store/internal/listpack"
)

// The operations on several sorted sets: ZUNION, ZINTER, ZDIFF, their STORE
// forms and ZINTERCARD, whose inputs may also be sets (every member scored
// 1), and ZSCAN.

// ZAggregate is how ZUNION and ZINTER combine the scores of a member found
// in several inputs.
type ZAggregate uint8

// The aggregates.
const (
	ZAggSum ZAggregate = iota
	ZAggMin
	ZAggMax
)

// ZSetOp is one of the set operations.
type ZSetOp uint8

// The operations.
const (
	ZUnion ZSetOp = iota
	ZInter
	ZDiff
)

// zopInput reads one input of a set operation.
type zopInput interface {
	card() int
	// each calls fn with every member and score until it returns false.
	each(fn func(m []byte, s float64) bool)
	score(m []byte) (float64, bool)
}

// zviewInput adapts a sorted set.
type zviewInput struct{ v zview }

func (z zviewInput) card() int { return z.v.card() }
func (z zviewInput) each(fn func(m []byte, s float64) bool) {
	if z.v.card() > 0 {
		z.v.each(0, false, fn)
	}
}
func (z zviewInput) score(m []byte) (float64, bool) { return z.v.score(m) }

// emptyInput is a missing key.
type emptyInput struct{}

func (emptyInput) card() int                           { return 0 }
func (emptyInput) each(func(m []byte, s float64) bool) {}
func (emptyInput) score(m []byte) (float64, bool)      { return 0, false }

// ZSources are the inputs of a set operation, looked up and type-checked
// (ZOpen) before the command parses its options, as Redis does.
type ZSources struct {
	in      []zopInput
	entries []*entry // the entry of each input, nil when missing
}

// ZOpen looks up keys for ZUNION, ZINTER, ZDIFF, their STORE forms and
// ZINTERCARD: each must be a sorted set, a set or missing, else
// ErrWrongType.
func (db *DB) ZOpen(keys [][]byte) (*ZSources, error) {
	src := &ZSources{in: make([]zopInput, len(keys)), entries: make([]*entry, len(keys))}
	for i, k := range keys {
		e := db.lookup(k, 0)
		switch {
		case e == nil:
			src.in[i] = emptyInput{}
		case e.typ() == TypeZSet:
			src.in[i] = zviewInput{zviewOf(e)}
			src.entries[i] = e
		case e.typ() == TypeSet:
			in, err := setAsZInput(e)
			if err != nil {
				return nil, err
			}
			src.in[i] = in
			src.entries[i] = e
		default:
			return nil, ErrWrongType
		}
	}
	return src, nil
}

// aggregate combines val into *target as zunionInterAggregate: a sum of
// inf and -inf is 0.
func aggregate(target *float64, val float64, agg ZAggregate) {
	switch agg {
	case ZAggSum:
		*target += val
		if math.IsNaN(*target) {
			*target = 0
		}
	case ZAggMin:
		if val < *target {
			*target = val
		}
	case ZAggMax:
		if val > *target {
			*target = val
		}
	}
}

// bySize returns the inputs' indexes ordered by cardinality, smallest
// first, keeping the command's order among equals.
func (src *ZSources) bySize() []int {
	idx := make([]int, len(src.in))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return src.in[a].card() - src.in[b].card() })
	return idx
}

// ZCombine computes op over the inputs with weights (nil: all 1) and agg,
// and returns the result in (score, member) order. The members alias the
// store until the transaction ends.
func (src *ZSources) ZCombine(op ZSetOp, weights []float64, agg ZAggregate) []ScoredMember {
	w := func(i int) float64 {
		if weights == nil {
			return 1
		}
		return weights[i]
	}
	var out []ScoredMember
	switch op {
	case ZInter:
		src.inter(w, agg, 0, func(m []byte, s float64) bool {
			out = append(out, ScoredMember{m, s})
			return true
		})
	case ZUnion:
		acc := map[string]int{}
		for _, i := range src.bySize() {
			wi := w(i)
			src.in[i].each(func(m []byte, s float64) bool {
				score := wi * s
				if math.IsNaN(score) {
					score = 0
				}
				if j, ok := acc[string(m)]; ok {
					aggregate(&out[j].Score, score, agg)
				} else {
					acc[string(m)] = len(out)
					out = append(out, ScoredMember{m, score})
				}
				return true
			})
		}
	case ZDiff:
		if len(src.in) == 0 {
			break
		}
		src.in[0].each(func(m []byte, s float64) bool {
			for _, o := range src.in[1:] {
				if _, ok := o.score(m); ok {
					return true
				}
			}
			out = append(out, ScoredMember{m, s})
			return true
		})
	}
	sortScored(out)
	return out
}

// inter walks the intersection as Redis does, from the smallest input,
// calling fn with each member and its aggregated score until fn returns
// false.
func (src *ZSources) inter(w func(int) float64, agg ZAggregate, _ int, fn func(m []byte, s float64) bool) {
	order := src.bySize()
	first := order[0]
	if src.in[first].card() == 0 {
		return
	}
	src.in[first].each(func(m []byte, s0 float64) bool {
		score := w(first) * s0
		if math.IsNaN(score) {
			score = 0
		}
		for _, j := range order[1:] {
			var val float64
			if src.entries[j] == src.entries[first] {
				val = s0 * w(j)
			} else if v, ok := src.in[j].score(m); ok {
				val = v * w(j)
			} else {
				return true
			}
			aggregate(&score, val, agg)
		}
		return fn(m, score)
	})
}

// ZInterCard returns the size of the intersection, stopping at limit when
// limit > 0, as ZINTERCARD does.
func (src *ZSources) ZInterCard(limit int64) int64 {
	var n int64
	src.inter(func(int) float64 { return 1 }, ZAggSum, 0, func([]byte, float64) bool {
		n++
		return limit == 0 || n < limit
	})
	return n
}

// ZStore replaces dst with members (a ZCombine result), or deletes dst
// when there are none, as ZUNIONSTORE and friends do, and returns how many
// members it stored.
func (db *DB) ZStore(dst []byte, members []ScoredMember) int {
	db.storeZSet(dst, members)
	return len(members)
}

// ZScan visits the sorted set at key from cursor on, as ZSCAN: a listpack
// whole (next is 0 and listpack true: scores are then written as the
// listpack holds them), a large set count members at a time. fn receives
// each member and score, aliasing the store.
func (db *DB) ZScan(key []byte, cursor uint64, count int64, fn func(m []byte, s float64)) (next uint64, listpack bool, err error) {
	e, err := db.zsetEntry(key, 0)
	if e == nil || err != nil {
		return 0, true, err
	}
	v := zviewOf(e)
	if v.sk == nil {
		v.each(0, false, func(m []byte, s float64) bool { fn(m, s); return true })
		return 0, true, nil
	}
	// As Redis's SCAN of a dict: buckets until count replies are
	// gathered (a member and its score are two), at most 10×count steps.
	maxIter := int64(math.MaxInt64)
	if count <= math.MaxInt64/10 {
		maxIter = count * 10
	}
	replies := int64(0)
	next = cursor
	for {
		next = v.sk.d.Scan(next, func(k, val []byte) {
			fn(k, decodeScore(val))
			replies += 2
		})
		if next == 0 || maxIter == 0 {
			break
		}
		maxIter--
		if replies >= count {
			break
		}
	}
	return next, false, nil
}

// setInput reads a set as an input of the sorted set operations, every
// member scored 1, as Redis's zuiNext gives a set's members.
type setInput struct{ s SetView }

func (z setInput) card() int { return z.s.Len() }

// each passes copies: a set's Each formats integers into a buffer it
// reuses, and the operations keep the members they are given.
func (z setInput) each(fn func(m []byte, s float64) bool) {
	z.s.Each(func(m []byte) bool { return fn(append([]byte(nil), m...), 1) })
}

func (z setInput) score(m []byte) (float64, bool) { return 1, z.s.Has(m) }

// setAsZInput reads the set entry e as an input of the set operations.
func setAsZInput(e *entry) (zopInput, error) { return setInput{viewOf(e)}, nil }

// AppendListpackScore appends score as a sorted set listpack holds it
// (an integer when it is one, else %.17g), which ZSCAN of a listpack
// replies.
func AppendListpackScore(dst []byte, score float64) []byte {
	return listpack.FormatScore(dst, score)
}
