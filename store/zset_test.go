package store

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/store/internal/dict"
	"github.com/redoubt-db/redoubt/store/internal/listpack"
)

// zmodel is the reference sorted set: a map, sorted on demand.
type zmodel map[string]float64

func (m zmodel) sorted() []ScoredMember {
	out := make([]ScoredMember, 0, len(m))
	for k, s := range m {
		out = append(out, ScoredMember{[]byte(k), s})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score < out[j].Score
		}
		return bytes.Compare(out[i].Member, out[j].Member) < 0
	})
	return out
}

func zrangeAll(t *testing.T, db *DB, key string) []ScoredMember {
	t.Helper()
	var got []ScoredMember
	err := db.ZRange([]byte(key), ZRangeSpec{Start: 0, Stop: -1, Limit: -1}, func(int) {}, func(m []byte, s float64) {
		got = append(got, ScoredMember{append([]byte(nil), m...), s})
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func sameScored(a, b []ScoredMember) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i].Member, b[i].Member) || a[i].Score != b[i].Score {
			return false
		}
	}
	return true
}

func zadd(t *testing.T, db *DB, key string, pairs ...any) ZAddResult {
	t.Helper()
	var ms []ScoredMember
	for i := 0; i < len(pairs); i += 2 {
		ms = append(ms, ScoredMember{[]byte(pairs[i+1].(string)), pairs[i].(float64)})
	}
	res, err := db.ZAdd([]byte(key), ms, ZAddFlags{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestZSetRandomAgainstModel runs random changes and reads on one sorted
// set across the listpack → skiplist conversion and compares every read
// with the model.
func TestZSetRandomAgainstModel(t *testing.T) {
	for _, limit := range []int64{0, 8, 128} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			db, _ := testDB(t)
			l := *db.st.Limits()
			l.ZSetMaxListpackEntries = limit
			db.st.SetLimits(l)
			rng := rand.New(rand.NewPCG(1, uint64(limit)))
			model := zmodel{}
			key := []byte("z")
			member := func() []byte {
				if rng.IntN(4) == 0 {
					return []byte(fmt.Sprint(rng.IntN(40) - 5)) // integer members
				}
				return []byte(fmt.Sprintf("m%02d", rng.IntN(60)))
			}
			score := func() float64 {
				switch rng.IntN(10) {
				case 0:
					return math.Inf(1)
				case 1:
					return math.Inf(-1)
				case 2:
					return rng.Float64()*100 - 50
				}
				return float64(rng.IntN(20) - 10)
			}
			converted := false
			for step := 0; step < 4000; step++ {
				switch op := rng.IntN(10); {
				case op < 4:
					m, s := member(), score()
					f := ZAddFlags{NX: rng.IntN(5) == 0, GT: rng.IntN(6) == 0}
					res, err := db.ZAdd(key, []ScoredMember{{m, s}}, f)
					if err != nil {
						t.Fatal(err)
					}
					cur, ok := model[string(m)]
					switch {
					case !ok:
						model[string(m)] = s
						if res.Added != 1 {
							t.Fatalf("step %d: add of new %s: %+v", step, m, res)
						}
					case f.NX || (f.GT && s <= cur):
					default:
						model[string(m)] = s
						if (s != cur) != (res.Updated == 1) {
							t.Fatalf("step %d: update %s %v→%v: %+v", step, m, cur, s, res)
						}
					}
				case op < 6:
					m := member()
					n, err := db.ZRem(key, [][]byte{m})
					if err != nil {
						t.Fatal(err)
					}
					_, ok := model[string(m)]
					delete(model, string(m))
					if (n == 1) != ok {
						t.Fatalf("step %d: ZRem %s = %d, model has it: %v", step, m, n, ok)
					}
				case op == 6:
					popped, err := db.ZPop(key, rng.IntN(2) == 0, 1+rng.IntN(3))
					if err != nil {
						t.Fatal(err)
					}
					for _, p := range popped {
						if s, ok := model[string(p.Member)]; !ok || s != p.Score {
							t.Fatalf("step %d: popped %s %v not in model", step, p.Member, p.Score)
						}
						delete(model, string(p.Member))
					}
				case op == 7:
					lo, hi := score(), score()
					if lo > hi {
						lo, hi = hi, lo
					}
					r := ScoreRange{ScoreBound{lo, rng.IntN(2) == 0}, ScoreBound{hi, rng.IntN(2) == 0}}
					n, err := db.ZRemRange(key, ZRangeSpec{Score: &r})
					if err != nil {
						t.Fatal(err)
					}
					want := 0
					for k, s := range model {
						if r.gteMin(s) && r.lteMax(s) {
							delete(model, k)
							want++
						}
					}
					if n != want {
						t.Fatalf("step %d: ZRemRangeByScore %+v = %d, want %d", step, r, n, want)
					}
				case op == 8:
					lo, hi := score(), score()
					r := ScoreRange{ScoreBound{lo, rng.IntN(2) == 0}, ScoreBound{hi, rng.IntN(2) == 0}}
					n, err := db.ZCount(key, r)
					if err != nil {
						t.Fatal(err)
					}
					want := 0
					for _, s := range model {
						if r.gteMin(s) && r.lteMax(s) {
							want++
						}
					}
					if n != want {
						t.Fatalf("step %d: ZCount %+v = %d, want %d", step, r, n, want)
					}
					rev := rng.IntN(2) == 0
					off, lim := int64(rng.IntN(3)), int64(rng.IntN(5)-1)
					var got []ScoredMember
					db.ZRange(key, ZRangeSpec{Score: &r, Rev: rev, Offset: off, Limit: lim}, func(int) {}, func(m []byte, s float64) {
						got = append(got, ScoredMember{append([]byte(nil), m...), s})
					})
					var exp []ScoredMember
					all := model.sorted()
					if rev {
						slices.Reverse(all)
					}
					for _, sm := range all {
						if r.gteMin(sm.Score) && r.lteMax(sm.Score) {
							exp = append(exp, sm)
						}
					}
					exp = exp[min(int(off), len(exp)):]
					if lim >= 0 {
						exp = exp[:min(int(lim), len(exp))]
					}
					if !sameScored(got, exp) {
						t.Fatalf("step %d: ZRANGEBYSCORE %+v rev %v limit %d %d = %v, want %v", step, r, rev, off, lim, got, exp)
					}
				default:
					m := member()
					r, ok, err := db.ZRank(key, m, false)
					if err != nil {
						t.Fatal(err)
					}
					all := model.sorted()
					want := slices.IndexFunc(all, func(sm ScoredMember) bool { return bytes.Equal(sm.Member, m) })
					if ok != (want >= 0) || (ok && r != want) {
						t.Fatalf("step %d: ZRank %s = %d %v, want %d", step, m, r, ok, want)
					}
				}
				if e, ok := encodingOf(db, "z"); ok && e == EncZSetSkiplist {
					converted = true
				} else if ok {
					lp := db.keys.find(key).payload()
					if err := listpack.Validate(lp, true); err != nil || listpack.Bytes(lp) != len(lp) {
						t.Fatalf("step %d: listpack invalid: %v (%d bytes, header %d)", step, err, len(lp), listpack.Bytes(lp))
					}
				}
				got := zrangeAll(t, db, "z")
				if !sameScored(got, model.sorted()) {
					t.Fatalf("step %d: set %v, model %v", step, got, model.sorted())
				}
				if n, _ := db.ZCard(key); n != len(model) {
					t.Fatalf("step %d: ZCard %d, model %d", step, n, len(model))
				}
				if len(model) == 0 && db.Exists(key) {
					t.Fatalf("step %d: empty set left a key", step)
				}
			}
			if limit < 60 && !converted {
				t.Fatal("never converted")
			}
		})
	}
}

