package store

import (
	"fmt"
	"testing"
	"time"
)

// bgField is field i of the background tests' collections.
func bgField(i int) []byte { return fmt.Appendf(nil, "field:%08d", i) }

// bgUsage returns MEMORY USAGE of key.
func bgUsage(t *testing.T, st *Store, key string) int {
	t.Helper()
	var n int
	st.Update(func(tx *Tx) {
		var ok bool
		if n, ok = tx.DB(0).MemoryUsage([]byte(key), 0); !ok {
			t.Fatalf("MemoryUsage(%s): no such key", key)
		}
	})
	return n
}

// bgPending returns how many values of database 0 are registered for
// background work.
func bgPending(st *Store) int {
	var n int
	st.Update(func(tx *Tx) { n = tx.DB(0).WorkPending() })
	return n
}

// cronUntilIdle runs Cron until database 0 has no value registered for
// background work, and returns how many calls it took.
func cronUntilIdle(t *testing.T, st *Store) int {
	t.Helper()
	for i := 1; i <= 10000; i++ {
		st.Cron(10)
		if bgPending(st) == 0 {
			return i
		}
	}
	t.Fatalf("values still registered for background work after 10000 Cron calls")
	return 0
}

// The collections of the background tests: each is built big, then most of
// its elements are deleted, keep (every tenth) stay. build creates key with
// n elements; del deletes element i; check verifies the survivors; fresh
// builds the survivors alone at key2, for comparison.
type bgCollection struct {
	name  string
	build func(db *DB, key string, from, to, step int)
	del   func(db *DB, key string, i int)
	check func(t *testing.T, db *DB, key string, n int)
}

var bgCollections = []bgCollection{
	{
		name: "hash",
		build: func(db *DB, key string, from, to, step int) {
			for i := from; i < to; i += step {
				db.HSet([]byte(key), [][]byte{bgField(i), fmt.Appendf(nil, "value:%d", i)})
			}
		},
		del: func(db *DB, key string, i int) { db.HDel([]byte(key), [][]byte{bgField(i)}) },
		check: func(t *testing.T, db *DB, key string, n int) {
			for i := 0; i < n; i++ {
				v, ok, err := db.HGet([]byte(key), bgField(i), nil)
				want := i%10 == 0
				if err != nil || ok != want || (ok && string(v) != fmt.Sprintf("value:%d", i)) {
					t.Fatalf("HGET %s %s = %q, %v, %v; want present %v", key, bgField(i), v, ok, err, want)
				}
			}
		},
	},
	{
		name: "set",
		build: func(db *DB, key string, from, to, step int) {
			for i := from; i < to; i += step {
				db.SAdd([]byte(key), [][]byte{bgField(i)})
			}
		},
		del: func(db *DB, key string, i int) { db.SRem([]byte(key), [][]byte{bgField(i)}) },
		check: func(t *testing.T, db *DB, key string, n int) {
			s, err := db.ReadSet([]byte(key))
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < n; i++ {
				if got, want := s.Has(bgField(i)), i%10 == 0; got != want {
					t.Fatalf("SISMEMBER %s %s = %v, want %v", key, bgField(i), got, want)
				}
			}
		},
	},
	{
		name: "zset",
		build: func(db *DB, key string, from, to, step int) {
			for i := from; i < to; i += step {
				// Scores in reverse order of members, so that the order
				// index and the dict's order differ.
				db.ZAdd([]byte(key), []ScoredMember{{bgField(i), float64(-i)}}, ZAddFlags{})
			}
		},
		del: func(db *DB, key string, i int) { db.ZRem([]byte(key), [][]byte{bgField(i)}) },
		check: func(t *testing.T, db *DB, key string, n int) {
			// Every survivor has its score and its rank: compaction moved
			// members in the dict, and the order index must have followed.
			for i := 0; i < n; i += 10 {
				s, ok, err := db.ZScore([]byte(key), bgField(i))
				if err != nil || !ok || s != float64(-i) {
					t.Fatalf("ZSCORE %s %s = %v, %v, %v", key, bgField(i), s, ok, err)
				}
				rank, ok, err := db.ZRank([]byte(key), bgField(i), true)
				if err != nil || !ok || rank != i/10 {
					t.Fatalf("ZREVRANK %s %s = %d, %v, %v; want %d", key, bgField(i), rank, ok, err, i/10)
				}
			}
			if c, _ := db.ZCard([]byte(key)); c != (n+9)/10 {
				t.Fatalf("ZCARD %s = %d, want %d", key, c, (n+9)/10)
			}
		},
	},
}

