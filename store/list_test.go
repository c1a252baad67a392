package store

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/store/internal/listpack"
	"github.com/redoubt-db/redoubt/store/internal/quicklist"
)

// listContents returns the list at key through ListRange, nil if missing.
func listContents(t *testing.T, db *DB, key string) []string {
	t.Helper()
	var out []string
	n := -1
	err := db.ListRange([]byte(key), 0, -1, func(c int) { n = c }, func(v []byte) { out = append(out, string(v)) })
	if err != nil {
		t.Fatalf("ListRange(%q): %v", key, err)
	}
	if n != len(out) {
		t.Fatalf("ListRange(%q) announced %d elements, gave %d", key, n, len(out))
	}
	return out
}

// checkListShape verifies the representation of the list at key: valid
// nodes, none empty, counts adding up, inline exactly when one node.
func checkListShape(t *testing.T, db *DB, key string) {
	t.Helper()
	e := db.keys.find([]byte(key))
	if e == nil {
		return
	}
	if e.enc() != EncListQuicklist {
		t.Fatalf("%q: encoding %v", key, e.enc())
	}
	var view quicklist.List
	l := readList(e, &view)
	total := 0
	for i := 0; i < l.Nodes(); i++ {
		lp := l.Node(i)
		if err := listpack.Validate(lp, true); err != nil {
			t.Fatalf("%q node %d: %v", key, i, err)
		}
		n := listpack.Len(lp)
		if n == 0 {
			t.Fatalf("%q node %d is empty", key, i)
		}
		total += n
	}
	if total != l.Len() {
		t.Fatalf("%q: nodes hold %d elements, list says %d", key, total, l.Len())
	}
	if e.inline() && l.Nodes() != 1 {
		t.Fatalf("%q: inline with %d nodes", key, l.Nodes())
	}
	if !e.inline() && l.Bytes() <= 0 {
		t.Fatalf("%q: compound of %d bytes", key, l.Bytes())
	}
	// The nodes within list-compress-depth of either end are raw.
	d := db.st.Limits().ListCompressDepth
	for i := 0; i < l.Nodes(); i++ {
		if (i < d || i >= l.Nodes()-d || d == 0) && l.Compressed(i) {
			t.Fatalf("%q: node %d of %d compressed at depth %d", key, i, l.Nodes(), d)
		}
	}
}

// randElem returns an element: small and large integers, short strings,
// and now and then one of a few KiB so that nodes fill by size.
func randElem(r *rand.Rand) string {
	switch r.IntN(6) {
	case 0:
		return strconv.Itoa(r.IntN(20))
	case 1:
		return strconv.FormatInt(r.Int64()-math.MaxInt64/2, 10)
	case 2:
		return string(bytes.Repeat([]byte{byte('a' + r.IntN(3))}, 1+r.IntN(70)))
	case 3:
		if r.IntN(8) == 0 {
			return string(bytes.Repeat([]byte("z"), 500+r.IntN(3000)))
		}
		return "x"
	default:
		return string([]byte{byte('a' + r.IntN(3))})
	}
}

