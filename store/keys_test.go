package store

import (
	"fmt"
	"math"
	"slices"
	"testing"
	"time"
	"unsafe"
)

// start is the ManualClock's time in the tests below, in Unix ms.
const start = 1_700_000_000_000

// newTestStore returns a store on a manual clock with a transaction open
// for the whole test; moving the clock starts a new step, so that the
// transaction's "now" follows it.
func newTestStore(t *testing.T) (*Store, stepClock) {
	t.Helper()
	clk := NewManualClock(time.UnixMilli(start))
	st := New(Options{Clock: clk, Databases: 4})
	tx := st.Begin(TxOptions{AllDBs: true})
	t.Cleanup(tx.End)
	return st, stepClock{clk, st}
}

// stepClock is a ManualClock whose moves end the open transaction's step.
type stepClock struct {
	*ManualClock
	st *Store
}

func (c stepClock) Advance(d time.Duration) {
	c.ManualClock.Advance(d)
	if c.st.tx != nil {
		c.st.tx.Commit()
	}
}

// set stores a string; at > 0 gives it that deadline (Unix ms).
func set(t *testing.T, db *DB, key, val string, at int64) {
	t.Helper()
	if _, err := db.Set([]byte(key), []byte(val), SetOptions{At: at}); err != nil {
		t.Fatalf("Set(%q) = %v", key, err)
	}
}

func get(db *DB, key string) (string, bool) {
	v, ok, err := db.PeekString([]byte(key))
	if err != nil {
		return "error: " + err.Error(), false
	}
	return string(v), ok
}

func deadlineOf(db *DB, key string) (int64, bool) {
	at, volatile, _ := db.Deadline([]byte(key), NoTouch|NoStats)
	return at, volatile
}

func bkeys(keys ...string) [][]byte {
	out := make([][]byte, len(keys))
	for i, k := range keys {
		out[i] = []byte(k)
	}
	return out
}

func strs(keys [][]byte) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = string(k)
	}
	slices.Sort(out)
	return out
}

// fakeList is a compound value standing in for the collection types, so
// RENAME and COPY of non-string entries can be tested before they exist.
type fakeList struct{ items []string }

func (l *fakeList) clone() any { return &fakeList{items: slices.Clone(l.items)} }

func insertList(db *DB, key string, items ...string) {
	e := &entry{meta: uint32(TypeList), klen: uint32(len(key))}
	e.setLRU(db.st.LRUClock())
	e.p = unsafe.Pointer(&compound{key: []byte(key), val: &fakeList{items: items}})
	db.keys.insert(e)
}

func listOf(t *testing.T, db *DB, key string) *fakeList {
	t.Helper()
	e := db.keys.find([]byte(key))
	if e == nil || e.typ() != TypeList {
		t.Fatalf("%q is not a list", key)
	}
	return (*compound)(e.p).val.(*fakeList)
}

func TestCountsAndDuplicates(t *testing.T) {
	s, _ := newTestStore(t)
	db := s.DB(0)
	set(t, db, "a", "1", 0)
	set(t, db, "b", "2", 0)
	if got := db.CountExisting(bkeys("a", "a", "b", "nokey")); got != 3 {
		t.Errorf("CountExisting(a a b nokey) = %d, want 3", got)
	}
	if db.st.hits != 3 || db.st.misses != 1 {
		t.Errorf("after EXISTS hits, misses = %d, %d, want 3, 1", db.st.hits, db.st.misses)
	}
	if got := db.Touch(bkeys("a", "nokey", "a")); got != 2 {
		t.Errorf("Touch(a nokey a) = %d, want 2", got)
	}
	if got := db.DeleteKeys(bkeys("a", "a", "nokey", "b")); got != 2 {
		t.Errorf("DeleteKeys(a a nokey b) = %d, want 2", got)
	}
	if db.st.hits != 5 || db.st.misses != 2 {
		t.Errorf("after TOUCH and DEL hits, misses = %d, %d, want 5, 2 (DEL counts nothing)", db.st.hits, db.st.misses)
	}
	if db.Len() != 0 {
		t.Errorf("Len = %d after deleting everything", db.Len())
	}
}