// TestZSetConversion checks when a sorted set leaves the listpack, as
// Redis 7.0's zsetAdd and ZADD decide.
func TestZSetConversion(t *testing.T) {
	db, _ := testDB(t)
	l := *db.st.Limits()
	l.ZSetMaxListpackEntries = 3
	l.ZSetMaxListpackValue = 5
	db.st.SetLimits(l)
	zadd(t, db, "a", 1.0, "x", 2.0, "y", 3.0, "z")
	if e, _ := encodingOf(db, "a"); e != EncZSetListpack {
		t.Fatalf("3 members: %v", e)
	}
	zadd(t, db, "a", 4.0, "w")
	if e, _ := encodingOf(db, "a"); e != EncZSetSkiplist {
		t.Fatalf("4 members: %v", e)
	}
	db.ZRem([]byte("a"), [][]byte{[]byte("w"), []byte("x")})
	if e, _ := encodingOf(db, "a"); e != EncZSetSkiplist {
		t.Fatalf("never converts back: %v", e)
	}
	zadd(t, db, "b", 1.0, "sixsix")
	if e, _ := encodingOf(db, "b"); e != EncZSetSkiplist {
		t.Fatalf("long first member: %v", e)
	}
	zadd(t, db, "c", 1.0, "five5")
	zadd(t, db, "c", 1.0, "five5") // an update never converts
	if e, _ := encodingOf(db, "c"); e != EncZSetListpack {
		t.Fatalf("5-byte member: %v", e)
	}
	zadd(t, db, "c", 1.0, "sixsix")
	if e, _ := encodingOf(db, "c"); e != EncZSetSkiplist {
		t.Fatalf("long later member: %v", e)
	}
}

