package store

import (
	"bytes"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
)

// testDB returns database 0 of a new store on a manual clock, with a
// transaction open for the test.
func testDB(t testing.TB) (*DB, stepClock) {
	t.Helper()
	clk := NewManualClock(time.Unix(1_700_000_000, 0))
	st := New(Options{Clock: clk})
	tx := st.Begin(TxOptions{AllDBs: true})
	t.Cleanup(tx.End)
	return st.DB(0), stepClock{clk, st}
}

// encodingOf returns the encoding OBJECT ENCODING would report for key,
// looked up without side effects.
func encodingOf(db *DB, key string) (Encoding, bool) {
	e := db.keys.find([]byte(key))
	if e == nil {
		return 0, false
	}
	return e.enc(), true
}

func mustGet(t *testing.T, db *DB, key string) string {
	t.Helper()
	val, ok, err := db.Get([]byte(key))
	if err != nil || !ok {
		t.Fatalf("Get(%q) = %q, %v, %v; want a value", key, val, ok, err)
	}
	return string(val)
}

func setStr(db *DB, key, val string) {
	db.Set([]byte(key), []byte(val), SetOptions{})
}

// TestStringEncodings checks the encoding each writer leaves, as Redis 7.0
// chooses it (conformance/testdata/strings_encoding.txt records Redis).
func TestStringEncodings(t *testing.T) {
	long := string(bytes.Repeat([]byte("a"), 45))
	tests := []struct {
		name string
		do   func(db *DB)
		want Encoding
	}{
		{"SET small int", func(db *DB) { setStr(db, "k", "9999") }, EncSharedInt},
		{"SET zero", func(db *DB) { setStr(db, "k", "0") }, EncSharedInt},
		{"SET 10000", func(db *DB) { setStr(db, "k", "10000") }, EncInt},
		{"SET negative", func(db *DB) { setStr(db, "k", "-1") }, EncInt},
		{"SET max int64", func(db *DB) { setStr(db, "k", "9223372036854775807") }, EncInt},
		{"SET min int64", func(db *DB) { setStr(db, "k", "-9223372036854775808") }, EncInt},
		{"SET past int64", func(db *DB) { setStr(db, "k", "9223372036854775808") }, EncEmbstr},
		{"SET leading zero", func(db *DB) { setStr(db, "k", "01") }, EncEmbstr},
		{"SET -0", func(db *DB) { setStr(db, "k", "-0") }, EncEmbstr},
		{"SET plus", func(db *DB) { setStr(db, "k", "+1") }, EncEmbstr},
		{"SET empty", func(db *DB) { setStr(db, "k", "") }, EncEmbstr},
		{"SET 44 bytes", func(db *DB) { setStr(db, "k", long[:44]) }, EncEmbstr},
		{"SET 45 bytes", func(db *DB) { setStr(db, "k", long) }, EncRaw},
		{"SET 45 digits", func(db *DB) { setStr(db, "k", "123456789012345678901234567890123456789012345") }, EncRaw},
		{"MSET", func(db *DB) { db.MSet([][]byte{[]byte("k"), []byte("123")}) }, EncSharedInt},
		{"MSETNX", func(db *DB) { db.MSetNX([][]byte{[]byte("k"), []byte("-5")}) }, EncInt},
		{"GETSET", func(db *DB) { setStr(db, "k", "abc"); db.Set([]byte("k"), []byte("42"), SetOptions{Get: true}) }, EncSharedInt},
		{"APPEND new int", func(db *DB) { db.Append([]byte("k"), []byte("123"), 1<<20) }, EncSharedInt},
		{"APPEND new string", func(db *DB) { db.Append([]byte("k"), []byte("abc"), 1<<20) }, EncEmbstr},
		{"APPEND existing", func(db *DB) { setStr(db, "k", "1"); db.Append([]byte("k"), []byte("2"), 1<<20) }, EncRaw},
		{"APPEND nothing", func(db *DB) { setStr(db, "k", "12"); db.Append([]byte("k"), nil, 1<<20) }, EncRaw},
		{"SETRANGE new", func(db *DB) { db.SetRange([]byte("k"), 0, []byte("12"), 1<<20) }, EncRaw},
		{"SETRANGE existing", func(db *DB) { setStr(db, "k", "123"); db.SetRange([]byte("k"), 0, []byte("4"), 1<<20) }, EncRaw},
		{"SETRANGE nothing", func(db *DB) { setStr(db, "k", "123"); db.SetRange([]byte("k"), 0, nil, 1<<20) }, EncSharedInt},
		{"INCR new", func(db *DB) { db.IncrBy([]byte("k"), 1) }, EncSharedInt},
		{"INCR to 10000", func(db *DB) { setStr(db, "k", "9999"); db.IncrBy([]byte("k"), 1) }, EncInt},
		{"DECR below 0", func(db *DB) { db.IncrBy([]byte("k"), -1) }, EncInt},
		{"INCR raw", func(db *DB) {
			db.Append([]byte("k"), []byte("5"), 1<<20)
			db.Append([]byte("k"), []byte("5"), 1<<20)
			db.IncrBy([]byte("k"), 1)
		}, EncSharedInt},
		{"INCRBYFLOAT int result", func(db *DB) { db.IncrByFloat([]byte("k"), []byte("1")) }, EncEmbstr},
		{"INCRBYFLOAT on int", func(db *DB) { setStr(db, "k", "10"); db.IncrByFloat([]byte("k"), []byte("0")) }, EncEmbstr},
		{"INCRBYFLOAT long", func(db *DB) { db.IncrByFloat([]byte("k"), []byte("1e50")) }, EncRaw},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, _ := testDB(t)
			tt.do(db)
			got, ok := encodingOf(db, "k")
			if !ok || got != tt.want {
				t.Errorf("encoding = %v (exists %v), want %v", got, ok, tt.want)
			}
		})
	}
}

