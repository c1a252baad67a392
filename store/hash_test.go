package store

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/internal/num"
	"github.com/redoubt-db/redoubt/store/internal/listpack"
)

func bs(s string) []byte { return []byte(s) }

// hashPairs returns the fields and values of the hash at key in the order
// Each passes them, as "f=v" strings.
func hashPairs(t testing.TB, db *DB, key string) []string {
	t.Helper()
	h, err := db.HashRead(bs(key))
	if err != nil {
		t.Fatalf("HashRead(%q): %v", key, err)
	}
	var out []string
	h.Each(func(f, v []byte) { out = append(out, string(f)+"="+string(v)) })
	return out
}

// hashModel is what a hash should hold: its fields in insertion order (a
// listpack's order), their values, and whether Redis would have converted
// it to a hash table by now.
type hashModel struct {
	order     []string
	vals      map[string]string
	converted bool
}

func newHashModel() *hashModel { return &hashModel{vals: map[string]string{}} }

// set stores f=v and reports whether f is new, converting as hashTypeSet
// does (the caller applies hashTypeTryConversion's check first where the
// command does).
func (m *hashModel) set(f, v string, l Limits) bool {
	if int64(len(f)) > l.HashMaxListpackValue || int64(len(v)) > l.HashMaxListpackValue {
		m.converted = true
	}
	_, old := m.vals[f]
	m.vals[f] = v
	if !old {
		m.order = append(m.order, f)
		if int64(len(m.order)) > l.HashMaxListpackEntries {
			m.converted = true
		}
	}
	return !old
}

func (m *hashModel) del(f string) bool {
	if _, ok := m.vals[f]; !ok {
		return false
	}
	delete(m.vals, f)
	m.order = slices.DeleteFunc(m.order, func(s string) bool { return s == f })
	return true
}

// check compares the hash at key with the model: fields, values, length,
// encoding and, for a listpack, order.
func (m *hashModel) check(t *testing.T, db *DB, key string, what string) {
	t.Helper()
	enc, ok := encodingOf(db, key)
	if len(m.vals) == 0 {
		if ok {
			t.Fatalf("after %s: key %q exists with encoding %v, want it deleted", what, key, enc)
		}
		return
	}
	wantEnc := EncHashListpack
	if m.converted {
		wantEnc = EncHashHashtable
	}
	if !ok || enc != wantEnc {
		t.Fatalf("after %s: encoding %v (exists %v), want %v", what, enc, ok, wantEnc)
	}
	var want []string
	for _, f := range m.order {
		want = append(want, f+"="+m.vals[f])
	}
	got := hashPairs(t, db, key)
	if m.converted {
		got, want = slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))
	}
	if !slices.Equal(got, want) {
		t.Fatalf("after %s: hash holds %q, want %q", what, got, want)
	}
	h, _ := db.HashRead(bs(key))
	if h.Len() != len(m.vals) {
		t.Fatalf("after %s: Len() = %d, want %d", what, h.Len(), len(m.vals))
	}
	for f, v := range m.vals {
		var buf [24]byte
		got, ok := h.Get(bs(f), buf[:0])
		if !ok || string(got) != v || h.StrLen(bs(f)) != len(v) || !h.Has(bs(f)) {
			t.Fatalf("after %s: Get(%q) = %q, %v, want %q", what, f, got, ok, v)
		}
	}
	if h.Has(bs("no such field")) {
		t.Fatalf("after %s: Has of a missing field is true", what)
	}
}