// TestZPopAPI checks ZPop and ZCard as the blocking helper uses them.
func TestZPopAPI(t *testing.T) {
	for _, big := range []bool{false, true} {
		db, _ := testDB(t)
		if big {
			l := *db.st.Limits()
			l.ZSetMaxListpackEntries = 1
			db.st.SetLimits(l)
		}
		if got, err := db.ZPop([]byte("none"), false, 3); got != nil || err != nil {
			t.Fatalf("missing key: %v %v", got, err)
		}
		setStr(db, "s", "x")
		if _, err := db.ZPop([]byte("s"), false, 1); err != ErrWrongType {
			t.Fatalf("string: %v", err)
		}
		if _, err := db.ZCard([]byte("s")); err != ErrWrongType {
			t.Fatalf("ZCard string: %v", err)
		}
		zadd(t, db, "z", 1.0, "a", 2.0, "b", 3.0, "c", math.Inf(1), "d")
		before := len(db.st.tx.changes)
		got, err := db.ZPop([]byte("z"), true, 2)
		if err != nil || len(got) != 2 || string(got[0].Member) != "d" || !math.IsInf(got[0].Score, 1) || string(got[1].Member) != "c" || got[1].Score != 3 {
			t.Fatalf("ZPop max 2 = %v %v", got, err)
		}
		if ch := db.st.tx.changes[before:]; len(ch) != 1 || ch[0].Op != OpWrite || ch[0].N != 2 {
			t.Fatalf("changes %+v", ch)
		}
		got[0].Member[0] = 'X' // a copy: the store is unchanged
		if n, _ := db.ZCard([]byte("z")); n != 2 {
			t.Fatalf("ZCard = %d", n)
		}
		got, _ = db.ZPop([]byte("z"), false, 10)
		if len(got) != 2 || string(got[0].Member) != "a" || string(got[1].Member) != "b" {
			t.Fatalf("ZPop min 10 = %v", got)
		}
		if db.Exists([]byte("z")) {
			t.Fatal("emptied key still exists")
		}
		if ch := db.st.tx.changes; ch[len(ch)-1].Op != OpDelete || ch[len(ch)-1].N != 2 {
			t.Fatalf("last change %+v", ch[len(ch)-1])
		}
	}
}

// TestZSetLargeCompaction deletes most members of a large set and keeps
// changing it, so that the dict compacts and moves members: the order
// index must follow every move (OnMove), and ranks, ranges and scores stay
// those of the model.
func TestZSetLargeCompaction(t *testing.T) {
	db, _ := testDB(t)
	key := []byte("big")
	rng := rand.New(rand.NewPCG(5, 6))
	model := zmodel{}
	var ms []ScoredMember
	for i := 0; i < 20000; i++ {
		m := fmt.Sprintf("member:%d:%s", i, strings.Repeat("x", i%40))
		s := float64(rng.IntN(500))
		ms = append(ms, ScoredMember{[]byte(m), s})
		model[m] = s
	}
	if _, err := db.ZAdd(key, ms, ZAddFlags{}); err != nil {
		t.Fatal(err)
	}
	sk := db.keys.find(key).value().(*zsetSkip)
	moves := 0
	onMove := sk.d.OnMove
	sk.d.OnMove = func(old, new dict.Ref) { moves++; onMove(old, new) }
	for round := 0; round < 4; round++ {
		var del [][]byte
		for m := range model {
			if rng.IntN(10) < 7 {
				del = append(del, []byte(m))
				delete(model, m)
			}
		}
		if n, _ := db.ZRem(key, del); n != len(del) {
			t.Fatalf("ZRem removed %d of %d", n, len(del))
		}
		var upd []ScoredMember
		for m := range model {
			if rng.IntN(3) == 0 {
				s := float64(rng.IntN(500))
				upd = append(upd, ScoredMember{[]byte(m), s})
				model[m] = s
			}
		}
		for i := 0; i < 2000; i++ {
			m := fmt.Sprintf("new:%d:%d", round, i)
			s := float64(rng.IntN(500))
			upd = append(upd, ScoredMember{[]byte(m), s})
			model[m] = s
		}
		db.ZAdd(key, upd, ZAddFlags{})
		want := model.sorted()
		if got := zrangeAll(t, db, "big"); !sameScored(got, want) {
			t.Fatalf("round %d: set differs from the model (%d vs %d members)", round, len(got), len(want))
		}
		for i := 0; i < 200; i++ {
			j := rng.IntN(len(want))
			if r, ok, _ := db.ZRank(key, want[j].Member, false); !ok || r != j {
				t.Fatalf("round %d: ZRank(%s) = %d %v, want %d", round, want[j].Member, r, ok, j)
			}
		}
	}
	if moves == 0 {
		t.Fatal("the dict never moved a member: compaction untested")
	}
	c := sk.clone().(*zsetSkip)
	if c.card() != sk.card() {
		t.Fatal("clone size")
	}
	if r, _, ok := c.rank([]byte(string(model.sorted()[3].Member))); !ok || r != 3 {
		t.Fatalf("clone rank = %d %v", r, ok)
	}
}