func TestEncodingNames(t *testing.T) {
	for enc, want := range map[Encoding]string{EncRaw: "raw", EncEmbstr: "embstr", EncInt: "int", EncSharedInt: "int"} {
		if got := enc.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", enc, got, want)
		}
	}
}

func TestAppendLimit(t *testing.T) {
	db, _ := testDB(t)
	if n, err := db.Append([]byte("k"), []byte("hello"), 8); n != 5 || err != nil {
		t.Fatalf("Append = %d, %v; want 5, nil", n, err)
	}
	if n, err := db.Append([]byte("k"), []byte("abc"), 8); n != 8 || err != nil {
		t.Fatalf("Append to the limit = %d, %v; want 8, nil", n, err)
	}
	if _, err := db.Append([]byte("k"), []byte("x"), 8); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Append past the limit: err = %v, want ErrTooLarge", err)
	}
	if got := mustGet(t, db, "k"); got != "helloabc" {
		t.Errorf("value after refused Append = %q, want %q", got, "helloabc")
	}
	// Appending to a value grown in place keeps earlier bytes intact.
	for i := 0; i < 100; i++ {
		db.Append([]byte("g"), []byte(strconv.Itoa(i%10)), 1<<20)
	}
	want := bytes.Repeat([]byte("0123456789"), 10)
	if got := mustGet(t, db, "g"); got != string(want) {
		t.Errorf("after 100 appends = %q, want %q", got, want)
	}
}

