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

func TestTableShrinkAndRandom(t *testing.T) {
	tb := newTable()
	for i := 0; i < 1000; i++ {
		tb.insert(testEntry(fmt.Sprint(i)))
	}
	for i := 0; i < 990; i++ {
		tb.remove(tb.find([]byte(fmt.Sprint(i))))
	}
	if !tb.shrinkIfNeeded() {
		t.Fatal("shrinkIfNeeded = false for a table 1% full")
	}
	for tb.rehash(100) {
	}
	if got := len(tb.ht[0]); got != 16 {
		t.Fatalf("size after shrink = %d, want 16", got)
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