// TestListModel runs random list operations against a [][]byte model under
// several node fills (by count and by size, small enough that lists span
// many nodes), comparing contents, replies and dirty weights.
func TestListModel(t *testing.T) {
	for i, fill := range []int{1, 2, 5, 128, -1, -2, -5, 0} {
		depth := i % 3 // list-compress-depth: 0, 1 or 2
		t.Run(fmt.Sprintf("fill=%d/depth=%d", fill, depth), func(t *testing.T) {
			var dirty int64
			clk := NewManualClock(time.UnixMilli(start))
			st := New(Options{Clock: clk, OnCommit: func(_ *Tx, cs []Change) {
				for _, c := range cs {
					dirty += c.Dirty()
				}
			}})
			l := DefaultLimits()
			l.ListMaxListpackSize = fill
			l.ListCompressDepth = depth
			st.SetLimits(l)
			r := rand.New(rand.NewPCG(uint64(fill+10), 7))
			tx := st.Begin(TxOptions{AllDBs: true})
			defer tx.End()
			db := st.DB(0)
			model := map[string][]string{}
			maxNodes := 0
			defer func() { t.Logf("at most %d nodes", maxNodes) }()
			keys := []string{"a", "b"}
			for step := 0; step < 4000; step++ {
				dirty = 0
				key := keys[r.IntN(2)]
				m := model[key]
				var wantDirty int64
				op := r.IntN(12)
				switch op {
				case 0, 1: // push several
					left := op == 0
					n := 1 + r.IntN(8)
					var vals [][]byte
					for range n {
						v := randElem(r)
						vals = append(vals, []byte(v))
						if left {
							m = append([]string{v}, m...)
						} else {
							m = append(m, v)
						}
					}
					got, err := db.ListPush([]byte(key), vals, left, false)
					if err != nil || got != len(m) {
						t.Fatalf("step %d push: %d, %v; want %d", step, got, err, len(m))
					}
					wantDirty = int64(n)
				case 2, 3: // pop count
					left := op == 2
					c := 1 + r.IntN(5)
					got, err := db.ListPop([]byte(key), left, c)
					if err != nil {
						t.Fatal(err)
					}
					var want []string
					for range min(c, len(m)) {
						if left {
							want, m = append(want, m[0]), m[1:]
						} else {
							want, m = append(want, m[len(m)-1]), m[:len(m)-1]
						}
					}
					if !slices.Equal(lstrs(got), want) {
						t.Fatalf("step %d pop(%v, %d) = %q, want %q", step, left, c, lstrs(got), want)
					}
					wantDirty = int64(len(want))
				case 4: // index
					i := int64(r.IntN(2*len(m)+3) - len(m) - 1)
					v, ok, err := db.ListIndex([]byte(key), i, nil)
					j := i
					if j < 0 {
						j += int64(len(m))
					}
					wantOK := j >= 0 && j < int64(len(m))
					if err != nil || ok != wantOK || (ok && string(v) != m[j]) {
						t.Fatalf("step %d index %d = %q %v %v", step, i, v, ok, err)
					}
				case 5: // set
					i := int64(r.IntN(2*len(m)+3) - len(m) - 1)
					v := randElem(r)
					err := db.ListSet([]byte(key), i, []byte(v))
					j := i
					if j < 0 {
						j += int64(len(m))
					}
					switch {
					case len(m) == 0:
						if err != ErrNoSuchKey {
							t.Fatalf("step %d set on missing: %v", step, err)
						}
					case j < 0 || j >= int64(len(m)):
						if err != ErrOutOfRange {
							t.Fatalf("step %d set %d of %d: %v", step, i, len(m), err)
						}
					default:
						if err != nil {
							t.Fatal(err)
						}
						m[j] = v
						wantDirty = 1
					}
				case 6: // insert
					after := r.IntN(2) == 0
					pivot := randElem(r)
					v := randElem(r)
					got, err := db.ListInsert([]byte(key), after, []byte(pivot), []byte(v))
					want := 0
					if len(m) > 0 {
						want = -1
						if i := slices.Index(m, pivot); i >= 0 {
							if after {
								i++
							}
							m = slices.Insert(m, i, v)
							want = len(m)
							wantDirty = 1
						}
					}
					if err != nil || got != want {
						t.Fatalf("step %d insert: %d %v; want %d", step, got, err, want)
					}
				case 7: // rem
					c := int64(r.IntN(5) - 2)
					v := randElem(r)
					got, err := db.ListRem([]byte(key), c, []byte(v))
					removed := 0
					if c >= 0 {
						for i := 0; i < len(m); {
							if m[i] == v && (c == 0 || int64(removed) < c) {
								m = slices.Delete(m, i, i+1)
								removed++
								continue
							}
							i++
						}
					} else {
						for i := len(m) - 1; i >= 0; i-- {
							if m[i] == v && int64(removed) < -c {
								m = slices.Delete(m, i, i+1)
								removed++
							}
						}
					}
					if err != nil || got != removed {
						t.Fatalf("step %d rem %d %q: %d %v; want %d", step, c, v, got, err, removed)
					}
					wantDirty = int64(removed)
				case 8: // trim, rarely, to keep lists long
					if r.IntN(4) != 0 {
						continue
					}
					start := int64(r.IntN(2*len(m)+3) - len(m) - 1)
					stop := int64(r.IntN(2*len(m)+3) - 1)
					if r.IntN(3) == 0 {
						stop = -1 - int64(r.IntN(3))
					}
					if err := db.ListTrim([]byte(key), start, stop); err != nil {
						t.Fatal(err)
					}
					from, n := rangeBounds(start, stop, len(m))
					old := len(m)
					m = slices.Clone(m[from : from+n])
					wantDirty = int64(old - n)
				case 9: // pos
					v := randElem(r)
					rank := int64(r.IntN(5) - 2)
					if rank == 0 {
						rank = 1
					}
					opt := PosOptions{Rank: rank, Count: int64(r.IntN(3)), MaxLen: int64(r.IntN(2) * r.IntN(len(m)+1))}
					var got []int
					if _, err := db.ListPos([]byte(key), []byte(v), opt, func(i int) bool { got = append(got, i); return true }); err != nil {
						t.Fatal(err)
					}
					var want []int
					matches := int64(0)
					for k := 0; k < len(m) && (opt.MaxLen == 0 || int64(k) < opt.MaxLen); k++ {
						i := k
						if rank < 0 {
							i = len(m) - 1 - k
						}
						if m[i] == v {
							matches++
							if matches >= max(rank, -rank) {
								want = append(want, i)
								if opt.Count != 0 && int64(len(want)) >= opt.Count {
									break
								}
							}
						}
					}
					if !slices.Equal(got, want) {
						t.Fatalf("step %d pos %q %+v = %v, want %v (%q)", step, v, opt, got, want, m)
					}
				case 10, 11: // move, to the other key or the same
					dst := keys[r.IntN(2)]
					sl, dl := r.IntN(2) == 0, r.IntN(2) == 0
					v, ok, err := db.ListMove([]byte(key), []byte(dst), sl, dl)
					if err != nil || ok != (len(m) > 0) {
						t.Fatalf("step %d move: %v %v", step, ok, err)
					}
					if !ok {
						break
					}
					var want string
					if sl {
						want, m = m[0], m[1:]
					} else {
						want, m = m[len(m)-1], m[:len(m)-1]
					}
					if string(v) != want {
						t.Fatalf("step %d move gave %q, want %q", step, v, want)
					}
					model[key] = m
					d := model[dst]
					if dl {
						d = append([]string{want}, d...)
					} else {
						d = append(slices.Clone(d), want)
					}
					model[dst] = d
					m = model[key]
					wantDirty = 1
				}
				model[key] = m
				tx.Commit()
				if dirty != wantDirty {
					t.Fatalf("step %d op %d: dirty %d, want %d", step, op, dirty, wantDirty)
				}
				for _, k := range keys {
					got := listContents(t, db, k)
					if !slices.Equal(got, model[k]) {
						t.Fatalf("step %d op %d: %q = %q, want %q", step, op, k, got, model[k])
					}
					n, _ := db.ListLen([]byte(k))
					if n != len(model[k]) {
						t.Fatalf("step %d: ListLen(%q) = %d, want %d", step, k, n, len(model[k]))
					}
					if (db.keys.find([]byte(k)) == nil) != (len(model[k]) == 0) {
						t.Fatalf("step %d: key %q exists with %d elements", step, k, len(model[k]))
					}
					checkListShape(t, db, k)
					if e := db.keys.find([]byte(k)); e != nil && !e.inline() {
						maxNodes = max(maxNodes, e.value().(*listValue).Nodes())
					}
				}
			}
		})
	}
}