func TestSetRange(t *testing.T) {
	tests := []struct {
		name    string
		initial string // "" with missing: no key
		missing bool
		offset  int64
		val     string
		maxLen  int64
		wantN   int
		wantErr error
		want    string // value afterwards; missing when wantMissing
		gone    bool
	}{
		{name: "create padded", missing: true, offset: 3, val: "ab", maxLen: 100, wantN: 5, want: "\x00\x00\x00ab"},
		{name: "overwrite", initial: "hello", offset: 1, val: "EL", maxLen: 100, wantN: 5, want: "hELlo"},
		{name: "extend", initial: "hello", offset: 4, val: "OOO", maxLen: 100, wantN: 7, want: "hellOOO"},
		{name: "gap", initial: "ab", offset: 4, val: "c", maxLen: 100, wantN: 5, want: "ab\x00\x00c"},
		{name: "empty on missing", missing: true, offset: 5, val: "", maxLen: 100, wantN: 0, gone: true},
		{name: "empty on existing", initial: "abc", offset: 50, val: "", maxLen: 10, wantN: 3, want: "abc"},
		{name: "empty huge offset", initial: "abc", offset: math.MaxInt64, val: "", maxLen: 10, wantN: 3, want: "abc"},
		{name: "to the limit", missing: true, offset: 8, val: "xy", maxLen: 10, wantN: 10, want: "\x00\x00\x00\x00\x00\x00\x00\x00xy"},
		{name: "past the limit", initial: "abc", offset: 9, val: "xy", maxLen: 10, wantErr: ErrTooLarge, want: "abc"},
		{name: "past the limit new", missing: true, offset: 9, val: "xy", maxLen: 10, wantErr: ErrTooLarge, gone: true},
		// offset+len would overflow int64 (CVE-2022-35977).
		{name: "overflowing offset", initial: "abc", offset: math.MaxInt64, val: "xy", maxLen: 512 << 20, wantErr: ErrTooLarge, want: "abc"},
		{name: "overflowing offset new", missing: true, offset: math.MaxInt64 - 1, val: "xy", maxLen: 512 << 20, wantErr: ErrTooLarge, gone: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, _ := testDB(t)
			if !tt.missing {
				setStr(db, "k", tt.initial)
			}
			n, err := db.SetRange([]byte("k"), tt.offset, []byte(tt.val), tt.maxLen)
			if n != tt.wantN || !errors.Is(err, tt.wantErr) {
				t.Fatalf("SetRange(%d, %q) = %d, %v; want %d, %v", tt.offset, tt.val, n, err, tt.wantN, tt.wantErr)
			}
			val, ok, _ := db.Get([]byte("k"))
			if ok == tt.gone || string(val) != tt.want {
				t.Errorf("value = %q (exists %v), want %q (exists %v)", val, ok, tt.want, !tt.gone)
			}
		})
	}
}

func TestGetRange(t *testing.T) {
	const s = "This is a string"
	tests := []struct {
		start, end int64
		want       string
	}{
		{0, 3, "This"},
		{-3, -1, "ing"},
		{0, -1, s},
		{10, 100, "string"},
		{5, 3, ""},
		{-1, -5, ""},
		{-100, -1, s},
		{-100, -99, "T"},
		{0, -100, "T"},
		{15, 15, "g"},
		{16, 16, ""},
		{3, -20, ""},
		{math.MinInt64, math.MaxInt64, s},
		{math.MaxInt64, math.MaxInt64, ""},
		{math.MinInt64, math.MinInt64, "T"},
	}
	db, _ := testDB(t)
	setStr(db, "k", s)
	setStr(db, "empty", "")
	for _, tt := range tests {
		got, err := db.GetRange([]byte("k"), tt.start, tt.end)
		if err != nil || string(got) != tt.want {
			t.Errorf("GetRange(%d, %d) = %q, %v; want %q", tt.start, tt.end, got, err, tt.want)
		}
	}
	for _, key := range []string{"empty", "missing"} {
		if got, err := db.GetRange([]byte(key), 0, -1); got == nil || len(got) != 0 || err != nil {
			t.Errorf("GetRange(%s) = %q, %v; want an empty non-nil slice", key, got, err)
		}
	}
}