// TestHashAgainstModel applies random commands to one hash with small
// limits, so that it crosses both thresholds many times (and is deleted
// and made again), and compares it with a model after each.
func TestHashAgainstModel(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3, 4} {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			db, _ := testDB(t)
			l := DefaultLimits()
			l.HashMaxListpackEntries, l.HashMaxListpackValue = 6, 8
			db.st.SetLimits(l)
			rng := rand.New(rand.NewPCG(seed, 9))
			fields := []string{"a", "b", "c", "d", "e", "f", "g", "h", "1", "-5", "007", "123456789", ""}
			values := []string{"", "v", "12", "-3", "1.5", "9223372036854775807", "abcdefgh", "abcdefghi", "3.0"}
			pick := func(xs []string) string { return xs[rng.IntN(len(xs))] }
			m := newHashModel()
			for i := 0; i < 3000; i++ {
				if len(m.vals) == 0 {
					m.converted = false
				}
				var what string
				switch rng.IntN(6) {
				case 0, 1:
					var pairs [][]byte
					for n := 1 + rng.IntN(3); n > 0; n-- {
						pairs = append(pairs, bs(pick(fields)), bs(pick(values)))
					}
					what = fmt.Sprintf("HSet %q", pairs)
					for _, a := range pairs {
						if int64(len(a)) > l.HashMaxListpackValue {
							m.converted = true
						}
					}
					want := 0
					for j := 0; j < len(pairs); j += 2 {
						if m.set(string(pairs[j]), string(pairs[j+1]), l) {
							want++
						}
					}
					if got, err := db.HSet(bs("h"), pairs); got != want || err != nil {
						t.Fatalf("%s = %d, %v, want %d", what, got, err, want)
					}
				case 2:
					f, v := pick(fields), pick(values)
					what = fmt.Sprintf("HSetNX %q %q", f, v)
					_, exists := m.vals[f]
					if !exists {
						m.set(f, v, l)
					}
					if got, err := db.HSetNX(bs("h"), bs(f), bs(v)); got == exists || err != nil {
						t.Fatalf("%s = %v, %v, want %v", what, got, err, !exists)
					}
				case 3:
					var fs [][]byte
					for n := 1 + rng.IntN(3); n > 0; n-- {
						fs = append(fs, bs(pick(fields)))
					}
					what = fmt.Sprintf("HDel %q", fs)
					want := 0
					for _, f := range fs {
						if m.del(string(f)) {
							want++
						}
					}
					if got, err := db.HDel(bs("h"), fs); got != want || err != nil {
						t.Fatalf("%s = %d, %v, want %d", what, got, err, want)
					}
				case 4:
					f, d := pick(fields), int64(rng.IntN(2000000)-1000)
					what = fmt.Sprintf("HIncrBy %q %d", f, d)
					cur, ok := int64(0), true
					if v, exists := m.vals[f]; exists {
						cur, ok = num.ParseInt([]byte(v))
					}
					got, err := db.HIncrBy(bs("h"), bs(f), d)
					switch {
					case !ok:
						if !errors.Is(err, ErrHashNotInteger) {
							t.Fatalf("%s: err %v, want ErrHashNotInteger", what, err)
						}
					case (d > 0 && cur > 1<<63-1-d) || (d < 0 && cur < -1<<63-d):
						if !errors.Is(err, ErrOverflow) {
							t.Fatalf("%s: err %v, want ErrOverflow", what, err)
						}
					default:
						if err != nil || got != cur+d {
							t.Fatalf("%s = %d, %v, want %d", what, got, err, cur+d)
						}
						m.set(f, strconv.FormatInt(cur+d, 10), l)
					}
				case 5:
					f, d := pick(fields), pick([]string{"0.5", "-1.25", "1e3", "3"})
					what = fmt.Sprintf("HIncrByFloat %q %s", f, d)
					incr, _ := num.ParseLongDouble([]byte(d))
					var cur num.LongDouble
					ok := true
					if v, exists := m.vals[f]; exists {
						cur, ok = num.ParseLongDouble([]byte(v))
					}
					got, err := db.HIncrByFloat(bs("h"), bs(f), incr, nil)
					if !ok {
						if !errors.Is(err, ErrHashNotFloat) {
							t.Fatalf("%s: err %v, want ErrHashNotFloat", what, err)
						}
						break
					}
					sum, _ := cur.Add(incr)
					want := string(num.AppendLongDouble(nil, sum))
					if err != nil || string(got) != want {
						t.Fatalf("%s = %q, %v, want %q", what, got, err, want)
					}
					m.set(f, want, l)
				}
				db.st.tx.Commit()
				m.check(t, db, "h", what)
			}
		})
	}
}