// TestListWrongType checks that every list operation refuses another type
// and changes nothing.
func TestListWrongType(t *testing.T) {
	db, _ := testDB(t)
	setStr(db, "s", "v")
	db.ListPush([]byte("l"), bkeys("x"), true, false)
	k := []byte("s")
	errs := []error{}
	_, err := db.ListPush(k, bkeys("x"), true, false)
	errs = append(errs, err)
	_, err = db.ListPop(k, true, 1)
	errs = append(errs, err)
	_, err = db.ListLen(k)
	errs = append(errs, err)
	errs = append(errs, db.ListRange(k, 0, -1, func(int) {}, func([]byte) {}))
	_, _, err = db.ListIndex(k, 0, nil)
	errs = append(errs, err)
	errs = append(errs, db.ListSet(k, 0, []byte("x")))
	_, err = db.ListInsert(k, true, []byte("x"), []byte("y"))
	errs = append(errs, err)
	_, err = db.ListRem(k, 0, []byte("x"))
	errs = append(errs, err)
	errs = append(errs, db.ListTrim(k, 0, 1))
	_, err = db.ListPos(k, []byte("x"), PosOptions{Rank: 1}, func(int) bool { return true })
	errs = append(errs, err)
	_, _, err = db.ListMove(k, []byte("l"), true, true)
	errs = append(errs, err)
	_, _, err = db.ListMove([]byte("l"), k, true, true)
	errs = append(errs, err)
	_, _, err = db.ListMPop(bkeys("missing", "s", "l"), true, 1)
	errs = append(errs, err)
	for i, err := range errs {
		if err != ErrWrongType {
			t.Errorf("operation %d: %v, want ErrWrongType", i, err)
		}
	}
	if got := listContents(t, db, "l"); !slices.Equal(got, []string{"x"}) {
		t.Errorf("l = %q after refused moves", got)
	}
	if v := mustGet(t, db, "s"); v != "v" {
		t.Errorf("s = %q", v)
	}
}