// TestCronReclaimsDeletedSpace builds a big hash, set and sorted set,
// deletes nine elements in ten, and then changes them no more: the deletes
// leave their dicts with dead space and sparse tables, which only the
// store's cron can give back. After Cron alone each value takes no more
// than twice what the survivors take when built afresh (the dict's own
// bound), having taken more before, and they are all still there.
func TestCronReclaimsDeletedSpace(t *testing.T) {
	const n = 200000
	for _, c := range bgCollections {
		t.Run(c.name, func(t *testing.T) {
			st := New(Options{Clock: NewManualClock(time.UnixMilli(start))})
			st.Update(func(tx *Tx) {
				db := tx.DB(0)
				c.build(db, "big", 0, n, 1)
				c.build(db, "fresh", 0, n, 10)
			})
			// Deleted in many transactions, as clients would, from the
			// end backwards so that every chunk keeps survivors.
			for i := n - 1; i >= 0; {
				st.Update(func(tx *Tx) {
					for j := 0; j < 1000 && i >= 0; j, i = j+1, i-1 {
						if i%10 != 0 {
							c.del(tx.DB(0), "big", i)
						}
					}
				})
			}
			fresh, before := bgUsage(t, st, "fresh"), bgUsage(t, st, "big")
			// The test proves something only if the deletes left work
			// for the cron.
			if bgPending(st) == 0 {
				t.Fatalf("no value registered for background work after the deletes")
			}
			if before <= fresh*2 {
				t.Fatalf("MEMORY USAGE after the deletes %d, fresh %d: nothing left to reclaim", before, fresh)
			}
			calls := cronUntilIdle(t, st)
			after := bgUsage(t, st, "big")
			t.Logf("MEMORY USAGE: fresh %d, after deletes %d, after %d Cron calls %d", fresh, before, calls, after)
			// A dict compacts once its dead bytes exceed its live ones,
			// so up to twice the live bytes may stay.
			if after > fresh*2 {
				t.Errorf("MEMORY USAGE after Cron %d, want at most twice the fresh value's %d (it was %d)", after, fresh, before)
			}
			st.Update(func(tx *Tx) { c.check(t, tx.DB(0), "big", n) })
		})
	}
}

// TestBackgroundWorkFollowsTheValue checks that the registration of a value
// with pending work follows it through RENAME, MOVE and COPY, is dropped
// with its key (DEL, an overwriting SET, FLUSHALL), and that Cron never
// touches a value that left the keyspace.
func TestBackgroundWorkFollowsTheValue(t *testing.T) {
	const n = 20000
	h := bgCollections[0]
	newBig := func(st *Store) {
		st.Update(func(tx *Tx) {
			db := tx.DB(0)
			h.build(db, "h", 0, n, 1)
			for i := 0; i < n; i++ {
				if i%10 != 0 {
					h.del(db, "h", i)
				}
			}
		})
		if bgPending(st) != 1 {
			t.Fatalf("after the deletes, %d values registered, want 1", bgPending(st))
		}
	}
	pending := func(st *Store, id int) int {
		var k int
		st.Update(func(tx *Tx) { k = tx.DB(id).WorkPending() })
		return k
	}

	st := New(Options{Clock: NewManualClock(time.UnixMilli(start)), Databases: 2})
	newBig(st)
	st.Update(func(tx *Tx) {
		if _, err := tx.DB(0).Rename([]byte("h"), []byte("h2"), false); err != nil {
			t.Fatal(err)
		}
	})
	if bgPending(st) != 1 {
		t.Errorf("after RENAME, %d values registered, want 1", bgPending(st))
	}
	st.Update(func(tx *Tx) {
		if ok, err := tx.DB(0).Copy([]byte("h2"), tx.DB(1), []byte("c"), false); !ok || err != nil {
			t.Fatalf("COPY = %v, %v", ok, err)
		}
	})
	cronUntilIdle(t, st)
	if k := pending(st, 1); k != 0 {
		// The clone of a Dict may or may not carry work; whatever it
		// carried, Cron finishes it.
		for i := 0; i < 10000 && pending(st, 1) > 0; i++ {
			st.Cron(10)
		}
	}
	st.Update(func(tx *Tx) {
		h.check(t, tx.DB(0), "h2", n)
		h.check(t, tx.DB(1), "c", n)
	})

	// MOVE carries the registration to the other database.
	st = New(Options{Clock: NewManualClock(time.UnixMilli(start)), Databases: 2})
	newBig(st)
	st.Update(func(tx *Tx) {
		if ok, err := tx.DB(0).Move([]byte("h"), tx.DB(1)); !ok || err != nil {
			t.Fatalf("MOVE = %v, %v", ok, err)
		}
	})
	if pending(st, 0) != 0 || pending(st, 1) != 1 {
		t.Errorf("after MOVE, %d and %d values registered in databases 0 and 1, want 0 and 1", pending(st, 0), pending(st, 1))
	}

	// Deletions and overwrites drop the registration.
	for _, drop := range []struct {
		name string
		fn   func(db *DB)
	}{
		{"DEL", func(db *DB) { db.DeleteKeys([][]byte{[]byte("h")}) }},
		{"UNLINK", func(db *DB) { db.UnlinkKeys([][]byte{[]byte("h")}) }},
		{"SET", func(db *DB) { db.Set([]byte("h"), []byte("v"), SetOptions{}) }},
		{"FLUSHALL", func(db *DB) { db.Store().FlushAll() }},
		{"SUNIONSTORE", func(db *DB) { db.SStore([]byte("h"), db.SUnion(nil)) }},
	} {
		st := New(Options{Clock: NewManualClock(time.UnixMilli(start))})
		newBig(st)
		st.Update(func(tx *Tx) { drop.fn(tx.DB(0)) })
		if bgPending(st) != 0 {
			t.Errorf("after %s, %d values registered, want 0", drop.name, bgPending(st))
		}
		st.Cron(10)
		st.WaitFreed()
	}
}

