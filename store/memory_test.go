package store

import (
	"bytes"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

// fakeCollection is a compound value of a given size and free effort, for
// the tests below until the real collection types exist. It counts the
// times it was measured while the deleting command ran: a lazy drop must
// measure it later, off the lock.
type fakeCollection struct {
	size, effort int
	inCommand    *atomic.Bool  // set while the deleting command runs
	measuredIn   *atomic.Int64 // memSize calls made meanwhile
}

func (f *fakeCollection) memSize() int {
	if f.inCommand != nil && f.inCommand.Load() {
		f.measuredIn.Add(1)
	}
	return f.size
}
func (f *fakeCollection) freeEffort() int { return f.effort }
func (f *fakeCollection) clone() any      { c := *f; return &c }

// freedCounter is an OnFreed hook that sums the bytes.
type freedCounter struct{ n atomic.Int64 }

func (c *freedCounter) add(n int) { c.n.Add(int64(n)) }

func newFreeStore(t *testing.T) (*Store, *freedCounter) {
	t.Helper()
	var fc freedCounter
	st := New(Options{Clock: NewManualClock(time.UnixMilli(start)), Databases: 2, OnFreed: fc.add})
	return st, &fc
}

// putCollection stores a fake collection at key.
func putCollection(st *Store, db int, key string, v *fakeCollection) {
	st.Update(func(tx *Tx) {
		d := tx.DB(db)
		e := newCompoundEntry([]byte(key), EncHashHashtable, v, st.LRUClock())
		d.insertEntry(e)
		d.record(OpWrite, []byte(key))
	})
}

func TestMemoryUsage(t *testing.T) {
	st, _ := newFreeStore(t)
	var small, big int
	st.Update(func(tx *Tx) {
		db := tx.DB(0)
		if _, ok := db.MemoryUsage([]byte("missing"), 5); ok {
			t.Errorf("MemoryUsage(missing) found a key")
		}
		set(t, db, "small", "v", 0)
		set(t, db, "big", string(bytes.Repeat([]byte("x"), 100000)), 0)
		small, _ = db.MemoryUsage([]byte("small"), 5)
		big, _ = db.MemoryUsage([]byte("big"), 0)
	})
	if small < entrySize+len("small")+1 || small > 128 {
		t.Errorf("MemoryUsage(small) = %d, want a small figure above %d", small, entrySize+6)
	}
	if big < 100000+entrySize || big > 100000+8192 {
		t.Errorf("MemoryUsage(big) = %d, want about 100 KB", big)
	}
	putCollection(st, 0, "coll", &fakeCollection{size: 5000, effort: 10})
	st.Update(func(tx *Tx) {
		n, ok := tx.DB(0).MemoryUsage([]byte("coll"), 5)
		if !ok || n < 5000+entrySize+compoundSize || n > 5000+256 {
			t.Errorf("MemoryUsage(coll) = %d, %v; want 5000 and a little", n, ok)
		}
		// An expired key not yet deleted is still measured, as Redis's
		// MEMORY USAGE finds it without expiring it.
		set(t, tx.DB(0), "old", "v", start-1)
		if _, ok := tx.DB(0).MemoryUsage([]byte("old"), 5); !ok {
			t.Errorf("MemoryUsage of an expired key not yet deleted found nothing")
		}
	})
	st.Update(func(tx *Tx) {
		if ov := tx.Store().Overheads(); len(ov) != 1 || ov[0].DB != 0 || ov[0].Keys != 4 || ov[0].Main < 4*entrySize {
			t.Errorf("Overheads = %+v", ov)
		}
	})
}

func TestLazyFree(t *testing.T) {
	const size = 1 << 20
	for _, c := range []struct {
		name      string
		lazy      LazyFree
		effort    int
		del       func(db *DB)
		wantLazy  int64
		wantBytes bool
	}{
		{"unlink big", LazyFree{}, 1000, func(db *DB) { db.UnlinkKeys(bkeys("k")) }, 1, true},
		{"unlink cheap", LazyFree{}, LazyFreeThreshold, func(db *DB) { db.Unlink([]byte("k")) }, 0, true},
		{"del", LazyFree{}, 1000, func(db *DB) { db.DeleteKeys(bkeys("k")) }, 0, true},
		{"del lazy-user-del", LazyFree{UserDel: true}, 1000, func(db *DB) { db.Delete([]byte("k")) }, 1, true},
		{"getdel of no string", LazyFree{UserDel: true}, 1000, func(db *DB) { db.GetDel([]byte("k")) }, 0, false},
		{"set over lazy-server-del", LazyFree{ServerDel: true}, 1000, func(db *DB) { set(t, db, "k", "s", 0) }, 1, true},
		{"set over", LazyFree{}, 1000, func(db *DB) { set(t, db, "k", "s", 0) }, 0, true},
		{"rename onto lazy-server-del", LazyFree{ServerDel: true}, 1000, func(db *DB) {
			set(t, db, "src", "v", 0)
			db.Rename([]byte("src"), []byte("k"), false)
		}, 1, true},
		{"expire now lazy-expire", LazyFree{Expire: true}, 1000, func(db *DB) { db.Expire([]byte("k"), start-1, 0) }, 1, true},
		{"expire now", LazyFree{UserDel: true, ServerDel: true}, 1000, func(db *DB) { db.Expire([]byte("k"), start-1, 0) }, 0, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			st, freed := newFreeStore(t)
			st.SetLazyFree(c.lazy)
			var inCommand atomic.Bool
			var measured atomic.Int64
			putCollection(st, 0, "k", &fakeCollection{size: size, effort: c.effort, inCommand: &inCommand, measuredIn: &measured})
			st.Update(func(tx *Tx) {
				inCommand.Store(true)
				c.del(tx.DB(0))
				inCommand.Store(false)
			})
			st.WaitFreed()
			s := st.LazyFreeStats()
			if s.Freed != c.wantLazy || s.Pending != 0 {
				t.Errorf("LazyFreeStats = %+v, want %d freed, none pending", s, c.wantLazy)
			}
			if got := freed.n.Load(); c.wantBytes && got < size {
				t.Errorf("OnFreed got %d bytes, want at least %d", got, size)
			}
			if c.wantLazy > 0 && measured.Load() != 0 {
				t.Errorf("a lazily freed value was measured under the store lock")
			}
		})
	}
}