func TestLookupsTouchAsRedis(t *testing.T) {
	s, clk := newTestStore(t)
	db := s.DB(0)
	set(t, db, "k", "v", 0)
	idle := func() int64 {
		info, ok := db.Object([]byte("k"))
		if !ok {
			t.Fatal("Object(k) found nothing")
		}
		return info.Idle
	}
	clk.Advance(100 * time.Second)
	s.Tick()
	// Reads that must leave the access time alone.
	db.CountExisting(bkeys("k"))
	db.TypeOf([]byte("k"))
	db.Deadline([]byte("k"), NoTouch)
	db.PeekString([]byte("k"))
	db.Keys(nil, []byte("*"))
	db.Scan(nil, 0, ScanOptions{FilterType: true, Type: TypeString})
	db.RandomKey()
	if got := idle(); got != 100 {
		t.Fatalf("idle after non-touching reads = %d, want 100", got)
	}
	db.Touch(bkeys("k"))
	if got := idle(); got != 0 {
		t.Fatalf("idle after TOUCH = %d, want 0", got)
	}
	clk.Advance(5 * time.Second)
	s.Tick()
	db.Persist([]byte("k")) // a write lookup touches
	if got := idle(); got != 0 {
		t.Fatalf("idle after PERSIST = %d, want 0", got)
	}
}

func TestObject(t *testing.T) {
	s, _ := newTestStore(t)
	db := s.DB(0)
	tests := []struct {
		val      string
		enc      Encoding
		refcount int64
	}{
		{"0", EncSharedInt, math.MaxInt32},
		{"9999", EncSharedInt, math.MaxInt32},
		{"10000", EncInt, 1},
		{"-1", EncInt, 1},
		{"01", EncEmbstr, 1},
		{"hello", EncEmbstr, 1},
		{string(make([]byte, 45)), EncRaw, 1},
	}
	for _, tt := range tests {
		set(t, db, "k", tt.val, 0)
		info, ok := db.Object([]byte("k"))
		if !ok || info.Type != TypeString || info.Encoding != tt.enc || info.RefCount != tt.refcount {
			t.Errorf("Object(%q) = %+v, %v; want string, %v, refcount %d", tt.val, info, ok, tt.enc, tt.refcount)
		}
	}
	if _, ok := db.Object([]byte("nokey")); ok {
		t.Error("Object(nokey) found a key")
	}
	if db.st.misses != 1 {
		t.Errorf("misses = %d, want 1: OBJECT counts, as in Redis 7.0", db.st.misses)
	}
}

// TestObjectIdleWraps checks the idle time across a wrap of the access
// clock, which Redis's estimateObjectIdleTime handles.
func TestObjectIdleWraps(t *testing.T) {
	s, _ := newTestStore(t)
	db := s.DB(0)
	set(t, db, "k", "v", 0)
	now := int64(s.LRUClock())
	db.keys.find([]byte("k")).setLRU(uint32(lruMax - 10))
	info, _ := db.Object([]byte("k"))
	if want := now + 10; info.Idle != want {
		t.Fatalf("idle across the wrap = %d, want %d", info.Idle, want)
	}
}