// TestHashConversions checks each conversion at its threshold, one below
// it, and that nothing converts back.
func TestHashConversions(t *testing.T) {
	long := func(n int) []byte { return bytes.Repeat([]byte("x"), n) }
	tests := []struct {
		name string
		run  func(db *DB)
		want Encoding
	}{
		{"entries at limit", func(db *DB) { db.HSet(bs("h"), [][]byte{bs("a"), bs("1"), bs("b"), bs("2"), bs("c"), bs("3")}) }, EncHashListpack},
		{"entries past limit", func(db *DB) {
			db.HSet(bs("h"), [][]byte{bs("a"), bs("1"), bs("b"), bs("2"), bs("c"), bs("3"), bs("d"), bs("4")})
		}, EncHashHashtable},
		{"duplicates count once", func(db *DB) {
			db.HSet(bs("h"), [][]byte{bs("a"), bs("1"), bs("b"), bs("2"), bs("c"), bs("3"), bs("a"), bs("4")})
		}, EncHashListpack},
		{"value at limit", func(db *DB) { db.HSet(bs("h"), [][]byte{bs("a"), long(5)}) }, EncHashListpack},
		{"value past limit", func(db *DB) { db.HSet(bs("h"), [][]byte{bs("a"), long(6)}) }, EncHashHashtable},
		{"field past limit", func(db *DB) { db.HSet(bs("h"), [][]byte{long(6), bs("a")}) }, EncHashHashtable},
		// hashTypeTryConversion looks at every argument before any is set.
		{"long value of an existing field", func(db *DB) {
			db.HSet(bs("h"), [][]byte{bs("a"), bs("1")})
			db.HSet(bs("h"), [][]byte{bs("a"), long(6)})
		}, EncHashHashtable},
		// HSETNX checks whether the field exists before converting.
		{"hsetnx refused", func(db *DB) {
			db.HSet(bs("h"), [][]byte{bs("a"), bs("1")})
			db.HSetNX(bs("h"), bs("a"), long(6))
		}, EncHashListpack},
		{"hsetnx long", func(db *DB) { db.HSetNX(bs("h"), bs("a"), long(6)) }, EncHashHashtable},
		{"hincrby grows past limit", func(db *DB) {
			db.HSet(bs("h"), [][]byte{bs("a"), bs("99999")})
			db.HIncrBy(bs("h"), bs("a"), 1)
		}, EncHashHashtable},
		{"hincrby within limit", func(db *DB) {
			db.HSet(bs("h"), [][]byte{bs("a"), bs("9999")})
			db.HIncrBy(bs("h"), bs("a"), 1)
		}, EncHashListpack},
		{"hincrby long field", func(db *DB) { db.HIncrBy(bs("h"), long(6), 1) }, EncHashHashtable},
		{"hincrby refused", func(db *DB) {
			db.HSet(bs("h"), [][]byte{long(5), bs("abc")})
			db.HIncrBy(bs("h"), long(5), 1)
		}, EncHashListpack},
		{"hincrbyfloat grows past limit", func(db *DB) {
			one, _ := num.ParseLongDouble(bs("0.001"))
			db.HIncrByFloat(bs("h"), bs("a"), one, nil)
			db.HIncrByFloat(bs("h"), bs("a"), one, nil)
			db.HIncrByFloat(bs("h"), bs("a"), one, nil) // "0.003", 5 bytes
			db.HIncrByFloat(bs("h"), bs("a"), one, nil) // "0.004"
			tenth, _ := num.ParseLongDouble(bs("0.0001"))
			db.HIncrByFloat(bs("h"), bs("a"), tenth, nil) // "0.0041", 6 bytes
		}, EncHashHashtable},
		{"never back", func(db *DB) {
			db.HSet(bs("h"), [][]byte{bs("a"), long(6), bs("b"), bs("1")})
			db.HDel(bs("h"), [][]byte{bs("a")})
			db.HSet(bs("h"), [][]byte{bs("c"), bs("2")})
		}, EncHashHashtable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, _ := testDB(t)
			l := DefaultLimits()
			l.HashMaxListpackEntries, l.HashMaxListpackValue = 3, 5
			db.st.SetLimits(l)
			tt.run(db)
			if enc, _ := encodingOf(db, "h"); enc != tt.want {
				t.Errorf("encoding %v, want %v", enc, tt.want)
			}
		})
	}
}

// TestHashLimitsRaisedDoNotConvertBack checks that a hashtable stays one
// when the limits are raised, as in Redis.
func TestHashLimitsRaisedDoNotConvertBack(t *testing.T) {
	db, _ := testDB(t)
	l := DefaultLimits()
	l.HashMaxListpackEntries = 1
	db.st.SetLimits(l)
	db.HSet(bs("h"), [][]byte{bs("a"), bs("1"), bs("b"), bs("2")})
	db.st.SetLimits(DefaultLimits())
	db.HDel(bs("h"), [][]byte{bs("a")})
	db.HSet(bs("h"), [][]byte{bs("c"), bs("3")})
	if enc, _ := encodingOf(db, "h"); enc != EncHashHashtable {
		t.Errorf("encoding %v, want hashtable", enc)
	}
	if got := hashPairs(t, db, "h"); len(got) != 2 {
		t.Errorf("hash holds %q, want b and c", got)
	}
}