func TestIncrBy(t *testing.T) {
	tests := []struct {
		name    string
		initial *string
		delta   int64
		want    int64
		wantErr error
	}{
		{name: "missing", delta: 5, want: 5},
		{name: "existing", initial: ptr("10"), delta: -3, want: 7},
		{name: "to max", initial: ptr("9223372036854775806"), delta: 1, want: math.MaxInt64},
		{name: "past max", initial: ptr("9223372036854775807"), delta: 1, wantErr: ErrOverflow},
		{name: "past min", initial: ptr("-9223372036854775808"), delta: -1, wantErr: ErrOverflow},
		{name: "to min", initial: ptr("-1"), delta: math.MinInt64 + 1, want: math.MinInt64},
		{name: "big opposite signs", initial: ptr("9223372036854775807"), delta: math.MinInt64, want: -1},
		{name: "not integer", initial: ptr("abc"), delta: 1, wantErr: ErrNotInteger},
		{name: "spaces", initial: ptr(" 1"), delta: 1, wantErr: ErrNotInteger},
		{name: "float", initial: ptr("1.0"), delta: 1, wantErr: ErrNotInteger},
		{name: "too big", initial: ptr("9223372036854775808"), delta: 1, wantErr: ErrNotInteger},
		{name: "empty", initial: ptr(""), delta: 1, wantErr: ErrNotInteger},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, _ := testDB(t)
			if tt.initial != nil {
				setStr(db, "k", *tt.initial)
			}
			got, err := db.IncrBy([]byte("k"), tt.delta)
			if got != tt.want || !errors.Is(err, tt.wantErr) {
				t.Fatalf("IncrBy(%d) = %d, %v; want %d, %v", tt.delta, got, err, tt.want, tt.wantErr)
			}
			if err == nil {
				if v := mustGet(t, db, "k"); v != strconv.FormatInt(tt.want, 10) {
					t.Errorf("value = %q, want %d", v, tt.want)
				}
			} else if tt.initial != nil && mustGet(t, db, "k") != *tt.initial {
				t.Errorf("a failed IncrBy changed the value")
			}
		})
	}
}

func ptr(s string) *string { return &s }

func TestIncrByFloat(t *testing.T) {
	tests := []struct {
		initial *string
		incr    string
		want    string
		wantErr error
	}{
		{ptr("10.5"), "0.1", "10.6", nil}, // float64 would print 10.59999999999999964
		{nil, "0.1", "0.1", nil},
		{ptr("5"), "1.5", "6.5", nil},
		{ptr("1"), "-1", "0", nil},
		{nil, "-1e-20", "0", nil},
		{ptr("abc"), "1", "", ErrNotFloat},
		{ptr("1"), "abc", "", ErrNotFloat},
		{ptr("1"), "inf", "", ErrNaNOrInf},
		{ptr("1e4932"), "1e4932", "", ErrNaNOrInf},
		{ptr("-9223372036854775808"), "-1", "-9223372036854775809", nil},
	}
	for _, tt := range tests {
		db, _ := testDB(t)
		if tt.initial != nil {
			setStr(db, "k", *tt.initial)
		}
		got, err := db.IncrByFloat([]byte("k"), []byte(tt.incr))
		if string(got) != tt.want || !errors.Is(err, tt.wantErr) {
			t.Errorf("IncrByFloat(%v, %q) = %q, %v; want %q, %v", tt.initial, tt.incr, got, err, tt.want, tt.wantErr)
		}
	}
}