func TestLazyFreeExpiry(t *testing.T) {
	st, freed := newFreeStore(t)
	st.SetLazyFree(LazyFree{Expire: true})
	putCollection(st, 0, "k", &fakeCollection{size: 4096, effort: 100})
	st.Update(func(tx *Tx) { tx.DB(0).setExpireEntry(tx.DB(0).keys.find([]byte("k")), start+10) })
	st.Clock().(*ManualClock).Advance(time.Second)
	if n := st.DeleteExpired(); n != 1 {
		t.Fatalf("DeleteExpired = %d, want 1", n)
	}
	st.WaitFreed()
	if s := st.LazyFreeStats(); s.Freed != 1 {
		t.Errorf("after lazy expiry LazyFreeStats = %+v, want 1 freed", s)
	}
	if freed.n.Load() < 4096 {
		t.Errorf("OnFreed got %d bytes", freed.n.Load())
	}
}

func TestFlushFreesInBackground(t *testing.T) {
	for _, async := range []bool{false, true} {
		st, freed := newFreeStore(t)
		st.Update(func(tx *Tx) {
			for i := range 100 {
				set(t, tx.DB(i%2), string(rune('a'+i%26))+string(rune('a'+i/26)), string(bytes.Repeat([]byte("v"), 1000)), 0)
			}
		})
		putCollection(st, 1, "coll", &fakeCollection{size: 50000, effort: 1000})
		var n int
		st.Update(func(tx *Tx) {
			if async {
				n = tx.Store().FlushAllAsync()
			} else {
				n = tx.Store().FlushAll()
			}
		})
		if n != 101 {
			t.Fatalf("flush deleted %d keys, want 101", n)
		}
		st.WaitFreed()
		want := int64(0)
		if async {
			want = 101
		}
		if s := st.LazyFreeStats(); s.Freed != want || s.Pending != 0 {
			t.Errorf("async=%v: LazyFreeStats = %+v, want %d freed", async, s, want)
		}
		if got := freed.n.Load(); got < 100*1000+50000 {
			t.Errorf("async=%v: OnFreed got %d bytes, want the flushed values' size", async, got)
		}
		st.ResetStats()
		if s := st.LazyFreeStats(); s.Freed != 0 {
			t.Errorf("ResetStats left lazyfreed %d", s.Freed)
		}
	}
}

