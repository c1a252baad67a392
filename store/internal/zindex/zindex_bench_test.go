package zindex

import (
	"cmp"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/tidwall/btree"
)

// The benchmarks that chose this structure over github.com/tidwall/btree,
// which has no rank query: its counted GetAt lets a binary search find a
// rank in O(log² n). Both hold 1,000,000 items of random scores ordered by
// (score, ref), ties broken by the reference alone so that only the
// structures are measured. Run with -benchtime=… as needed; -bench
// 'Index|BTree' prints both.

const benchN = 1_000_000

func cmpRef(a, b Item) int {
	if c := cmp.Compare(a.Score, b.Score); c != 0 {
		return c
	}
	return cmp.Compare(a.Ref, b.Ref)
}

func lessRef(a, b Item) bool { return cmpRef(a, b) < 0 }

func benchItems() []Item {
	rng := rand.New(rand.NewPCG(1, 2))
	items := make([]Item, benchN)
	for i := range items {
		items[i] = Item{float64(rng.IntN(benchN)), uint32(i + 1)}
	}
	return items
}

func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

func BenchmarkIndex(b *testing.B) {
	items := benchItems()
	before := liveHeap()
	x := New(cmpRef)
	for _, it := range items {
		x.Insert(it)
	}
	heap := float64(liveHeap()-before) / benchN
	b.Run("Heap", func(b *testing.B) { b.ReportMetric(heap, "B/item") })
	rng := rand.New(rand.NewPCG(3, 4))
	b.Run("Insert+Delete", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			it := Item{float64(rng.IntN(benchN)), uint32(benchN + 1 + i)}
			x.Insert(it)
			x.Delete(it)
		}
	})
	b.Run("Rank", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, ok := x.Rank(items[rng.IntN(benchN)]); !ok {
				b.Fatal("missing")
			}
		}
	})
	b.Run("At", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			x.At(rng.IntN(benchN))
		}
	})
	runtime.KeepAlive(x)
}

func BenchmarkBTree(b *testing.B) {
	items := benchItems()
	before := liveHeap()
	t := btree.NewBTreeGOptions(lessRef, btree.Options{NoLocks: true})
	for _, it := range items {
		t.Set(it)
	}
	heap := float64(liveHeap()-before) / benchN
	b.Run("Heap", func(b *testing.B) { b.ReportMetric(heap, "B/item") })
	rng := rand.New(rand.NewPCG(3, 4))
	b.Run("Insert+Delete", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			it := Item{float64(rng.IntN(benchN)), uint32(benchN + 1 + i)}
			t.Set(it)
			t.Delete(it)
		}
	})
	b.Run("Rank", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			key := items[rng.IntN(benchN)]
			lo, hi := 0, t.Len()
			for lo < hi {
				mid := int(uint(lo+hi) >> 1)
				it, _ := t.GetAt(mid)
				if lessRef(it, key) {
					lo = mid + 1
				} else {
					hi = mid
				}
			}
			if it, _ := t.GetAt(lo); it != key {
				b.Fatal("missing")
			}
		}
	})
	b.Run("At", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			t.GetAt(rng.IntN(benchN))
		}
	})
	runtime.KeepAlive(t)
}