// TestHashWrongType checks that every hash operation refuses a string
// without changing it, and that reads of a missing key see no fields.
func TestHashWrongType(t *testing.T) {
	db, _ := testDB(t)
	setStr(db, "s", "v")
	k, f := bs("s"), bs("f")
	errs := map[string]error{}
	_, errs["HashRead"] = db.HashRead(k)
	_, _, errs["HGet"] = db.HGet(k, f, nil)
	_, errs["HSet"] = db.HSet(k, [][]byte{f, f})
	_, errs["HSetNX"] = db.HSetNX(k, f, f)
	_, errs["HDel"] = db.HDel(k, [][]byte{f})
	_, errs["HIncrBy"] = db.HIncrBy(k, f, 1)
	_, errs["HIncrByFloat"] = db.HIncrByFloat(k, f, num.LongDoubleFromInt(1), nil)
	for name, err := range errs {
		if !errors.Is(err, ErrWrongType) {
			t.Errorf("%s on a string: err %v, want ErrWrongType", name, err)
		}
	}
	if got := mustGet(t, db, "s"); got != "v" {
		t.Errorf("string changed to %q", got)
	}
	h, err := db.HashRead(bs("missing"))
	if err != nil || h.Exists() || h.Len() != 0 || h.Has(f) || h.Scan(0, 10, func(_, _ []byte) { t.Error("Scan of a missing key passed a field") }) != 0 {
		t.Errorf("a missing key reads as a hash with fields")
	}
	if n, err := db.HDel(bs("missing"), [][]byte{f}); n != 0 || err != nil {
		t.Errorf("HDel of a missing key = %d, %v", n, err)
	}
}

// hashRecorder keeps "op key n" for every change committed.
type hashRecorder struct{ got []string }

func (r *hashRecorder) consume(_ *Tx, changes []Change) {
	for _, c := range changes {
		r.got = append(r.got, fmt.Sprintf("%s %s %d", c.Op, c.Key, c.Dirty()))
	}
}

// TestHashChangeRecords checks the one record per command and its weight in
// the dirty counter, as Redis counts the hash commands.
func TestHashChangeRecords(t *testing.T) {
	rec := &hashRecorder{}
	st := New(Options{OnCommit: rec.consume})
	steps := []struct {
		run  func(db *DB)
		want string
	}{
		{func(db *DB) { db.HSet(bs("h"), [][]byte{bs("a"), bs("1"), bs("b"), bs("2"), bs("a"), bs("3")}) }, "write h 3"},
		{func(db *DB) { db.HSet(bs("h"), [][]byte{bs("a"), bs("3")}) }, "write h 1"},
		{func(db *DB) { db.HSetNX(bs("h"), bs("a"), bs("x")) }, ""},
		{func(db *DB) { db.HSetNX(bs("h"), bs("c"), bs("x")) }, "write h 1"},
		{func(db *DB) { db.HIncrBy(bs("h"), bs("n"), 2) }, "write h 1"},
		{func(db *DB) { db.HIncrBy(bs("h"), bs("c"), 2) }, ""},
		{func(db *DB) { db.HIncrByFloat(bs("h"), bs("n"), num.LongDoubleFromInt(1), nil) }, "write h 1"},
		{func(db *DB) { db.HDel(bs("h"), [][]byte{bs("zz")}) }, ""},
		{func(db *DB) { db.HDel(bs("h"), [][]byte{bs("a"), bs("zz"), bs("b")}) }, "write h 2"},
		{func(db *DB) { db.HDel(bs("h"), [][]byte{bs("c"), bs("n"), bs("c")}) }, "delete h 2"},
		{func(db *DB) { db.HDel(bs("h"), [][]byte{bs("c")}) }, ""},
	}
	for i, s := range steps {
		rec.got = nil
		st.Update(func(tx *Tx) { s.run(tx.DB(0)) })
		if got := strings.Join(rec.got, "; "); got != s.want {
			t.Errorf("step %d: recorded %q, want %q", i, got, s.want)
		}
	}
}