func TestRename(t *testing.T) {
	tests := []struct {
		name      string
		src, dst  string
		nx        bool
		srcTTL    int64 // deadline of src, 0 for none
		dstExists bool
		dstTTL    int64
		wantOK    bool
		wantErr   error
		wantVal   string // value at dst afterwards
		wantTTL   int64  // deadline of dst afterwards, 0 for none
	}{
		{name: "plain", src: "a", dst: "b", wantOK: true, wantVal: "from-a"},
		{name: "keeps deadline", src: "a", dst: "b", srcTTL: start + 5000, wantOK: true, wantVal: "from-a", wantTTL: start + 5000},
		{name: "drops destination deadline", src: "a", dst: "b", dstExists: true, dstTTL: start + 9000, wantOK: true, wantVal: "from-a"},
		{name: "overwrites", src: "a", dst: "b", dstExists: true, wantOK: true, wantVal: "from-a"},
		{name: "nx refuses", src: "a", dst: "b", nx: true, dstExists: true, dstTTL: start + 9000, wantVal: "from-b", wantTTL: start + 9000},
		{name: "nx to free name", src: "a", dst: "b", nx: true, srcTTL: start + 5000, wantOK: true, wantVal: "from-a", wantTTL: start + 5000},
		{name: "nx over expired", src: "a", dst: "b", nx: true, dstExists: true, dstTTL: start - 1, wantOK: true, wantVal: "from-a"},
		{name: "same key", src: "a", dst: "a", srcTTL: start + 5000, wantOK: true, wantVal: "from-a", wantTTL: start + 5000},
		{name: "same key nx", src: "a", dst: "a", nx: true, wantVal: "from-a"},
		{name: "no source", src: "nokey", dst: "b", wantErr: ErrNoSuchKey},
		{name: "expired source", src: "a", dst: "b", srcTTL: start - 1, wantErr: ErrNoSuchKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestStore(t)
			db := s.DB(0)
			set(t, db, "a", "from-a", tt.srcTTL)
			if tt.dstExists {
				set(t, db, "b", "from-b", tt.dstTTL)
			}
			ok, err := db.Rename([]byte(tt.src), []byte(tt.dst), tt.nx)
			if ok != tt.wantOK || err != tt.wantErr {
				t.Fatalf("Rename = %v, %v; want %v, %v", ok, err, tt.wantOK, tt.wantErr)
			}
			if tt.wantErr != nil {
				return
			}
			if v, _ := get(db, tt.dst); v != tt.wantVal {
				t.Errorf("value at %q = %q, want %q", tt.dst, v, tt.wantVal)
			}
			if at, _ := deadlineOf(db, tt.dst); at != tt.wantTTL {
				t.Errorf("deadline of %q = %d, want %d", tt.dst, at, tt.wantTTL)
			}
			if tt.wantOK && tt.src != tt.dst {
				if _, ok := get(db, tt.src); ok {
					t.Errorf("%q still exists", tt.src)
				}
			}
			if n := db.Volatile(); n != len(db.expires) || n > 1 {
				t.Errorf("Volatile = %d, expires index holds %d", n, len(db.expires))
			}
		})
	}
}

func TestRenameKeepsEncodingAndAccessTime(t *testing.T) {
	s, clk := newTestStore(t)
	db := s.DB(0)
	set(t, db, "n", "42", 0)
	clk.Advance(30 * time.Second)
	s.Tick()
	// With lookups not touching (CLIENT NO-TOUCH), the renamed value keeps
	// its access time, as Redis's object does.
	s.tx.SetNoTouch(true)
	if _, err := db.Rename([]byte("n"), []byte("m"), false); err != nil {
		t.Fatal(err)
	}
	s.tx.SetNoTouch(false)
	info, _ := db.Object([]byte("m"))
	if info.Encoding != EncSharedInt || info.Idle != 30 {
		t.Errorf("after RENAME: %+v, want a shared int idle for 30s", info)
	}
	// Otherwise RENAME's write lookup touches it.
	if _, err := db.Rename([]byte("m"), []byte("n"), false); err != nil {
		t.Fatal(err)
	}
	if info, _ := db.Object([]byte("n")); info.Idle != 0 {
		t.Errorf("idle after RENAME = %d, want 0", info.Idle)
	}
}

func TestRenameCompound(t *testing.T) {
	s, _ := newTestStore(t)
	db := s.DB(0)
	insertList(db, "l", "x", "y")
	if _, err := db.Rename([]byte("l"), []byte("m"), false); err != nil {
		t.Fatal(err)
	}
	if got := listOf(t, db, "m").items; !slices.Equal(got, []string{"x", "y"}) {
		t.Errorf("renamed list = %q", got)
	}
	if db.keys.find([]byte("l")) != nil {
		t.Error("old name still present")
	}
	if string(db.keys.find([]byte("m")).key()) != "m" {
		t.Error("renamed entry does not carry its new key")
	}
}