// TestListMPop checks that LMPOP's search skips missing keys and pops from
// the first list.
func TestListMPop(t *testing.T) {
	db, _ := testDB(t)
	db.ListPush([]byte("b"), bkeys("1", "2", "3"), false, false)
	key, vals, err := db.ListMPop(bkeys("a", "b"), false, 5)
	if err != nil || string(key) != "b" || !slices.Equal(lstrs(vals), []string{"3", "2", "1"}) {
		t.Fatalf("ListMPop = %q %q %v", key, lstrs(vals), err)
	}
	if db.Exists([]byte("b")) {
		t.Fatal("b still exists")
	}
	key, vals, err = db.ListMPop(bkeys("a", "b"), true, 1)
	if key != nil || vals != nil || err != nil {
		t.Fatalf("ListMPop of nothing = %q %q %v", key, vals, err)
	}
}

// TestListPopCopies checks that popped values survive later changes.
func TestListPopCopies(t *testing.T) {
	db, _ := testDB(t)
	db.ListPush([]byte("l"), bkeys("aaa", "bbb", "12"), false, false)
	got, _ := db.ListPop([]byte("l"), true, 2)
	db.ListPush([]byte("l"), bkeys("ccc", "ddd"), true, false)
	v, _, _ := db.ListMove([]byte("l"), []byte("m"), true, true)
	db.ListPush([]byte("l"), bkeys("eee"), true, false)
	if !slices.Equal(lstrs(got), []string{"aaa", "bbb"}) || string(v) != "ddd" {
		t.Fatalf("popped %q and %q", lstrs(got), v)
	}
}

// TestListCloneAndConvert checks that a list outgrows its inline form at
// the second node, and that COPY's clone shares nothing.
func TestListCloneAndConvert(t *testing.T) {
	db, _ := testDB(t)
	l := DefaultLimits()
	l.ListMaxListpackSize = 4
	db.st.SetLimits(l)
	db.ListPush([]byte("l"), bkeys("1", "2", "3", "4"), false, false)
	if !db.keys.find([]byte("l")).inline() {
		t.Fatal("a list of one node is not inline")
	}
	db.ListPush([]byte("l"), bkeys("5"), false, false)
	e := db.keys.find([]byte("l"))
	if e.inline() {
		t.Fatal("a list of two nodes is inline")
	}
	if ms := e.value().(*listValue).memSize(); ms < 2*listpack.EmptySize {
		t.Fatalf("memSize %d", ms)
	}
	if ok, err := db.Copy([]byte("l"), db, []byte("c"), false); !ok || err != nil {
		t.Fatal(ok, err)
	}
	db.ListSet([]byte("c"), 0, []byte("changed"))
	db.ListPop([]byte("c"), false, 1)
	if got := listContents(t, db, "l"); !slices.Equal(got, []string{"1", "2", "3", "4", "5"}) {
		t.Fatalf("original changed with its copy: %q", got)
	}
	if got := listContents(t, db, "c"); !slices.Equal(got, []string{"changed", "2", "3", "4"}) {
		t.Fatalf("copy = %q", got)
	}
}