// TestHashCopyIsDeep checks that COPY of a hash in either representation
// gives an independent value with the same encoding, and that RENAME keeps
// it.
func TestHashCopyIsDeep(t *testing.T) {
	for _, entries := range []int64{512, 2} {
		db, _ := testDB(t)
		l := DefaultLimits()
		l.HashMaxListpackEntries = entries
		db.st.SetLimits(l)
		db.HSet(bs("h"), [][]byte{bs("a"), bs("1"), bs("b"), bs("2"), bs("c"), bs("3")})
		if ok, err := db.Copy(bs("h"), db, bs("h2"), false); !ok || err != nil {
			t.Fatalf("Copy = %v, %v", ok, err)
		}
		e1, _ := encodingOf(db, "h")
		e2, _ := encodingOf(db, "h2")
		if e1 != e2 {
			t.Errorf("copy has encoding %v, the original %v", e2, e1)
		}
		db.HSet(bs("h"), [][]byte{bs("a"), bs("changed"), bs("d"), bs("4")})
		db.HDel(bs("h"), [][]byte{bs("b")})
		got := slices.Sorted(slices.Values(hashPairs(t, db, "h2")))
		if want := []string{"a=1", "b=2", "c=3"}; !slices.Equal(got, want) {
			t.Errorf("entries=%d: copy holds %q after the original changed, want %q", entries, got, want)
		}
		if ok, err := db.Rename(bs("h2"), bs("h3"), false); !ok || err != nil {
			t.Fatalf("Rename = %v, %v", ok, err)
		}
		if e3, _ := encodingOf(db, "h3"); e3 != e2 {
			t.Errorf("renamed hash has encoding %v, want %v", e3, e2)
		}
	}
}

// TestHashScanGuarantee checks HSCAN's promise on a hash table: a field
// present for the whole iteration is returned at least once, while fields
// are added (growing the table) and removed (shrinking it) between calls.
func TestHashScanGuarantee(t *testing.T) {
	for _, count := range []int64{1, 10, 100} {
		db, _ := testDB(t)
		l := DefaultLimits()
		l.HashMaxListpackEntries = 8
		db.st.SetLimits(l)
		var stable [][]byte
		for i := 0; i < 500; i++ {
			f := bs("stable:" + strconv.Itoa(i))
			stable = append(stable, f)
			db.HSet(bs("h"), [][]byte{f, bs("v")})
			db.HSet(bs("h"), [][]byte{bs("gone:" + strconv.Itoa(i)), bs("v")})
		}
		seen := map[string]bool{}
		cursor, calls, added := uint64(0), 0, 0
		for {
			h, _ := db.HashRead(bs("h"))
			if h.Encoding() != EncHashHashtable {
				t.Fatalf("encoding %v, want hashtable", h.Encoding())
			}
			got := 0
			cursor = h.Scan(cursor, count, func(f, v []byte) {
				seen[string(f)] = true
				got++
			})
			calls++
			if cursor == 0 {
				break
			}
			if calls > 100000 {
				t.Fatal("the cursor never came back to 0")
			}
			// Grow the table early on, shrink it later.
			if calls < 30 {
				for j := 0; j < 100; j++ {
					db.HSet(bs("h"), [][]byte{bs(fmt.Sprintf("new:%d", added)), bs("v")})
					added++
				}
			} else if calls%2 == 0 {
				var fs [][]byte
				for j := 0; j < 200; j++ {
					fs = append(fs, bs(fmt.Sprintf("new:%d", rand.IntN(max(added, 1)))))
					fs = append(fs, bs(fmt.Sprintf("gone:%d", rand.IntN(500))))
				}
				db.HDel(bs("h"), fs)
			}
			db.st.tx.Commit()
		}
		for _, f := range stable {
			if !seen[string(f)] {
				t.Fatalf("count %d: field %q, present throughout, was never returned (%d calls)", count, f, calls)
			}
		}
	}
}

// TestHashScanListpackWhole checks that a listpack hash comes back whole,
// in order, with cursor 0, whatever the cursor and count.
func TestHashScanListpackWhole(t *testing.T) {
	db, _ := testDB(t)
	db.HSet(bs("h"), [][]byte{bs("a"), bs("1"), bs("b"), bs("-2"), bs("c"), bs("x")})
	h, _ := db.HashRead(bs("h"))
	for _, cursor := range []uint64{0, 5, 1 << 63} {
		var got []string
		if next := h.Scan(cursor, 1, func(f, v []byte) { got = append(got, string(f)+"="+string(v)) }); next != 0 {
			t.Errorf("Scan(%d) returned cursor %d, want 0", cursor, next)
		}
		if want := []string{"a=1", "b=-2", "c=x"}; !slices.Equal(got, want) {
			t.Errorf("Scan(%d) passed %q, want %q", cursor, got, want)
		}
	}
}