func TestCopy(t *testing.T) {
	s, clk := newTestStore(t)
	db, other := s.DB(0), s.DB(1)
	set(t, db, "src", "7", start+5000)
	clk.Advance(20 * time.Second)
	s.Tick()

	if _, err := db.Copy([]byte("src"), db, []byte("src"), true); err != ErrSameObject {
		t.Fatalf("Copy to itself = %v, want ErrSameObject", err)
	}
	// The deadline has passed now: the source is gone.
	if ok, err := db.Copy([]byte("src"), db, []byte("dst"), false); ok || err != nil {
		t.Fatalf("Copy of an expired key = %v, %v", ok, err)
	}

	set(t, db, "src", "7", start+60000)
	ok, err := db.Copy([]byte("src"), other, []byte("dst"), false)
	if !ok || err != nil {
		t.Fatalf("Copy across databases = %v, %v", ok, err)
	}
	if v, _ := get(other, "dst"); v != "7" {
		t.Errorf("copied value = %q", v)
	}
	if at, _ := deadlineOf(other, "dst"); at != start+60000 {
		t.Errorf("copied deadline = %d", at)
	}
	info, _ := other.Object([]byte("dst"))
	if info.Encoding != EncInt || info.RefCount != 1 {
		t.Errorf("copy of a shared integer: %+v, want a plain int", info)
	}

	// An existing destination blocks the copy unless replace.
	set(t, db, "src", "new", 0)
	if ok, _ := db.Copy([]byte("src"), other, []byte("dst"), false); ok {
		t.Error("Copy over an existing key without replace succeeded")
	}
	if ok, _ := db.Copy([]byte("src"), other, []byte("dst"), true); !ok {
		t.Error("Copy with replace failed")
	}
	if v, _ := get(other, "dst"); v != "new" {
		t.Errorf("replaced value = %q", v)
	}
	if _, volatile := deadlineOf(other, "dst"); volatile {
		t.Error("replace kept the destination's deadline")
	}
	// The copy shares no memory with its source.
	set(t, db, "src", "changed", 0)
	if v, _ := get(other, "dst"); v != "new" {
		t.Errorf("copy changed with its source: %q", v)
	}
}

func TestCopyEncodingsAndCompound(t *testing.T) {
	s, _ := newTestStore(t)
	db := s.DB(0)
	long := string(make([]byte, 50))
	set(t, db, "raw", long, 0)
	set(t, db, "emb", "abc", 0)
	for _, k := range []string{"raw", "emb"} {
		if ok, err := db.Copy([]byte(k), db, []byte(k+"2"), false); !ok || err != nil {
			t.Fatalf("Copy(%s) = %v, %v", k, ok, err)
		}
		a, _ := db.Object([]byte(k))
		b, _ := db.Object([]byte(k + "2"))
		if a.Encoding != b.Encoding {
			t.Errorf("copy of %s has encoding %v, want %v", k, b.Encoding, a.Encoding)
		}
	}

	insertList(db, "l", "x")
	if ok, _ := db.Copy([]byte("l"), db, []byte("l2"), false); !ok {
		t.Fatal("Copy of a list failed")
	}
	listOf(t, db, "l").items[0] = "changed"
	if got := listOf(t, db, "l2").items; !slices.Equal(got, []string{"x"}) {
		t.Errorf("copied list = %q, want an independent [x]", got)
	}
}

func TestMove(t *testing.T) {
	s, _ := newTestStore(t)
	db, other := s.DB(0), s.DB(2)
	set(t, db, "k", "1", start+5000)
	if _, err := db.Move([]byte("k"), db); err != ErrSameObject {
		t.Fatalf("Move to the same database = %v, want ErrSameObject", err)
	}
	if ok, err := db.Move([]byte("k"), other); !ok || err != nil {
		t.Fatalf("Move = %v, %v", ok, err)
	}
	if _, ok := get(db, "k"); ok {
		t.Error("moved key still in the source database")
	}
	if v, _ := get(other, "k"); v != "1" {
		t.Errorf("moved value = %q", v)
	}
	if at, _ := deadlineOf(other, "k"); at != start+5000 {
		t.Errorf("moved deadline = %d", at)
	}
	if db.Volatile() != 0 || other.Volatile() != 1 {
		t.Errorf("volatile counts = %d, %d; want 0, 1", db.Volatile(), other.Volatile())
	}
	info, _ := other.Object([]byte("k"))
	if info.Encoding != EncSharedInt {
		t.Errorf("moved value encoding = %v, want it kept", info.Encoding)
	}
	set(t, db, "k", "2", 0)
	if ok, _ := db.Move([]byte("k"), other); ok {
		t.Error("Move onto an existing key succeeded")
	}
	if ok, _ := db.Move([]byte("nokey"), other); ok {
		t.Error("Move of a missing key succeeded")
	}
}

