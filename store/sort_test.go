package store

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"testing"
)

// sortElems returns what fn passes, as strings.
func sortElems(fn func(func(v []byte))) []string {
	var out []string
	fn(func(v []byte) { out = append(out, string(v)) })
	return out
}

// TestSortOpenTypes checks the types SORT reads: a missing key is an
// empty list, lists, sets and sorted sets are read in their own order,
// other types are ErrWrongType.
func TestSortOpenTypes(t *testing.T) {
	db, _ := testDB(t)
	db.ListPush(bs("l"), [][]byte{bs("b"), bs("a"), bs("3")}, false, false)
	db.SAdd(bs("s"), [][]byte{bs("5"), bs("-1"), bs("3")})
	db.ZAdd(bs("z"), []ScoredMember{{bs("b"), 2}, {bs("a"), 3}, {bs("c"), 1}}, ZAddFlags{})
	db.Set(bs("str"), bs("x"), SetOptions{})
	db.HSet(bs("h"), [][]byte{bs("f"), bs("v")})

	src, err := db.SortOpen(bs("missing"))
	if err != nil || src.Type() != TypeList || src.Len() != 0 || sortElems(src.Each) != nil {
		t.Errorf("SortOpen(missing) = %v %v, len %d", src.Type(), err, src.Len())
	}
	for key, want := range map[string][]string{"l": {"b", "a", "3"}, "s": {"-1", "3", "5"}, "z": {"c", "b", "a"}} {
		src, err := db.SortOpen(bs(key))
		if err != nil {
			t.Fatalf("SortOpen(%s): %v", key, err)
		}
		if got := sortElems(src.Each); !slices.Equal(got, want) || src.Len() != len(want) {
			t.Errorf("SortOpen(%s).Each = %q (len %d), want %q", key, got, src.Len(), want)
		}
	}
	for _, key := range []string{"str", "h"} {
		if _, err := db.SortOpen(bs(key)); err != ErrWrongType {
			t.Errorf("SortOpen(%s) = %v, want ErrWrongType", key, err)
		}
	}
}

// TestSortOpenConvertsZSet checks that SORT leaves a listpack sorted set
// as a skiplist, recording no change, as Redis's zsetConvert in SORT.
func TestSortOpenConvertsZSet(t *testing.T) {
	db, _ := testDB(t)
	db.ZAdd(bs("z"), []ScoredMember{{bs("a"), 1}, {bs("b"), 2}}, ZAddFlags{})
	if enc, _ := encodingOf(db, "z"); enc != EncZSetListpack {
		t.Fatalf("encoding %v before SORT, want listpack", enc)
	}
	before := len(db.st.tx.changes)
	src, err := db.SortOpen(bs("z"))
	if err != nil {
		t.Fatal(err)
	}
	if enc, _ := encodingOf(db, "z"); enc != EncZSetSkiplist {
		t.Errorf("encoding %v after SortOpen, want skiplist", enc)
	}
	if n := len(db.st.tx.changes) - before; n != 0 {
		t.Errorf("SortOpen recorded %d changes", n)
	}
	if got := sortElems(src.Each); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("elements %q after the conversion", got)
	}
	if s, ok, _ := db.ZScore(bs("z"), bs("b")); !ok || s != 2 {
		t.Errorf("ZScore(b) = %v %v after the conversion", s, ok)
	}
}