// TestOverwrittenCollectionsAreDropped checks that a command overwriting or
// deleting a big collection as a side effect hands the old value to drop:
// its bytes reach OnFreed, and under LazyFree.ServerDel it is freed in the
// background and counted, as Redis counts lazyfreed_objects. A collection
// emptied by a command has nothing left and is never counted.
func TestOverwrittenCollectionsAreDropped(t *testing.T) {
	const n = 1000
	cases := []struct {
		name    string
		build   func(db *DB)
		act     func(db *DB)
		counted int64 // lazily freed objects under ServerDel
	}{
		{"SET over a hash", func(db *DB) { bgCollections[0].build(db, "k", 0, n, 1) },
			func(db *DB) { db.Set([]byte("k"), []byte("v"), SetOptions{}) }, 1},
		{"SUNIONSTORE over a set", func(db *DB) { bgCollections[1].build(db, "k", 0, n, 1) },
			func(db *DB) {
				s, _ := db.ReadSets([][]byte{[]byte("k")})
				db.SStore([]byte("k"), db.SUnion(s))
			}, 1},
		{"SINTERSTORE of nothing over a set", func(db *DB) { bgCollections[1].build(db, "k", 0, n, 1) },
			func(db *DB) { db.SStore([]byte("k"), SetView{}) }, 1},
		{"ZUNIONSTORE over a sorted set", func(db *DB) { bgCollections[2].build(db, "k", 0, n, 1) },
			func(db *DB) { db.ZStore([]byte("k"), []ScoredMember{{[]byte("m"), 1}}) }, 1},
		{"ZRANGESTORE of nothing over a hash", func(db *DB) { bgCollections[0].build(db, "k", 0, n, 1) },
			func(db *DB) { db.ZRangeStore([]byte("k"), []byte("nokey"), ZRangeSpec{}) }, 1},
		{"SPOP of everything", func(db *DB) { bgCollections[1].build(db, "k", 0, n, 1) },
			func(db *DB) { db.SPopN([]byte("k"), n, func(int) {}, func([]byte) {}) }, 2},
		{"SPOP keeping few", func(db *DB) { bgCollections[1].build(db, "k", 0, n, 1) },
			func(db *DB) { db.SPopN([]byte("k"), n-10, func(int) {}, func([]byte) {}) }, 1},
		{"SREM of everything", func(db *DB) { bgCollections[1].build(db, "k", 0, n, 1) },
			func(db *DB) {
				for i := 0; i < n; i++ {
					db.SRem([]byte("k"), [][]byte{bgField(i)})
				}
			}, 0},
	}
	for _, c := range cases {
		for _, lazy := range []bool{false, true} {
			st, freed := newFreeStore(t)
			st.SetLazyFree(LazyFree{ServerDel: lazy})
			var usage int
			st.Update(func(tx *Tx) {
				c.build(tx.DB(0))
				usage, _ = tx.DB(0).MemoryUsage([]byte("k"), 0)
			})
			st.Update(func(tx *Tx) { c.act(tx.DB(0)) })
			st.WaitFreed()
			want := int64(0)
			if lazy {
				want = c.counted
			}
			if got := st.LazyFreeStats().Freed; got != want {
				t.Errorf("%s (server-del %v): %d objects freed lazily, want %d", c.name, lazy, got, want)
			}
			if c.counted > 0 && freed.n.Load() < int64(usage)/2 {
				t.Errorf("%s (server-del %v): %d bytes reported freed, the value took %d", c.name, lazy, freed.n.Load(), usage)
			}
		}
	}
}