func TestExpireConditions(t *testing.T) {
	const (
		none  = 0
		early = start + 1000
		late  = start + 9000
	)
	tests := []struct {
		current int64 // deadline before, none for a persistent key
		at      int64
		flags   ExpireFlags
		want    bool
	}{
		{none, late, 0, true},
		{early, late, 0, true},
		{none, late, ExpireNX, true},
		{early, late, ExpireNX, false},
		{none, late, ExpireXX, false},
		{early, late, ExpireXX, true},
		// GT: a persistent key expires never, so nothing is greater.
		{none, late, ExpireGT, false},
		{early, late, ExpireGT, true},
		{late, early, ExpireGT, false},
		{late, late, ExpireGT, false},
		// LT: anything is less than never.
		{none, late, ExpireLT, true},
		{late, early, ExpireLT, true},
		{early, late, ExpireLT, false},
		{early, early, ExpireLT, false},
		{none, late, ExpireXX | ExpireLT, false},
		{late, early, ExpireXX | ExpireLT, true},
		{early, late, ExpireXX | ExpireGT, true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d_%d_%b", tt.current, tt.at, tt.flags), func(t *testing.T) {
			s, _ := newTestStore(t)
			db := s.DB(0)
			set(t, db, "k", "v", tt.current)
			if got := db.Expire([]byte("k"), tt.at, tt.flags); got != tt.want {
				t.Fatalf("Expire = %v, want %v", got, tt.want)
			}
			want := tt.current
			if tt.want {
				want = tt.at
			}
			if at, _ := deadlineOf(db, "k"); at != want {
				t.Errorf("deadline = %d, want %d", at, want)
			}
		})
	}
}

func TestExpireInThePastDeletes(t *testing.T) {
	s, _ := newTestStore(t)
	db := s.DB(0)
	for _, at := range []int64{start, start - 1, 0, math.MinInt64} {
		set(t, db, "k", "v", 0)
		if !db.Expire([]byte("k"), at, 0) {
			t.Fatalf("Expire(%d) = false", at)
		}
		if _, ok := get(db, "k"); ok {
			t.Fatalf("key survived a deadline of %d (now %d)", at, int64(start))
		}
	}
	if db.st.expired != 0 {
		t.Errorf("expired_keys = %d: EXPIRE's deletion is a DEL, not an expiry", db.st.expired)
	}
	// The conditions still apply to a past deadline.
	set(t, db, "k", "v", 0)
	if db.Expire([]byte("k"), start-1, ExpireGT) {
		t.Error("GT on a persistent key succeeded")
	}
	if !db.Expire([]byte("k"), start-1, ExpireLT) {
		t.Error("LT on a persistent key failed")
	}
	if db.Expire([]byte("nokey"), start+1000, 0) {
		t.Error("Expire of a missing key succeeded")
	}
}

func TestPersistAndDeadline(t *testing.T) {
	s, clk := newTestStore(t)
	db := s.DB(0)
	set(t, db, "k", "v", start+1000)
	if at, volatile, exists := db.Deadline([]byte("k"), NoTouch); at != start+1000 || !volatile || !exists {
		t.Fatalf("Deadline = %d, %v, %v", at, volatile, exists)
	}
	if !db.Persist([]byte("k")) || db.Persist([]byte("k")) || db.Persist([]byte("nokey")) {
		t.Fatal("Persist: want true, then false, false")
	}
	if _, volatile, exists := db.Deadline([]byte("k"), NoTouch); volatile || !exists {
		t.Fatalf("after Persist: volatile %v, exists %v", volatile, exists)
	}
	set(t, db, "k", "v", start+1000)
	clk.Advance(1001 * time.Millisecond)
	if _, _, exists := db.Deadline([]byte("k"), NoTouch); exists {
		t.Fatal("Deadline found a key past its deadline")
	}
	if db.st.hits != 2 || db.st.misses != 1 {
		t.Errorf("hits, misses = %d, %d; want 2, 1", db.st.hits, db.st.misses)
	}
	db.Deadline([]byte("k"), NoTouch|NoStats)
	if db.st.misses != 1 {
		t.Error("a NoStats lookup counted a miss")
	}
}

func TestKeys(t *testing.T) {
	s, clk := newTestStore(t)
	db := s.DB(0)
	for _, k := range []string{"", "hello", "hallo", "hxllo", "user:1", "user:22"} {
		set(t, db, k, "v", 0)
	}
	set(t, db, "hexpired", "v", start+10)
	clk.Advance(time.Second)
	tests := []struct {
		pattern string
		want    []string
	}{
		{"*", []string{"", "hallo", "hello", "hxllo", "user:1", "user:22"}},
		{"", []string{""}},
		{"h?llo", []string{"hallo", "hello", "hxllo"}},
		{"h[ae]llo", []string{"hallo", "hello"}},
		{"user:?", []string{"user:1"}},
		{"?*", []string{"hallo", "hello", "hxllo", "user:1", "user:22"}},
		{"nomatch", []string{}},
	}
	for _, tt := range tests {
		if got := strs(db.Keys(nil, []byte(tt.pattern))); !slices.Equal(got, tt.want) {
			t.Errorf("Keys(%q) = %q, want %q", tt.pattern, got, tt.want)
		}
	}
	if db.Len() != 7 {
		t.Errorf("Len = %d: KEYS must skip expired keys without deleting them", db.Len())
	}
	if db.st.hits+db.st.misses != 0 {
		t.Error("KEYS counted hits or misses")
	}
}

