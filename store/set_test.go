package store

import (
	"errors"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/redoubt-db/redoubt/internal/num"
	"github.com/redoubt-db/redoubt/store/internal/intset"
)

// setModel is what a test expects a set to hold, and the encoding Redis
// 7.0 would give it.
type setModel struct {
	m       map[string]bool
	hashtab bool
}

func members(db *DB, t *testing.T, key string) []string {
	t.Helper()
	s, err := db.ReadSet([]byte(key))
	if err != nil {
		t.Fatalf("ReadSet(%q): %v", key, err)
	}
	var out []string
	s.Each(func(m []byte) bool { out = append(out, string(m)); return true })
	slices.Sort(out)
	return out
}

func (sm *setModel) sorted() []string {
	var out []string
	for k := range sm.m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func byteSlices(ss ...string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

// checkSet compares the stored set at key with the model: members, count,
// encoding, and for an intset the validity of its bytes.
func checkSet(t *testing.T, db *DB, key string, sm *setModel, step int) {
	t.Helper()
	e := db.keys.find([]byte(key))
	if len(sm.m) == 0 {
		if e != nil {
			t.Fatalf("step %d: %q exists with %v, want it deleted", step, key, members(db, t, key))
		}
		return
	}
	if e == nil {
		t.Fatalf("step %d: %q missing, want %v", step, key, sm.sorted())
	}
	want := EncSetIntset
	if sm.hashtab {
		want = EncSetHashtable
	}
	if e.enc() != want {
		t.Fatalf("step %d: %q encoding %v, want %v (%d members)", step, key, e.enc(), want, len(sm.m))
	}
	if e.enc() == EncSetIntset && !intset.Valid(e.payload()) {
		t.Fatalf("step %d: %q holds a malformed intset %x", step, key, e.payload())
	}
	if got := members(db, t, key); !slices.Equal(got, sm.sorted()) {
		t.Fatalf("step %d: %q = %v, want %v", step, key, got, sm.sorted())
	}
	if n, _ := db.SetCard([]byte(key)); n != len(sm.m) {
		t.Fatalf("step %d: SetCard = %d, want %d", step, n, len(sm.m))
	}
}

// TestSetRandomAgainstModel runs random SADD, SREM, SPOP, SMOVE and
// membership checks on a few sets, with a small intset limit so that sets
// cross it often, and checks every set against a model after each step,
// including the encoding Redis's rules give it.
func TestSetRandomAgainstModel(t *testing.T) {
	db, _ := testDB(t)
	const limit = 8
	lim := DefaultLimits()
	lim.SetMaxIntsetEntries = limit
	db.st.SetLimits(lim)
	rng := rand.New(rand.NewPCG(7, 9))
	keys := []string{"a", "b", "c"}
	models := map[string]*setModel{}
	for _, k := range keys {
		models[k] = &setModel{m: map[string]bool{}}
	}
	member := func() string {
		switch rng.IntN(10) {
		case 0:
			return "x" + strconv.Itoa(rng.IntN(5))
		case 1:
			return []string{"-0", "01", "+1", " 1", "9223372036854775808", "-9223372036854775808", "70000", "-5000000000"}[rng.IntN(8)]
		}
		return strconv.Itoa(rng.IntN(20) - 5)
	}
	// add applies setTypeAdd's rules to the model.
	add := func(sm *setModel, m string) bool {
		if sm.m[m] {
			return false
		}
		if len(sm.m) == 0 {
			_, isInt := num.ParseInt([]byte(m))
			sm.hashtab = !isInt
		}
		sm.m[m] = true
		if _, isInt := num.ParseInt([]byte(m)); !isInt || len(sm.m) > limit {
			sm.hashtab = true
		}
		return true
	}
	for step := 0; step < 20000; step++ {
		k := keys[rng.IntN(len(keys))]
		sm := models[k]
		switch op := rng.IntN(10); {
		case op < 4:
			ms := []string{member(), member(), member()}[:1+rng.IntN(3)]
			want := 0
			for _, m := range ms {
				if add(sm, m) {
					want++
				}
			}
			if got, err := db.SAdd([]byte(k), byteSlices(ms...)); err != nil || got != want {
				t.Fatalf("step %d: SAdd(%q, %q) = %d, %v; want %d", step, k, ms, got, err, want)
			}
		case op < 7:
			ms := []string{member(), member()}
			want := 0
			for _, m := range ms {
				if sm.m[m] {
					delete(sm.m, m)
					want++
				}
			}
			if got, err := db.SRem([]byte(k), byteSlices(ms...)); err != nil || got != want {
				t.Fatalf("step %d: SRem(%q, %q) = %d, %v; want %d", step, k, ms, got, err, want)
			}
		case op == 7:
			m, ok, err := db.SPop([]byte(k))
			if err != nil || ok != (len(sm.m) > 0) || (ok && !sm.m[string(m)]) {
				t.Fatalf("step %d: SPop(%q) = %q, %v, %v; set %v", step, k, m, ok, err, sm.sorted())
			}
			delete(sm.m, string(m))
		case op == 8:
			dk := keys[rng.IntN(len(keys))]
			dm := models[dk]
			m := member()
			want := sm.m[m]
			if dk != k && want {
				delete(sm.m, m)
				if len(dm.m) == 0 {
					dm.hashtab = false
				}
				add(dm, m)
			}
			if got, err := db.SMove([]byte(k), []byte(dk), []byte(m)); err != nil || got != want {
				t.Fatalf("step %d: SMove(%q, %q, %q) = %v, %v; want %v", step, k, dk, m, got, err, want)
			}
			checkSet(t, db, dk, dm, step)
		default:
			m := member()
			s, err := db.ReadSet([]byte(k))
			if err != nil || s.Has([]byte(m)) != sm.m[m] {
				t.Fatalf("step %d: Has(%q) in %q = %v, want %v", step, m, k, s.Has([]byte(m)), sm.m[m])
			}
		}
		checkSet(t, db, k, sm, step)
	}
}

// TestSetOperationsAgainstModel compares SInter, SUnion, SDiff, SStore and
// SINTERCARD's limit with the same operations on maps.
func TestSetOperationsAgainstModel(t *testing.T) {
	db, _ := testDB(t)
	rng := rand.New(rand.NewPCG(3, 4))
	for round := 0; round < 300; round++ {
		db.Flush()
		n := 1 + rng.IntN(4)
		keys := make([][]byte, n)
		sets := make([]map[string]bool, n)
		for i := range keys {
			keys[i] = []byte("k" + strconv.Itoa(rng.IntN(5))) // keys may repeat
		}
		for i, k := range keys {
			if rng.IntN(6) == 0 {
				continue // a missing key
			}
			for range rng.IntN(700) {
				m := strconv.Itoa(rng.IntN(800))
				if rng.IntN(40) == 0 {
					m = "s" + m
				}
				db.SAdd(k, byteSlices(m))
			}
			_ = i
		}
		for i, k := range keys {
			sets[i] = map[string]bool{}
			for _, m := range members(db, t, string(k)) {
				sets[i][m] = true
			}
		}
		views, err := db.ReadSets(keys)
		if err != nil {
			t.Fatal(err)
		}
		var inter, union, diff []string
		for m := range sets[0] {
			in, out := true, true
			for _, s := range sets[1:] {
				in = in && s[m]
				out = out && !s[m]
			}
			if in {
				inter = append(inter, m)
			}
			if out {
				diff = append(diff, m)
			}
		}
		seen := map[string]bool{}
		for _, s := range sets {
			for m := range s {
				if !seen[m] {
					seen[m] = true
					union = append(union, m)
				}
			}
		}
		slices.Sort(inter)
		slices.Sort(union)
		slices.Sort(diff)
		collect := func(s SetView) []string {
			var out []string
			s.Each(func(m []byte) bool { out = append(out, string(m)); return true })
			slices.Sort(out)
			return out
		}
		var got []string
		cnt := SInter(views, 0, func(m []byte) { got = append(got, string(m)) })
		slices.Sort(got)
		if !slices.Equal(got, inter) || cnt != len(inter) {
			t.Fatalf("round %d: SInter = %v (%d), want %v", round, got, cnt, inter)
		}
		if lim := 1 + rng.IntN(5); SInter(views, lim, nil) != min(lim, len(inter)) {
			t.Fatalf("round %d: SInter limit %d = %d, want %d", round, lim, SInter(views, lim, nil), min(lim, len(inter)))
		}
		if got := collect(db.SUnion(views)); !slices.Equal(got, union) {
			t.Fatalf("round %d: SUnion = %v, want %v", round, got, union)
		}
		if got := collect(db.SDiff(views)); !slices.Equal(got, diff) {
			t.Fatalf("round %d: SDiff of %q = %v, want %v", round, keys, got, diff)
		}
		if got := collect(db.SInterSet(views)); !slices.Equal(got, inter) {
			t.Fatalf("round %d: SInterSet = %v, want %v", round, got, inter)
		}
		// Store the union over the first key: the result replaces it.
		res := db.SUnion(views)
		if n := db.SStore(keys[0], res); n != len(union) {
			t.Fatalf("round %d: SStore = %d, want %d", round, n, len(union))
		}
		if got := members(db, t, string(keys[0])); !slices.Equal(got, union) {
			t.Fatalf("round %d: stored union = %v, want %v", round, got, union)
		}
	}
}

// TestSPopNStrategies pops counts that exercise each of Redis's three
// strategies on both encodings and checks what came out and what stayed.
func TestSPopNStrategies(t *testing.T) {
	db, _ := testDB(t)
	for _, tc := range []struct {
		members func(i int) string
		size    int
		count   int64
	}{
		{strconv.Itoa, 100, 3},    // one by one
		{strconv.Itoa, 100, 90},   // keep the rest in a new set
		{strconv.Itoa, 100, 100},  // everything
		{strconv.Itoa, 100, 1000}, // more than everything
		{func(i int) string { return "m" + strconv.Itoa(i) }, 1000, 7},
		{func(i int) string { return "m" + strconv.Itoa(i) }, 1000, 998},
		{func(i int) string { return "m" + strconv.Itoa(i) }, 1000, 1000},
	} {
		db.Flush()
		all := map[string]bool{}
		for i := range tc.size {
			all[tc.members(i)] = true
			db.SAdd([]byte("s"), byteSlices(tc.members(i)))
		}
		var hdr int
		var popped []string
		found, err := db.SPopN([]byte("s"), tc.count, func(n int) { hdr = n }, func(m []byte) { popped = append(popped, string(m)) })
		if !found || err != nil {
			t.Fatalf("SPopN: %v, %v", found, err)
		}
		want := min(int(tc.count), tc.size)
		if hdr != want || len(popped) != want {
			t.Fatalf("SPopN %d of %d: header %d, %d members", tc.count, tc.size, hdr, len(popped))
		}
		left := members(db, t, "s")
		seen := map[string]bool{}
		for _, m := range popped {
			if !all[m] || seen[m] || slices.Contains(left, m) {
				t.Fatalf("SPopN returned %q twice, or not a member, or still there", m)
			}
			seen[m] = true
		}
		if len(left)+len(popped) != tc.size {
			t.Fatalf("SPopN left %d, popped %d, of %d", len(left), len(popped), tc.size)
		}
	}
}

// TestSRandMemberCounts checks SRandMember's distinctness and sizes, and
// that a count near 2^63 is streamed rather than allocated: the callback
// stops it.
func TestSRandMemberCounts(t *testing.T) {
	db, _ := testDB(t)
	for i := range 50 {
		db.SAdd([]byte("s"), byteSlices("m"+strconv.Itoa(i)))
	}
	for _, count := range []uint64{1, 5, 16, 17, 30, 49, 50, 51, 1 << 62} {
		var hdr uint64
		got := map[string]bool{}
		db.SRandMember([]byte("s"), count, true, func(n uint64) { hdr = n }, func(m []byte) bool {
			if got[string(m)] {
				t.Fatalf("count %d: %q twice", count, m)
			}
			got[string(m)] = true
			return true
		})
		if want := min(count, 50); hdr != want || uint64(len(got)) != want {
			t.Fatalf("count %d: header %d, %d members; want %d", count, hdr, len(got), want)
		}
	}
	n := 0
	db.SRandMember([]byte("s"), 1<<63-1, false, func(uint64) {}, func([]byte) bool { n++; return n < 1000 })
	if n != 1000 {
		t.Fatalf("negative count drew %d before stopping, want 1000", n)
	}
	if found, _ := db.SRandMember([]byte("missing"), 5, true, nil, nil); found {
		t.Fatal("SRandMember of a missing key found it")
	}
}

func TestSetWrongType(t *testing.T) {
	db, _ := testDB(t)
	setStr(db, "str", "v")
	db.SAdd([]byte("s"), byteSlices("1"))
	for name, err := range map[string]error{
		"SAdd": func() error { _, err := db.SAdd([]byte("str"), byteSlices("a")); return err }(),
		"SRem": func() error { _, err := db.SRem([]byte("str"), byteSlices("a")); return err }(),
		"SPop": func() error { _, _, err := db.SPop([]byte("str")); return err }(),
		"SPopN": func() error {
			_, err := db.SPopN([]byte("str"), 2, nil, nil)
			return err
		}(),
		"SMove src": func() error { _, err := db.SMove([]byte("str"), []byte("s"), []byte("1")); return err }(),
		"SMove dst": func() error { _, err := db.SMove([]byte("s"), []byte("str"), []byte("1")); return err }(),
		"ReadSets":  func() error { _, err := db.ReadSets(byteSlices("s", "missing", "str")); return err }(),
	} {
		if !errors.Is(err, ErrWrongType) {
			t.Errorf("%s: %v, want ErrWrongType", name, err)
		}
	}
	if got := members(db, t, "s"); !slices.Equal(got, []string{"1"}) {
		t.Errorf("a failed SMOVE changed the source: %v", got)
	}
}

// TestSetCopyIsDeep copies sets of both encodings and changes the copies.
func TestSetCopyIsDeep(t *testing.T) {
	db, _ := testDB(t)
	db.SAdd([]byte("i"), byteSlices("1", "2"))
	db.SAdd([]byte("h"), byteSlices("a", "b"))
	for _, k := range []string{"i", "h"} {
		if ok, err := db.Copy([]byte(k), db, []byte(k+"2"), false); !ok || err != nil {
			t.Fatalf("Copy(%q): %v, %v", k, ok, err)
		}
		db.SAdd([]byte(k+"2"), byteSlices("3"))
		db.SRem([]byte(k+"2"), byteSlices("1", "a"))
	}
	if got := members(db, t, "i"); !slices.Equal(got, []string{"1", "2"}) {
		t.Errorf("intset source after changing its copy: %v", got)
	}
	if got := members(db, t, "h"); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("hashtable source after changing its copy: %v", got)
	}
}

// TestSetScanGuarantee scans a hash-table set while members come and go
// (the table grows and shrinks): every member present for the whole scan is
// returned, and nothing that was never a member.
func TestSetScanGuarantee(t *testing.T) {
	db, _ := testDB(t)
	for i := range 2000 {
		db.SAdd([]byte("s"), byteSlices("m"+strconv.Itoa(i)))
	}
	stay := map[string]bool{}
	for i := 0; i < 2000; i += 3 {
		stay["m"+strconv.Itoa(i)] = true
	}
	seen := map[string]bool{}
	cursor, steps := uint64(0), 0
	for {
		s, _ := db.ReadSet([]byte("s"))
		cursor = s.Scan(cursor, 5, func(m []byte) { seen[string(m)] = true })
		steps++
		// Churn: remove members that do not stay, add new ones.
		db.SRem([]byte("s"), byteSlices("m"+strconv.Itoa(steps*3+1), "m"+strconv.Itoa(steps*3+2)))
		db.SAdd([]byte("s"), byteSlices("n"+strconv.Itoa(steps)))
		if steps%50 == 0 {
			for j := range 300 {
				db.SAdd([]byte("s"), byteSlices("x"+strconv.Itoa(steps*1000+j)))
			}
		}
		if cursor == 0 {
			break
		}
		if steps > 100000 {
			t.Fatal("scan does not end")
		}
	}
	for m := range stay {
		if !seen[m] {
			t.Errorf("member %q present throughout was not returned", m)
		}
	}
	for m := range seen {
		if m[0] != 'm' && m[0] != 'n' && m[0] != 'x' {
			t.Errorf("scan returned %q, never a member", m)
		}
	}
	if steps < 10 {
		t.Errorf("a scan of COUNT 5 over 2000 members took %d steps", steps)
	}
}
