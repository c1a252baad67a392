package server

import (
	"bufio"
	"fmt"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/store"
)

func newEmbedded(t *testing.T) (*Server, *store.ManualClock) {
	t.Helper()
	clk := store.NewManualClock(time.UnixMilli(1_700_000_000_000))
	s, err := New(Config{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, clk
}

func TestDBHandleRange(t *testing.T) {
	s, _ := newEmbedded(t)
	for _, n := range []int{-1, 16, 1 << 40} {
		if s.DB(n) != nil {
			t.Errorf("DB(%d) != nil", n)
		}
	}
	if s.DB(0) == nil || s.DB(15) == nil {
		t.Fatal("DB(0) or DB(15) is nil")
	}
	s.DB(3).Set("k", "in 3")
	if s.DB(0).Exists("k") || !s.DB(3).Exists("k") {
		t.Error("a key set through DB(3) is not in database 3 alone")
	}
}

func TestDBHandle(t *testing.T) {
	s, clk := newEmbedded(t)
	db := s.DB(0)
	if err := db.Set("a", "1"); err != nil {
		t.Fatal(err)
	}
	db.Set("b", "2")
	db.Set("c", "")
	if v, ok, err := db.Get("a"); v != "1" || !ok || err != nil {
		t.Errorf(`Get("a") = %q, %v, %v`, v, ok, err)
	}
	if v, ok, err := db.Get("c"); v != "" || !ok || err != nil {
		t.Errorf(`Get("c") = %q, %v, %v; want an existing empty string`, v, ok, err)
	}
	if _, ok, err := db.Get("nokey"); ok || err != nil {
		t.Errorf(`Get("nokey") = _, %v, %v`, ok, err)
	}
	if got := db.Keys("*"); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf(`Keys("*") = %q`, got)
	}
	if got := db.Keys("[ab]"); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf(`Keys("[ab]") = %q`, got)
	}
	if got := db.Len(); got != 3 {
		t.Errorf("Len = %d, want 3", got)
	}

	if _, ok := db.TTL("a"); ok {
		t.Error("TTL of a persistent key reports a deadline")
	}
	if _, ok := db.TTL("nokey"); ok {
		t.Error("TTL of a missing key reports a deadline")
	}
	if !db.SetTTL("a", 10*time.Second) || db.SetTTL("nokey", time.Second) {
		t.Fatal("SetTTL: want true for a, false for nokey")
	}
	clk.Advance(2500 * time.Millisecond)
	if ttl, ok := db.TTL("a"); ttl != 7500*time.Millisecond || !ok {
		t.Errorf("TTL(a) = %v, %v; want 7.5s", ttl, ok)
	}
	if !db.Persist("a") || db.Persist("a") {
		t.Error("Persist: want true, then false")
	}
	if _, ok := db.TTL("a"); ok {
		t.Error("TTL after Persist reports a deadline")
	}
	// A ttl under a millisecond deletes at once.
	if !db.SetTTL("b", -time.Second) || db.Exists("b") {
		t.Error("SetTTL with a negative ttl did not delete the key")
	}

	if got := db.Del("a", "a", "nokey"); got != 1 {
		t.Errorf("Del(a a nokey) = %d, want 1", got)
	}
	db.Flush()
	if db.Len() != 0 || db.Exists("c") {
		t.Error("Flush left keys")
	}
	// Set replaces the value and drops the deadline.
	db.Set("x", "1")
	db.SetTTL("x", time.Minute)
	db.Set("x", "2")
	if _, ok := db.TTL("x"); ok {
		t.Error("Set kept the deadline")
	}
}

// TestDBHandleIsQuiet checks that inspecting data through a handle counts no
// keyspace hits or misses and leaves access times alone.
func TestDBHandleIsQuiet(t *testing.T) {
	s, clk := newEmbedded(t)
	db := s.DB(0)
	db.Set("k", "v")
	db.SetTTL("k", time.Hour)
	clk.Advance(time.Minute)
	s.DeleteExpired() // brings the access clock to the clock's time
	db.Get("k")
	db.Get("nokey")
	db.Exists("k")
	db.Exists("nokey")
	db.TTL("k")
	db.Keys("*")
	var st store.Stats
	var info store.ObjectInfo
	s.Store().Update(func(tx *store.Tx) {
		st = tx.Store().Stats()
		info, _ = tx.DB(0).Object([]byte("k"))
	})
	if st.Hits != 0 || st.Misses != 0 {
		t.Errorf("hits, misses = %d, %d; want 0, 0", st.Hits, st.Misses)
	}
	if info.Idle != 60 {
		t.Errorf("idle = %d s, want 60: handle reads must not touch", info.Idle)
	}
}

// TestDeleteExpired checks that moving the clock and calling DeleteExpired
// removes expired keys without anything reading them.
func TestDeleteExpired(t *testing.T) {
	s, clk := newEmbedded(t)
	for i := 0; i < 3; i++ {
		db := s.DB(i)
		for j := 0; j < 50; j++ {
			db.Set(fmt.Sprint("k", j), "v")
			db.SetTTL(fmt.Sprint("k", j), time.Duration(j+1)*time.Second)
		}
	}
	clk.Advance(10 * time.Second)
	if n := s.DeleteExpired(); n != 3*9 {
		t.Fatalf("DeleteExpired = %d, want 27 (keys with TTL 1s to 9s, three databases)", n)
	}
	for i := 0; i < 3; i++ {
		if n := s.DB(i).Len(); n != 41 {
			t.Errorf("db %d Len = %d, want 41", i, n)
		}
	}
}

// TestActiveExpiryWithManualClock checks that the background cycle alone
// deletes keys once the manual clock passes their deadline.
func TestActiveExpiryWithManualClock(t *testing.T) {
	s, clk := newEmbedded(t)
	db := s.DB(0)
	for j := 0; j < 100; j++ {
		db.Set(fmt.Sprint("k", j), "v")
		db.SetTTL(fmt.Sprint("k", j), time.Second)
	}
	clk.Advance(2 * time.Second)
	if !waitUntil(5*time.Second, func() bool { return db.Len() == 0 }) {
		t.Fatalf("Len = %d five seconds after every key expired", db.Len())
	}
}

// TestDBHandleConcurrent uses a handle while a client writes to the same
// database; run with -race.
func TestDBHandleConcurrent(t *testing.T) {
	s, _ := newEmbedded(t)
	db := s.DB(0)
	nc, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // exits after 200 commands
		defer wg.Done()
		r := bufio.NewReader(nc)
		for i := 0; i < 200; i++ {
			fmt.Fprintf(nc, "*3\r\n$3\r\nSET\r\n$4\r\nc%03d\r\n$1\r\nv\r\n", i)
			if line, err := r.ReadString('\n'); err != nil || line != "+OK\r\n" {
				t.Errorf("SET reply %q, %v", line, err)
				return
			}
		}
	}()
	for i := 0; i < 200; i++ {
		db.Set(fmt.Sprint("h", i), "v")
		db.Get(fmt.Sprint("c", i))
		db.Keys("c*")
	}
	wg.Wait()
	if n := db.Len(); n != 400 {
		t.Errorf("Len = %d, want 400", n)
	}
}