// TestDeadlines checks which writers keep a key's deadline and which clear
// it.
func TestDeadlines(t *testing.T) {
	tests := []struct {
		name string
		do   func(db *DB)
		keep bool
	}{
		{"SET", func(db *DB) { setStr(db, "k", "5") }, false},
		{"SET KEEPTTL", func(db *DB) { db.Set([]byte("k"), []byte("6"), SetOptions{KeepTTL: true}) }, true},
		{"SET XX GET", func(db *DB) { db.Set([]byte("k"), []byte("6"), SetOptions{XX: true, Get: true}) }, false},
		{"SET NX refused", func(db *DB) { db.Set([]byte("k"), []byte("6"), SetOptions{NX: true}) }, true},
		{"GETSET", func(db *DB) { db.Set([]byte("k"), []byte("6"), SetOptions{Get: true}) }, false},
		{"MSET", func(db *DB) { db.MSet([][]byte{[]byte("k"), []byte("6")}) }, false},
		{"INCR", func(db *DB) { db.IncrBy([]byte("k"), 1) }, true},
		{"INCR to a large value", func(db *DB) { db.IncrBy([]byte("k"), 1<<40) }, true},
		{"INCRBYFLOAT", func(db *DB) { db.IncrByFloat([]byte("k"), []byte("1.5")) }, true},
		{"APPEND", func(db *DB) { db.Append([]byte("k"), []byte("x"), 1<<20) }, true},
		{"SETRANGE", func(db *DB) { db.SetRange([]byte("k"), 10, []byte("x"), 1<<20) }, true},
		{"GETEX", func(db *DB) { db.GetEx([]byte("k"), GetExOptions{}) }, true},
		{"GETEX PERSIST", func(db *DB) { db.GetEx([]byte("k"), GetExOptions{Persist: true}) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, clk := testDB(t)
			at := clk.Now().UnixMilli() + 1000
			db.Set([]byte("k"), []byte("41"), SetOptions{At: at})
			tt.do(db)
			e := db.keys.find([]byte("k"))
			if got := deadline(db, e); (got == at) != tt.keep || (!tt.keep && got != -1) {
				t.Errorf("deadline = %d, want kept: %v (%d)", got, tt.keep, at)
			}
			clk.Advance(1001 * time.Millisecond)
			if _, ok, _ := db.Get([]byte("k")); ok == tt.keep {
				t.Errorf("after the deadline the key exists: %v, want %v", ok, !tt.keep)
			}
		})
	}
}

func TestGetEx(t *testing.T) {
	db, clk := testDB(t)
	now := clk.Now().UnixMilli()
	setStr(db, "k", "v")

	// A relative deadline is set.
	if val, ok, err := db.GetEx([]byte("k"), GetExOptions{At: now + 500}); string(val) != "v" || !ok || err != nil {
		t.Fatalf("GetEx = %q, %v, %v", val, ok, err)
	}
	if got := deadline(db, db.keys.find([]byte("k"))); got != now+500 {
		t.Errorf("deadline = %d, want %d", got, now+500)
	}
	// An absolute deadline now or in the past deletes the key, still
	// returning its value.
	if val, ok, _ := db.GetEx([]byte("k"), GetExOptions{At: now, Absolute: true}); string(val) != "v" || !ok {
		t.Fatalf("GetEx past = %q, %v", val, ok)
	}
	if db.keys.find([]byte("k")) != nil {
		t.Errorf("GetEx with a past EXAT left the key")
	}
	// A relative one never deletes (its deadline is always ahead).
	setStr(db, "k", "v")
	db.GetEx([]byte("k"), GetExOptions{At: now + 1, Absolute: true})
	if db.keys.find([]byte("k")) == nil {
		t.Errorf("GetEx with a future PXAT deleted the key")
	}
	if _, ok, err := db.GetEx([]byte("missing"), GetExOptions{Persist: true}); ok || err != nil {
		t.Errorf("GetEx(missing) = %v, %v", ok, err)
	}
}

func TestGetDel(t *testing.T) {
	db, _ := testDB(t)
	setStr(db, "k", "value")
	val, ok, err := db.GetDel([]byte("k"))
	if string(val) != "value" || !ok || err != nil {
		t.Fatalf("GetDel = %q, %v, %v", val, ok, err)
	}
	if _, ok, _ := db.Get([]byte("k")); ok {
		t.Errorf("key exists after GetDel")
	}
	if _, ok, _ := db.GetDel([]byte("k")); ok {
		t.Errorf("second GetDel found the key")
	}
}

func TestMSetNX(t *testing.T) {
	db, _ := testDB(t)
	// The same key twice (CVE-2023-28425): the last value wins.
	if !db.MSetNX([][]byte{[]byte("d"), []byte("1"), []byte("d"), []byte("2")}) {
		t.Fatal("MSetNX of new keys refused")
	}
	if got := mustGet(t, db, "d"); got != "2" {
		t.Errorf("d = %q, want 2", got)
	}
	if db.MSetNX([][]byte{[]byte("e"), []byte("1"), []byte("d"), []byte("3")}) {
		t.Fatal("MSetNX with an existing key succeeded")
	}
	if _, ok, _ := db.Get([]byte("e")); ok {
		t.Errorf("refused MSetNX created a key")
	}
}