// TestListCompressMemory checks that list-compress-depth 1 shrinks a long
// list of repetitive elements a lot, that every command still reads it
// right, and that a depth set at runtime applies at the list's next change.
func TestListCompressMemory(t *testing.T) {
	db, _ := testDB(t)
	const n = 100000
	fill := func(key string) {
		for i := 0; i < n; i += 1000 {
			var vals [][]byte
			for j := i; j < i+1000; j++ {
				vals = append(vals, []byte(fmt.Sprintf("repetitive-element-%d", j%100)))
			}
			db.ListPush([]byte(key), vals, false, false)
		}
	}
	fill("raw")
	raw, _ := db.MemoryUsage([]byte("raw"), 0)
	l := DefaultLimits()
	l.ListCompressDepth = 1
	db.st.SetLimits(l)
	fill("packed")
	packed, _ := db.MemoryUsage([]byte("packed"), 0)
	if packed*3 > raw {
		t.Fatalf("MEMORY USAGE %d compressed, %d raw", packed, raw)
	}
	lv := db.keys.find([]byte("packed")).value().(*listValue)
	if lv.CompressedNodes() != lv.Nodes()-2 {
		t.Fatalf("%d of %d nodes compressed", lv.CompressedNodes(), lv.Nodes())
	}
	checkListShape(t, db, "packed")
	// Reads and writes in the interior see the right elements.
	for _, i := range []int64{1, 5000, 50017, -30003} {
		want := fmt.Sprintf("repetitive-element-%d", (i+n)%100)
		if v, ok, _ := db.ListIndex([]byte("packed"), i, nil); !ok || string(v) != want {
			t.Fatalf("LINDEX %d = %q, want %q", i, v, want)
		}
	}
	if err := db.ListSet([]byte("packed"), 50000, []byte("set")); err != nil {
		t.Fatal(err)
	}
	var got []string
	db.ListRange([]byte("packed"), 49999, 50001, func(int) {}, func(v []byte) { got = append(got, string(v)) })
	if !slices.Equal(got, []string{"repetitive-element-99", "set", "repetitive-element-1"}) {
		t.Fatalf("LRANGE = %q", got)
	}
	checkListShape(t, db, "packed")
	if after, _ := db.MemoryUsage([]byte("packed"), 0); after*3 > raw {
		t.Fatalf("MEMORY USAGE %d after LSET", after)
	}
	// The list made at depth 0 compresses at its next change.
	db.ListPush([]byte("raw"), bkeys("x"), false, false)
	if now, _ := db.MemoryUsage([]byte("raw"), 0); now*3 > raw {
		t.Fatalf("MEMORY USAGE %d after a push at depth 1, %d before", now, raw)
	}
	checkListShape(t, db, "raw")
	l.ListCompressDepth = 0
	db.st.SetLimits(l)
	db.ListPop([]byte("packed"), true, 1)
	if lv.CompressedNodes() != 0 {
		t.Fatalf("%d nodes compressed at depth 0", lv.CompressedNodes())
	}
	if now, _ := db.MemoryUsage([]byte("packed"), 0); now < raw*9/10 {
		t.Fatalf("MEMORY USAGE %d decompressed, %d before", now, raw)
	}
}

// TestListExtremeIndexes checks index arithmetic at the int64 limits.
func TestListExtremeIndexes(t *testing.T) {
	db, _ := testDB(t)
	db.ListPush([]byte("l"), bkeys("a", "b", "c"), false, false)
	for _, c := range []struct {
		start, stop int64
		want        []string
	}{
		{math.MinInt64, math.MaxInt64, []string{"a", "b", "c"}},
		{math.MaxInt64, math.MinInt64, nil},
		{math.MinInt64, math.MinInt64, nil},
		{-2, math.MaxInt64, []string{"b", "c"}},
		{math.MinInt64, 0, []string{"a"}},
	} {
		var got []string
		db.ListRange([]byte("l"), c.start, c.stop, func(int) {}, func(v []byte) { got = append(got, string(v)) })
		if !slices.Equal(got, c.want) {
			t.Errorf("range %d %d = %q, want %q", c.start, c.stop, got, c.want)
		}
	}
	for _, i := range []int64{math.MinInt64, math.MaxInt64, 3, -4} {
		if _, ok, _ := db.ListIndex([]byte("l"), i, nil); ok {
			t.Errorf("index %d found", i)
		}
		if err := db.ListSet([]byte("l"), i, []byte("x")); err != ErrOutOfRange {
			t.Errorf("set %d: %v", i, err)
		}
	}
	db.ListTrim([]byte("l"), math.MinInt64, math.MaxInt64)
	if got := listContents(t, db, "l"); len(got) != 3 {
		t.Fatalf("trim of everything kept %q", got)
	}
	db.ListTrim([]byte("l"), math.MaxInt64, math.MinInt64)
	if db.Exists([]byte("l")) {
		t.Fatal("empty trim left the key")
	}
}

// lstrs returns vals as strings, in order.
func lstrs(vals [][]byte) []string {
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = string(v)
	}
	return out
}
