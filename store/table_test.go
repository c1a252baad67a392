package store

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

func testEntry(k string) *entry {
	return newStringEntry([]byte(k), []byte("v:"+k), EncEmbstr, 0)
}

func TestTableInsertFindRemove(t *testing.T) {
	tb := newTable()
	const n = 5000
	for i := 0; i < n; i++ {
		tb.insert(testEntry(fmt.Sprint("key", i)))
		// Interleave lookups with the incremental rehash.
		if e := tb.find([]byte(fmt.Sprint("key", i/2))); e == nil {
			t.Fatalf("find(key%d) = nil after inserting key%d", i/2, i)
		}
	}
	if tb.len() != n {
		t.Fatalf("len = %d, want %d", tb.len(), n)
	}
	for i := 0; i < n; i++ {
		k := fmt.Sprint("key", i)
		e := tb.find([]byte(k))
		if e == nil || string(e.key()) != k || string(e.str()) != "v:"+k {
			t.Fatalf("find(%q) = %v", k, e)
		}
	}
	if tb.find([]byte("missing")) != nil {
		t.Fatal("find(missing) != nil")
	}
	for i := 0; i < n; i += 2 {
		e := tb.find([]byte(fmt.Sprint("key", i)))
		if e == nil {
			t.Fatalf("find(key%d) = nil before remove", i)
		}
		tb.remove(e)
	}
	if tb.len() != n/2 {
		t.Fatalf("len = %d, want %d", tb.len(), n/2)
	}
	for i := 0; i < n; i++ {
		got := tb.find([]byte(fmt.Sprint("key", i))) != nil
		if got != (i%2 == 1) {
			t.Fatalf("find(key%d) present = %v", i, got)
		}
	}
}

// TestTableScanGuarantee checks SCAN's promise under churn: every key present
// from the start to the end of an iteration is returned at least once, while
// the table grows and shrinks between cursor calls.
func TestTableScanGuarantee(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		r := rand.New(rand.NewPCG(seed, seed))
		tb := newTable()
		stable := map[string]bool{}
		for i := 0; i < 300; i++ {
			k := fmt.Sprint("stable", i)
			tb.insert(testEntry(k))
			stable[k] = true
		}
		seen := map[string]bool{}
		var cursor uint64
		next := 0
		var transient []string
		for {
			cursor = tb.scan(cursor, func(e *entry) { seen[string(e.key())] = true })
			// Churn: add many (forcing growth) or delete many (forcing
			// a shrink), never touching the stable keys.
			switch r.IntN(3) {
			case 0:
				// Bounded, so the iteration itself stays finite.
				for j := r.IntN(400); j > 0 && len(transient) < 3000; j-- {
					k := fmt.Sprint("t", next)
					next++
					tb.insert(testEntry(k))
					transient = append(transient, k)
				}
			case 1:
				for len(transient) > 0 && r.IntN(50) != 0 {
					tb.remove(tb.find([]byte(transient[len(transient)-1])))
					transient = transient[:len(transient)-1]
				}
				tb.shrinkIfNeeded()
			}
			tb.rehash(r.IntN(5))
			if cursor == 0 {
				break
			}
		}
		for k := range stable {
			if !seen[k] {
				t.Fatalf("seed %d: stable key %q never returned by scan", seed, k)
			}
		}
	}
}

// TestTableShrinksOnRemove checks that removes shrink a table that became
// mostly empty without waiting for the cron, and that random still returns
// every key, and no removed one, afterwards.
func TestTableShrinksOnRemove(t *testing.T) {
	tb := newTable()
	for i := 0; i < 1000; i++ {
		tb.insert(testEntry(fmt.Sprint(i)))
	}
	for i := 0; i < 990; i++ {
		tb.remove(tb.find([]byte(fmt.Sprint(i))))
	}
	for tb.rehash(100) {
	}
	if got := len(tb.ht[0]); got > 16 {
		t.Fatalf("size after removing 990 of 1000 keys = %d, want at most 16", got)
	}
	if tb.shrinkIfNeeded() {
		t.Fatal("the cron's shrinkIfNeeded found a table the removes left sparse")
	}
	counts := map[string]int{}
	for i := 0; i < 10000; i++ {
		counts[string(tb.random().key())]++
	}
	if len(counts) != 10 {
		t.Fatalf("random returned %d distinct keys, want all 10: %v", len(counts), counts)
	}
	for k := range counts {
		if k < "990" {
			t.Fatalf("random returned deleted key %q", k)
		}
	}
}

// TestTableRandomWhileEmptying removes all keys of a large table but one,
// in insertion order and in random order, and checks along the way that
// random looks at few buckets: before tables shrank on remove, random probed
// about size/len buckets, 100,000 per call at the end here.
func TestTableRandomWhileEmptying(t *testing.T) {
	const n = 100_000
	for _, order := range []string{"insertion", "random"} {
		t.Run(order, func(t *testing.T) {
			tb := newTable()
			keys := make([][]byte, n)
			for i := range keys {
				keys[i] = []byte(fmt.Sprint("key:", i))
				tb.insert(testEntry(string(keys[i])))
			}
			if order == "random" {
				rand.Shuffle(n, func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
			}
			var calls, visits, worst, worstLen int
			for i := 0; i < n-1; i++ {
				tb.remove(tb.find(keys[i]))
				if i%50 != 0 && i < n-100 {
					continue
				}
				sum := 0
				for j := 0; j < 10; j++ {
					e, v := tb.randomVisits()
					if e == nil || tb.find(e.key()) != e {
						t.Fatalf("random returned %v, not an entry of the table", e)
					}
					sum += v
				}
				calls += 10
				visits += sum
				if sum > worst {
					worst, worstLen = sum, tb.len()
				}
			}
			mean := float64(visits) / float64(calls)
			t.Logf("%d calls: %.1f buckets per call; worst 10 calls %.1f per call, at %d keys", calls, mean, float64(worst)/10, worstLen)
			if mean > 20 || worst/10 > 2*randomWalk {
				t.Errorf("random looked at %.1f buckets per call on average, %d at worst, want at most 20 and %d",
					mean, worst/10, 2*randomWalk)
			}
			if got := len(tb.ht[0]) + len(tb.ht[1]); got > 64 {
				t.Errorf("%d buckets left for one key", got)
			}
		})
	}
}

func TestTableReplace(t *testing.T) {
	tb := newTable()
	for i := 0; i < 100; i++ {
		tb.insert(testEntry(fmt.Sprint(i)))
	}
	old := tb.find([]byte("42"))
	ne := newStringEntry([]byte("42"), []byte("new"), EncEmbstr, 0)
	tb.replace(old, ne)
	if got := tb.find([]byte("42")); got != ne {
		t.Fatalf("find after replace = %p, want %p", got, ne)
	}
	if tb.len() != 100 {
		t.Fatalf("len = %d, want 100", tb.len())
	}
}