// TestHashRandomFields checks HRANDFIELD's draws in both representations:
// distinct fields are distinct and belong to the hash, repeats come as
// many as asked, every field turns up, and fn can stop the draws.
func TestHashRandomFields(t *testing.T) {
	for _, entries := range []int64{512, 4} {
		db, _ := testDB(t)
		l := DefaultLimits()
		l.HashMaxListpackEntries = entries
		db.st.SetLimits(l)
		want := map[string]string{}
		var pairs [][]byte
		for i := 0; i < 30; i++ {
			f, v := "f"+strconv.Itoa(i), strconv.Itoa(i*7)
			want[f] = v
			pairs = append(pairs, bs(f), bs(v))
		}
		db.HSet(bs("h"), pairs)
		h, _ := db.HashRead(bs("h"))
		for _, count := range []int64{1, 5, 11, 29} {
			seen := map[string]bool{}
			h.RandomFields(count, false, func(f, v []byte) bool {
				if seen[string(f)] {
					t.Errorf("entries=%d count=%d: %q drawn twice", entries, count, f)
				}
				seen[string(f)] = true
				if want[string(f)] != string(v) {
					t.Errorf("entries=%d: drew %q=%q, want value %q", entries, f, v, want[string(f)])
				}
				return true
			})
			if int64(len(seen)) != count {
				t.Errorf("entries=%d: %d distinct fields drawn, want %d", entries, len(seen), count)
			}
		}
		seen := map[string]int{}
		n := 0
		h.RandomFields(3000, true, func(f, v []byte) bool {
			seen[string(f)]++
			n++
			return true
		})
		if n != 3000 || len(seen) != len(want) {
			t.Errorf("entries=%d: 3000 draws with repeats gave %d draws of %d fields, want all %d", entries, n, len(seen), len(want))
		}
		stopped := 0
		h.RandomFields(1<<62, true, func(_, _ []byte) bool { stopped++; return stopped < 10 })
		if stopped != 10 {
			t.Errorf("entries=%d: draws went on %d times after fn said stop at 10", entries, stopped)
		}
		for i := 0; i < 100; i++ {
			var fb, vb [24]byte
			f, v := h.RandomField(fb[:0], vb[:0])
			if want[string(f)] != string(v) {
				t.Fatalf("RandomField = %q=%q, not in the hash", f, v)
			}
		}
	}
}

// TestLpElemSize holds lpElemSize to the listpack package: it must be the
// growth Append causes, for strings and for every integer encoding.
func TestLpElemSize(t *testing.T) {
	var cases []string
	for _, n := range []int{0, 1, 62, 63, 64, 125, 126, 127, 4094, 4095, 4096, 16380, 16381, 16382, 16383, 20000} {
		cases = append(cases, strings.Repeat("x", n))
	}
	for _, v := range []int64{0, 127, 128, -1, -4096, -4097, 4095, 4096, 32767, -32769, 8388607, 8388608,
		-8388609, 2147483647, 2147483648, -2147483649, 1<<63 - 1, -1 << 63} {
		cases = append(cases, strconv.FormatInt(v, 10))
	}
	cases = append(cases, "007", "-0", "+1", "9223372036854775808", "1.5")
	for _, s := range cases {
		lp := listpack.New(0)
		grown := len(listpack.Append(lp, []byte(s))) - len(lp)
		if got := lpElemSize([]byte(s)); got != grown {
			t.Errorf("lpElemSize(%.20q… len %d) = %d, Append grows by %d", s, len(s), got, grown)
		}
	}
}

// TestHashTableMemSize checks that a hash table's size is kept as it
// changes: it grows with fields and falls back when they go.
func TestHashTableMemSize(t *testing.T) {
	db, _ := testDB(t)
	l := DefaultLimits()
	l.HashMaxListpackEntries = 1
	db.st.SetLimits(l)
	size := func() int { return db.keys.find(bs("h")).value().(*hashTable).memSize() }
	db.HSet(bs("h"), [][]byte{bs("a"), bs("1"), bs("b"), bs("2")})
	small := size()
	var fs [][]byte
	for i := 0; i < 10000; i++ {
		f := bs("field:" + strconv.Itoa(i))
		fs = append(fs, f)
		db.HSet(bs("h"), [][]byte{f, bytes.Repeat([]byte("v"), 20)})
	}
	big := size()
	if big < small+10000*30 {
		t.Errorf("10000 fields of 30 bytes grew the size from %d to %d only", small, big)
	}
	db.HDel(bs("h"), fs)
	if after := size(); after > big/4 {
		t.Errorf("size %d after deleting nearly every field, was %d", after, big)
	}
}