// TestSortSourceRange checks ranges of lists (across nodes) and sorted
// sets in both directions against a model, including starts and counts
// past the ends.
func TestSortSourceRange(t *testing.T) {
	db, _ := testDB(t)
	l := *db.st.Limits()
	l.ListMaxListpackSize = 3 // several nodes
	db.st.SetLimits(l)
	const n = 10
	var model []string
	var vals [][]byte
	var members []ScoredMember
	for i := 0; i < n; i++ {
		v := "e" + strconv.Itoa(i)
		model = append(model, v)
		vals = append(vals, bs(v))
		members = append(members, ScoredMember{bs(v), float64(i)})
	}
	db.ListPush(bs("l"), vals, false, false)
	db.ZAdd(bs("z"), members, ZAddFlags{})
	for _, key := range []string{"l", "z"} {
		src, err := db.SortOpen(bs(key))
		if err != nil {
			t.Fatal(err)
		}
		for start := -1; start <= n+1; start++ {
			for cnt := -1; cnt <= n+1; cnt++ {
				for _, rev := range []bool{false, true} {
					var want []string
					for i := max(start, 0); start >= 0 && i < n && i < start+cnt; i++ {
						j := i
						if rev {
							j = n - 1 - i
						}
						want = append(want, model[j])
					}
					got := sortElems(func(fn func([]byte)) { src.Range(start, cnt, rev, fn) })
					if !slices.Equal(got, want) {
						t.Errorf("%s Range(%d, %d, %v) = %q, want %q", key, start, cnt, rev, got, want)
					}
				}
			}
		}
	}
}

// TestSortStore checks the list SORT … STORE leaves: it replaces any
// type, clears the deadline, is built in nodes of 8 KiB whatever
// list-max-listpack-size says (as Redis's SORT builds it), and an empty
// result deletes the destination; the records' weights are Redis's dirty
// increments.
func TestSortStore(t *testing.T) {
	db, clk := testDB(t)
	l := *db.st.Limits()
	l.ListMaxListpackSize = 2
	db.st.SetLimits(l)
	db.Set(bs("d"), bs("x"), SetOptions{})
	db.Expire(bs("d"), clk.Now().UnixMilli()+100000, 0)

	var vals [][]byte
	var want []string
	for i := 0; i < 7; i++ {
		vals = append(vals, bs(fmt.Sprint("v", i)))
		want = append(want, fmt.Sprint("v", i))
	}
	before := len(db.st.tx.changes)
	db.SortStore(bs("d"), vals, 14)
	if ch := db.st.tx.changes[before:]; len(ch) != 1 || ch[0].Op != OpWrite || ch[0].N != 14 {
		t.Errorf("SortStore recorded %+v, want one write weighing 14", ch)
	}
	if got := listContents(t, db, "d"); !slices.Equal(got, want) {
		t.Errorf("stored %q, want %q", got, want)
	}
	checkListShape(t, db, "d")
	if e := db.keys.find(bs("d")); !e.inline() {
		t.Error("seven short elements took more than one node under list-max-listpack-size 2")
	}
	if _, volatile, _ := db.Deadline(bs("d"), NoTouch); volatile {
		t.Error("the stored list kept the old deadline")
	}

	before = len(db.st.tx.changes)
	db.SortStore(bs("d"), nil, 0)
	if ch := db.st.tx.changes[before:]; len(ch) != 1 || ch[0].Op != OpDelete || ch[0].N != 1 {
		t.Errorf("empty SortStore recorded %+v, want one delete weighing 1", ch)
	}
	if db.Exists(bs("d")) {
		t.Error("an empty result left the destination")
	}
	before = len(db.st.tx.changes)
	db.SortStore(bs("d"), nil, 0)
	if n := len(db.st.tx.changes) - before; n != 0 {
		t.Errorf("an empty result over a missing key recorded %d changes", n)
	}

	// Past 8 KiB: more nodes.
	var long [][]byte
	for i := 0; i < 40; i++ {
		long = append(long, bytes.Repeat([]byte{'a' + byte(i%26)}, 500))
	}
	db.SortStore(bs("long"), long, 40)
	checkListShape(t, db, "long")
	if e := db.keys.find(bs("long")); e.inline() {
		t.Error("20,000 bytes of elements stayed in one node")
	}
	if got := listContents(t, db, "long"); len(got) != 40 || got[39] != string(long[39]) {
		t.Errorf("stored %d elements, last %.10q", len(got), got[len(got)-1])
	}

	// One element: an inline list.
	db.SortStore(bs("one"), [][]byte{bs("")}, 1)
	if got := listContents(t, db, "one"); !slices.Equal(got, []string{""}) {
		t.Errorf("stored %q, want one empty element", got)
	}
	checkListShape(t, db, "one")
}