func TestMGet(t *testing.T) {
	db, _ := testDB(t)
	setStr(db, "a", "1")
	setStr(db, "b", "")
	var got []string
	db.MGet([][]byte{[]byte("a"), []byte("missing"), []byte("b")}, func(val []byte, ok bool) {
		if !ok {
			got = append(got, "(nil)")
			return
		}
		got = append(got, strconv.Quote(string(val)))
	})
	if want := `"1" (nil) ""`; joinStrings(got) != want {
		t.Errorf("MGet = %s, want %s", joinStrings(got), want)
	}
}

func joinStrings(s []string) string {
	var b bytes.Buffer
	for i, x := range s {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(x)
	}
	return b.String()
}

// TestNoAllocs checks that rewriting existing keys allocates nothing: MSET
// and SET of values that fit in place, INCR, GET and MGET.
func TestNoAllocs(t *testing.T) {
	db, _ := testDB(t)
	pairs := make([][]byte, 0, 20)
	keys := make([][]byte, 0, 10)
	for i := 0; i < 10; i++ {
		k := []byte("key:" + strconv.Itoa(i))
		pairs = append(pairs, k, []byte("value-"+strconv.Itoa(i)))
		keys = append(keys, k)
	}
	db.MSet(pairs)
	setStr(db, "n", "100000")
	// Keys come from the command's arguments, which already live on the
	// heap; the change log keeps a reference to them.
	n := []byte("n")
	sink := 0
	tests := map[string]func(){
		"MSET":   func() { db.MSet(pairs) },
		"MSETNX": func() { db.MSetNX(pairs) },
		"SET":    func() { db.Set(keys[0], pairs[1], SetOptions{}) },
		"GET":    func() { v, _, _ := db.Get(keys[0]); sink += len(v) },
		"MGET":   func() { db.MGet(keys, func(v []byte, ok bool) { sink += len(v) }) },
		"INCR":   func() { db.IncrBy(n, 1) },
		"STRLEN": func() { n, _ := db.StrLen(keys[0]); sink += n },
	}
	for name, f := range tests {
		// Each call is a step of the transaction, as each command is.
		step := func() { f(); db.st.tx.Commit() }
		if n := testing.AllocsPerRun(100, step); n != 0 {
			t.Errorf("%s allocates %v times per call, want 0", name, n)
		}
	}
}

func BenchmarkSet(b *testing.B) {
	for _, size := range []int{16, 1024} {
		b.Run("size="+strconv.Itoa(size), func(b *testing.B) {
			db, _ := testDB(b)
			key, val := []byte("key"), bytes.Repeat([]byte("v"), size)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				db.st.tx.Commit() // one step per command, as the dispatcher does
				db.Set(key, val, SetOptions{})
			}
		})
	}
}

func BenchmarkIncr(b *testing.B) {
	db, _ := testDB(b)
	key := []byte("counter")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		db.st.tx.Commit() // one step per command, as the dispatcher does
		db.IncrBy(key, 1)
	}
}

func BenchmarkIncrByFloat(b *testing.B) {
	// short: 10.5 + 0.1 each time, the fast path; accumulate: a growing
	// sum whose text soon needs the exact big-number path.
	b.Run("short", func(b *testing.B) {
		db, _ := testDB(b)
		key, start, incr := []byte("f"), []byte("10.5"), []byte("0.1")
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			db.st.tx.Commit() // one step per command, as the dispatcher does
			db.Set(key, start, SetOptions{})
			db.IncrByFloat(key, incr)
		}
	})
	b.Run("accumulate", func(b *testing.B) {
		db, _ := testDB(b)
		key, incr := []byte("f"), []byte("0.1")
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			db.st.tx.Commit() // one step per command, as the dispatcher does
			db.IncrByFloat(key, incr)
		}
	})
}