// scanAll iterates a SCAN to cursor 0 and returns the set of keys and the
// number of calls.
func scanAll(db *DB, opt ScanOptions) (map[string]int, int) {
	seen := map[string]int{}
	var cursor uint64
	calls := 0
	for {
		var keys [][]byte
		keys, cursor = db.Scan(nil, cursor, opt)
		calls++
		for _, k := range keys {
			seen[string(k)]++
		}
		if cursor == 0 {
			return seen, calls
		}
	}
}

func TestScan(t *testing.T) {
	s, clk := newTestStore(t)
	db := s.DB(0)
	for i := 0; i < 500; i++ {
		set(t, db, fmt.Sprint("key:", i), "v", 0)
	}
	insertList(db, "list", "x")
	set(t, db, "gone", "v", start+10)
	clk.Advance(time.Second)

	seen, _ := scanAll(db, ScanOptions{Count: 1})
	if len(seen) != 501 || seen["gone"] != 0 || seen["list"] != 1 {
		t.Fatalf("full scan saw %d keys (gone %d, list %d), want 501 live keys", len(seen), seen["gone"], seen["list"])
	}
	if db.Len() != 501 {
		t.Errorf("Len = %d: SCAN deletes the expired keys it meets", db.Len())
	}
	if db.st.hits+db.st.misses != 0 {
		t.Error("SCAN without TYPE counted hits or misses")
	}

	seen, _ = scanAll(db, ScanOptions{Count: 7, FilterMatch: true, Match: []byte("key:1?")})
	if len(seen) != 10 {
		t.Errorf("MATCH key:1? saw %d keys, want 10", len(seen))
	}
	seen, _ = scanAll(db, ScanOptions{FilterMatch: true, Match: []byte("*")})
	if len(seen) != 501 {
		t.Errorf("MATCH * saw %d keys, want 501", len(seen))
	}

	seen, _ = scanAll(db, ScanOptions{FilterType: true, Type: TypeList})
	if len(seen) != 1 || seen["list"] != 1 {
		t.Errorf("TYPE list saw %v", seen)
	}
	if db.st.hits != 501 {
		t.Errorf("TYPE filter counted %d hits, want one per key (501)", db.st.hits)
	}
	seen, _ = scanAll(db, ScanOptions{FilterType: true, Type: TypeNone})
	if len(seen) != 0 {
		t.Errorf("TYPE none saw %v", seen)
	}
}

// TestScanCount checks COUNT's two limits: a call gathers about COUNT keys,
// and visits at most 10×COUNT+1 buckets of a sparse table.
func TestScanCount(t *testing.T) {
	s, _ := newTestStore(t)
	db := s.DB(0)
	for i := 0; i < 1024; i++ {
		set(t, db, fmt.Sprint(i), "v", 0)
	}
	keys, cursor := db.Scan(nil, 0, ScanOptions{Count: 100})
	if cursor == 0 || len(keys) < 100 || len(keys) > 120 {
		t.Errorf("COUNT 100 on 1024 keys returned %d keys, cursor %d", len(keys), cursor)
	}
	for i := 1; i < 1024; i++ {
		db.Delete([]byte(fmt.Sprint(i)))
	}
	// Deletes shrink the table; regrow it to 1024 buckets around one key.
	for db.keys.resize(1024); db.keys.rehash(1); {
	}
	if got := len(db.keys.ht[0]); got < 1024 {
		t.Fatalf("table shrank to %d buckets", got)
	}
	seen, calls := scanAll(db, ScanOptions{Count: 1})
	if len(seen) != 1 {
		t.Errorf("scan of a sparse table saw %d keys, want 1", len(seen))
	}
	if want := 1024 / 11; calls < want {
		t.Errorf("scan of 1024 buckets with COUNT 1 took %d calls, want at least %d", calls, want)
	}
}