func TestStringsAreNeverLazy(t *testing.T) {
	st, freed := newFreeStore(t)
	big := string(bytes.Repeat([]byte("x"), 1<<20))
	st.Update(func(tx *Tx) {
		set(t, tx.DB(0), "a", big, 0)
		set(t, tx.DB(0), "b", big, 0)
	})
	st.Update(func(tx *Tx) {
		tx.DB(0).UnlinkKeys(bkeys("a"))
		set(t, tx.DB(0), "b", "short", 0) // moves to a small allocation
	})
	st.WaitFreed()
	if s := st.LazyFreeStats(); s.Freed != 0 {
		t.Errorf("strings counted as lazily freed: %+v", s)
	}
	if got := freed.n.Load(); got < 2<<20 {
		t.Errorf("OnFreed got %d bytes, want both megabyte strings", got)
	}
}

// slowCollection takes long to measure, as walking a big structure would:
// a lazy drop must do it without holding the store's lock.
type slowCollection struct{ measured chan struct{} }

func (s *slowCollection) memSize() int {
	select {
	case s.measured <- struct{}{}:
		time.Sleep(300 * time.Millisecond)
	default: // measured again (MemoryUsage before the drop): no delay
	}
	return 1 << 20
}
func (s *slowCollection) freeEffort() int { return 1000 }
func (s *slowCollection) clone() any      { return &slowCollection{measured: make(chan struct{}, 1)} }

func TestLazyFreeDoesNotHoldLock(t *testing.T) {
	st, freed := newFreeStore(t)
	v := &slowCollection{measured: make(chan struct{}, 1)}
	st.Update(func(tx *Tx) {
		e := newCompoundEntry([]byte("k"), EncSetHashtable, v, st.LRUClock())
		tx.DB(0).insertEntry(e)
		tx.DB(0).record(OpWrite, []byte("k"))
	})
	st.Update(func(tx *Tx) { tx.DB(0).UnlinkKeys(bkeys("k")) })
	<-v.measured // the freer has started measuring
	start := time.Now()
	st.Update(func(tx *Tx) { set(t, tx.DB(0), "other", "v", 0) })
	if d := time.Since(start); d > 150*time.Millisecond {
		t.Errorf("a transaction waited %v while the freer measured a value", d)
	}
	if s := st.LazyFreeStats(); s.Pending != 1 {
		t.Errorf("while freeing: LazyFreeStats = %+v, want 1 pending", s)
	}
	st.WaitFreed()
	if s := st.LazyFreeStats(); s.Pending != 0 || s.Freed != 1 || freed.n.Load() < 1<<20 {
		t.Errorf("after freeing: LazyFreeStats = %+v, %d bytes", s, freed.n.Load())
	}
}

func TestAllocBytes(t *testing.T) {
	prev := 0
	for _, n := range []int{0, 1, 8, 1000, 1024, 1025, 3000, 4096, 20000, 32768, 32769, 100000, 1 << 20} {
		got := allocBytes(n)
		if got < n || got < prev {
			t.Errorf("allocBytes(%d) = %d: below the size or not monotonic", n, got)
		}
		if n > 32768 && got%(8<<10) != 0 {
			t.Errorf("allocBytes(%d) = %d, not whole pages", n, got)
		}
		if n > 0 && got > n+n/8+8<<10 {
			t.Errorf("allocBytes(%d) = %d, too much slack", n, got)
		}
		prev = got
	}
	if c := allocBytes(3000); c != cap(slices.Grow([]byte(nil), 3000)) {
		t.Errorf("allocBytes(3000) = %d, the allocator gives %d", c, cap(slices.Grow([]byte(nil), 3000)))
	}
}