func BenchmarkMSet(b *testing.B) {
	db, _ := testDB(b)
	var pairs [][]byte
	for i := 0; i < 10; i++ {
		pairs = append(pairs, []byte("key:"+strconv.Itoa(i)), []byte("value"))
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		db.st.tx.Commit() // one step per command, as the dispatcher does
		db.MSet(pairs)
	}
}

func BenchmarkMGet(b *testing.B) {
	db, _ := testDB(b)
	var keys [][]byte
	for i := 0; i < 10; i++ {
		keys = append(keys, []byte("key:"+strconv.Itoa(i)))
		setStr(db, "key:"+strconv.Itoa(i), "value")
	}
	n := 0
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		db.st.tx.Commit() // one step per command, as the dispatcher does
		db.MGet(keys, func(v []byte, ok bool) { n += len(v) })
	}
}

func BenchmarkLCS(b *testing.B) {
	for _, size := range []int{100, 2000} {
		b.Run("size="+strconv.Itoa(size), func(b *testing.B) {
			x := bytes.Repeat([]byte("abcde"), size/5)
			y := bytes.Repeat([]byte("aebdc"), size/5)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				LCS(x, y, true)
			}
		})
	}
}

// TestEmptyValues runs the writers on empty values and keys, where an
// entry's buffer ends right after the key: under -race, checkptr catches
// any pointer computed past it.
func TestEmptyStringValues(t *testing.T) {
	for _, key := range []string{"", "k", "12345678"} {
		db, _ := testDB(t)
		k := []byte(key)
		setStr(db, key, "")
		if got := mustGet(t, db, key); got != "" {
			t.Fatalf("Get(%q) = %q", key, got)
		}
		setStr(db, key, "")
		db.Append(k, nil, 1<<20)
		db.SetRange(k, 0, nil, 1<<20)
		db.GetRange(k, 0, -1)
		db.SetRange(k, 2, []byte("x"), 1<<20)
		if got := mustGet(t, db, key); got != "\x00\x00x" {
			t.Errorf("after SetRange: %q", got)
		}
		db.Set(k, nil, SetOptions{Get: true})
		db.SetRange([]byte(key+"new"), 0, []byte("ab"), 1<<20)
		db.Append([]byte(key+"app"), nil, 1<<20)
		db.Append([]byte(key+"app"), []byte("z"), 1<<20)
		if got := mustGet(t, db, key+"app"); got != "z" {
			t.Errorf("after Append: %q", got)
		}
	}
}

// deadline returns e's deadline in Unix ms, or -1 if it has none.
func deadline(db *DB, e *entry) int64 {
	if at, ok := db.expiry(e); ok {
		return at
	}
	return -1
}

// TestSetAdoptsFrame checks that SET keeps a big value in the allocation
// the reader made for it, with the key in the free bytes before it, instead
// of copying it; and that the value then behaves as any other.
func TestSetAdoptsFrame(t *testing.T) {
	const headroom = 64
	frameOf := func(val string) ([]byte, []byte) {
		f := make([]byte, headroom+len(val))
		copy(f[headroom:], val)
		return f, f[headroom:]
	}
	big := strings.Repeat("v", 100_000)

	db, clk := testDB(t)
	frame, val := frameOf(big)
	if _, err := db.Set([]byte("k"), val, SetOptions{Frame: frame, At: clk.Now().UnixMilli() + 60_000}); err != nil {
		t.Fatal(err)
	}
	got, ok, _ := db.Get([]byte("k"))
	if !ok || string(got) != big {
		t.Fatalf("Get after an adopting SET = %d bytes, %v", len(got), ok)
	}
	if &got[0] != &val[0] {
		t.Error("SET copied a value it was handed over")
	}
	if enc, _ := encodingOf(db, "k"); enc != EncRaw {
		t.Errorf("encoding = %v, want raw", enc)
	}
	if _, volatile, _ := db.Deadline([]byte("k"), NoTouch); !volatile {
		t.Error("SET … PX with a frame lost its deadline")
	}
	// KEEPTTL over an existing key keeps the deadline.
	frame2, val2 := frameOf(big + "2")
	db.Set([]byte("k"), val2, SetOptions{Frame: frame2, KeepTTL: true})
	if _, volatile, _ := db.Deadline([]byte("k"), NoTouch); !volatile {
		t.Error("SET KEEPTTL with a frame dropped the deadline")
	}
	if db.Len() != 1 {
		t.Errorf("Len = %d after overwriting, want 1", db.Len())
	}
	// The adopted value grows and is rewritten like any other.
	if n, err := db.Append([]byte("k"), []byte("xyz"), 1<<30); err != nil || n != len(big)+4 {
		t.Fatalf("Append = %d, %v", n, err)
	}
	if got := mustGet(t, db, "k"); got != big+"2xyz" {
		t.Errorf("value after APPEND ends %q", got[len(got)-8:])
	}
	// A key longer than the free bytes is stored by copying.
	long := strings.Repeat("K", headroom+1)
	frame3, val3 := frameOf(big)
	db.Set([]byte(long), val3, SetOptions{Frame: frame3})
	got, _, _ = db.Get([]byte(long))
	if string(got) != big || &got[0] == &val3[0] {
		t.Error("a key that does not fit in front of the value was not stored by copying")
	}
}