func TestRandomKey(t *testing.T) {
	s, clk := newTestStore(t)
	db := s.DB(0)
	if _, ok := db.RandomKey(); ok {
		t.Fatal("RandomKey of an empty database found a key")
	}
	for i := 0; i < 50; i++ {
		set(t, db, fmt.Sprint("exp", i), "v", start+10)
	}
	set(t, db, "live", "v", 0)
	clk.Advance(time.Second)
	for i := 0; i < 20; i++ {
		if k, ok := db.RandomKey(); !ok || string(k) != "live" {
			t.Fatalf("RandomKey = %q, %v; want the only live key", k, ok)
		}
	}
	db.Delete([]byte("live"))
	for i := 0; i < 50; i++ {
		set(t, db, fmt.Sprint("exp", i), "v", start+10)
	}
	clk.Advance(time.Second)
	if k, ok := db.RandomKey(); ok {
		t.Fatalf("RandomKey = %q with every key expired", k)
	}
	if db.Len() != 0 || db.st.expired < 50 {
		t.Errorf("Len = %d, expired = %d: RandomKey deletes the expired keys it picks", db.Len(), db.st.expired)
	}
}

func TestPeekString(t *testing.T) {
	s, _ := newTestStore(t)
	db := s.DB(0)
	set(t, db, "k", "v", 0)
	insertList(db, "l")
	if v, ok := get(db, "k"); v != "v" || !ok {
		t.Errorf("PeekString(k) = %q, %v", v, ok)
	}
	if _, _, err := db.PeekString([]byte("l")); err != ErrWrongType {
		t.Errorf("PeekString(list) error = %v, want ErrWrongType", err)
	}
	if _, ok := get(db, "nokey"); ok {
		t.Error("PeekString(nokey) found a key")
	}
	if db.st.hits+db.st.misses != 0 {
		t.Error("PeekString counted hits or misses")
	}
}

func TestDeleteExpired(t *testing.T) {
	s, clk := newTestStore(t)
	for i := 0; i < s.NumDBs(); i++ {
		db := s.DB(i)
		for j := 0; j < 100; j++ {
			set(t, db, fmt.Sprint("short", j), "v", start+1000)
			set(t, db, fmt.Sprint("long", j), "v", start+5000)
		}
		set(t, db, "forever", "v", 0)
	}
	// DeleteExpired opens a transaction of its own.
	deleteExpired := func() int {
		s.tx.End()
		defer s.Begin(TxOptions{AllDBs: true})
		return s.DeleteExpired()
	}
	if n := deleteExpired(); n != 0 {
		t.Fatalf("DeleteExpired before any deadline = %d", n)
	}
	clk.Advance(time.Second) // now == the short deadline: still alive
	if n := deleteExpired(); n != 0 {
		t.Fatalf("DeleteExpired at the deadline = %d, want 0", n)
	}
	clk.Advance(time.Millisecond)
	if n, want := deleteExpired(), 100*s.NumDBs(); n != want {
		t.Fatalf("DeleteExpired = %d, want %d", n, want)
	}
	for i := 0; i < s.NumDBs(); i++ {
		if db := s.DB(i); db.Len() != 101 || db.Volatile() != 100 {
			t.Errorf("db %d: Len %d, Volatile %d; want 101, 100", i, db.Len(), db.Volatile())
		}
	}
	if st := s.Stats(); st.Expired != int64(100*s.NumDBs()) {
		t.Errorf("expired_keys = %d", st.Expired)
	}
}

// TestEmptyValues reads and rewrites empty strings, whose value starts
// where the key's allocation would end; under -race, checkptr fails the
// test if an entry points one past its allocation.
func TestEmptyValues(t *testing.T) {
	s, _ := newTestStore(t)
	db := s.DB(0)
	for _, key := range []string{"", "k", "a-longer-key-of-24-bytes"} {
		set(t, db, key, "", 0)
		if v, ok := get(db, key); v != "" || !ok {
			t.Errorf("PeekString(%q) = %q, %v", key, v, ok)
		}
		set(t, db, key, "", 0)
		db.Rename([]byte(key), []byte(key+"2"), false)
		db.Copy([]byte(key+"2"), db, []byte(key+"3"), false)
		if v, ok := get(db, key+"3"); v != "" || !ok {
			t.Errorf("copy of %q = %q, %v", key, v, ok)
		}
	}
}
