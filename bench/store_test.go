package bench

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/redoubt-db/redoubt/store"
)

// Working-set sizes for the lookups: one that stays in the CPU caches,
// redis-benchmark's key space (-r 100000), and the memory comparison's.
var storeSizes = []int{1_000, 100_000, 1_000_000}

// stride visits keys out of insertion order, so that entries allocated one
// after the other are not also read one after the other. It is prime and
// coprime with every size in storeSizes.
const stride = 7919

// value16 is the 16-byte value the memory figures use.
var value16 = []byte("value:0000000000")

// loadedDB returns database 0 of a new store holding n keys made by putKey
// with prefix "key:", each with a 16-byte value. The caller has no
// transaction open.
func loadedDB(n int) *store.DB {
	st := store.New(store.Options{})
	db := st.DB(0)
	tx := db.Store().Begin(store.TxOptions{})
	defer tx.End()
	var kb [keyLen]byte
	for i := 0; i < n; i++ {
		tx.Commit() // one step per command, as the dispatcher does
		if _, err := db.Set(putKey(kb[:], "key:", i), value16, store.SetOptions{}); err != nil {
			panic(err)
		}
	}
	return db
}

// BenchmarkStore measures the store's string operations through its exported
// API, as a handler calls them. One transaction is held for the whole loop,
// as a connection holds one across a pipelined batch, and each operation is
// committed as a step, so these figures are the data structure's cost
// without locking.
func BenchmarkStore(b *testing.B) {
	for _, n := range storeSizes {
		db := loadedDB(n)
		b.Run(fmt.Sprintf("Get/keys=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			var kb [keyLen]byte
			tx := db.Store().Begin(store.TxOptions{})
			defer tx.End()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				tx.Commit() // one step per command, as the dispatcher does
				if _, ok, _ := db.Get(putKey(kb[:], "key:", i*stride%n)); !ok {
					b.Fatal("GET missed a loaded key")
				}
			}
		})
		b.Run(fmt.Sprintf("GetMiss/keys=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			var kb [keyLen]byte
			tx := db.Store().Begin(store.TxOptions{})
			defer tx.End()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				tx.Commit() // one step per command, as the dispatcher does
				if _, ok, _ := db.Get(putKey(kb[:], "nop:", i*stride%n)); ok {
					b.Fatal("GET found a key never set")
				}
			}
		})
		b.Run(fmt.Sprintf("SetOverwrite/keys=%d", n), func(b *testing.B) {
			// A value of the same length is written in place.
			b.ReportAllocs()
			var kb [keyLen]byte
			val := []byte("value:1111111111")
			tx := db.Store().Begin(store.TxOptions{})
			defer tx.End()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				tx.Commit() // one step per command, as the dispatcher does
				db.Set(putKey(kb[:], "key:", i*stride%n), val, store.SetOptions{})
			}
		})
		b.Run(fmt.Sprintf("SetOverwriteTTL/keys=%d", n), func(b *testing.B) {
			// SET … PX: the deadline is cleared and set again each time.
			b.ReportAllocs()
			var kb [keyLen]byte
			opt := store.SetOptions{At: db.Store().NowMs() + 3_600_000}
			tx := db.Store().Begin(store.TxOptions{})
			defer tx.End()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				tx.Commit() // one step per command, as the dispatcher does
				db.Set(putKey(kb[:], "key:", i*stride%n), value16, opt)
			}
			b.StopTimer()
			// Leave the database as the other sub-benchmarks expect it.
			for i := 0; i < n; i++ {
				tx.Commit() // one step per command, as the dispatcher does
				db.Set(putKey(kb[:], "key:", i), value16, store.SetOptions{})
			}
		})
	}
	b.Run("Set", func(b *testing.B) {
		// Every SET creates a key, so the table grows (and rehashes
		// incrementally) as it would while a data set loads.
		b.ReportAllocs()
		db := store.New(store.Options{}).DB(0)
		var kb [keyLen]byte
		tx := db.Store().Begin(store.TxOptions{})
		defer tx.End()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			tx.Commit() // one step per command, as the dispatcher does
			db.Set(putKey(kb[:], "key:", i), value16, store.SetOptions{})
		}
	})
	b.Run("SetInt", func(b *testing.B) {
		// An integer value is recognised as such (OBJECT ENCODING int).
		b.ReportAllocs()
		db := loadedDB(1000)
		var kb [keyLen]byte
		val := []byte("1234567")
		tx := db.Store().Begin(store.TxOptions{})
		defer tx.End()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			tx.Commit() // one step per command, as the dispatcher does
			db.Set(putKey(kb[:], "key:", i*stride%1000), val, store.SetOptions{})
		}
	})
	b.Run("Delete+Set", func(b *testing.B) {
		// A key deleted and created again: the entry is freed and
		// allocated anew.
		b.ReportAllocs()
		db := loadedDB(1000)
		var kb [keyLen]byte
		tx := db.Store().Begin(store.TxOptions{})
		defer tx.End()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			tx.Commit() // one step per command, as the dispatcher does
			k := putKey(kb[:], "key:", i*stride%1000)
			db.Delete(k)
			db.Set(k, value16, store.SetOptions{})
		}
	})
}

// BenchmarkStoreMemory loads 1,000,000 keys of 16 bytes with 16-byte values,
// the shape of the memory comparison with Redis (104 bytes per key there),
// and reports the live Go heap per key after a collection. The time per
// operation is the time to load all of them.
func BenchmarkStoreMemory(b *testing.B) {
	const n = 1_000_000
	var perKey float64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		before := liveHeap()
		b.StartTimer()
		db := loadedDB(n)
		b.StopTimer()
		after := liveHeap()
		if db.Len() != n {
			b.Fatalf("loaded %d keys, want %d", db.Len(), n)
		}
		runtime.KeepAlive(db)
		perKey += float64(after-before) / n
		b.StartTimer()
	}
	b.ReportMetric(perKey/float64(b.N), "heap-B/key")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/key")
}

// liveHeap returns the bytes of live heap objects after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