// TestReadsShareLongValues checks that every read returning a value of
// ShareMin bytes or more leaves it unchanged through every later write of
// the key, as a reply written after the transaction needs, and that shorter
// values are not shared (their next write is in place).
func TestReadsShareLongValues(t *testing.T) {
	long := strings.Repeat("v", ShareMin)
	reads := map[string]func(db *DB) []byte{
		"Get": func(db *DB) []byte { v, _, _ := db.Get([]byte("k")); return v },
		"GetEx": func(db *DB) []byte {
			v, _, _ := db.GetEx([]byte("k"), GetExOptions{Persist: true})
			return v
		},
		"MGet": func(db *DB) (v []byte) {
			db.MGet([][]byte{[]byte("k")}, func(val []byte, ok bool) { v = val })
			return v
		},
		"GetRange": func(db *DB) []byte { v, _ := db.GetRange([]byte("k"), 0, -1); return v },
		"Set GET": func(db *DB) []byte {
			res, _ := db.Set([]byte("k"), []byte(long), SetOptions{Get: true})
			return res.Old
		},
	}
	writes := map[string]func(db *DB){
		"SET same size": func(db *DB) { setStr(db, "k", strings.Repeat("w", ShareMin)) },
		"SET shorter":   func(db *DB) { setStr(db, "k", "w") },
		"APPEND":        func(db *DB) { db.Append([]byte("k"), []byte("w"), math.MaxInt64) },
		"SETRANGE":      func(db *DB) { db.SetRange([]byte("k"), 0, []byte("www"), math.MaxInt64) },
		"INCRBYFLOAT":   func(db *DB) { setStr(db, "k", "1"); db.IncrByFloat([]byte("k"), []byte("1")) },
	}
	for rname, read := range reads {
		for wname, write := range writes {
			t.Run(rname+"/"+wname, func(t *testing.T) {
				db, _ := testDB(t)
				setStr(db, "k", long)
				db.Append([]byte("k"), nil, math.MaxInt64) // leave spare capacity: writes could go in place
				got := read(db)
				if len(got) != len(long) {
					t.Fatalf("read %d bytes, want %d", len(got), len(long))
				}
				write(db)
				write(db)
				if string(got) != long {
					t.Errorf("the value read changed after %s", wname)
				}
			})
		}
	}
	t.Run("short values are lent", func(t *testing.T) {
		db, _ := testDB(t)
		short := strings.Repeat("s", ShareMin-1)
		setStr(db, "k", short)
		db.Get([]byte("k"))
		if e := db.keys.find([]byte("k")); e.shared() {
			t.Error("Get shared a value shorter than ShareMin")
		}
		res, _ := db.Set([]byte("k"), []byte("x"), SetOptions{Get: true})
		if string(res.Old) != short {
			t.Errorf("SET GET of a short value = %q…", res.Old[:8])
		}
	})
}
