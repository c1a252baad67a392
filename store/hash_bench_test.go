package store

import (
	"runtime"
	"strconv"
	"testing"
)

// The shapes the benchmarks and the memory figures use, as bench/ loads
// them into redis-server for comparison: small hashes of ten fields
// "field:0".."field:9" with values "value:N", and one hash whose fields are
// "field:N" with values "value:N".
const (
	smallHashFields = 10
	bigHashFields   = 1_000_000
)

func fieldName(i int) []byte { return strconv.AppendInt([]byte("field:"), int64(i), 10) }
func fieldVal(i int) []byte  { return strconv.AppendInt([]byte("value:"), int64(i), 10) }

// loadBigHash fills key with n fields in batches of 1000, one step each.
func loadBigHash(db *DB, key []byte, n int) {
	pairs := make([][]byte, 0, 2000)
	for i := 0; i < n; i++ {
		pairs = append(pairs, fieldName(i), fieldVal(i))
		if len(pairs) == cap(pairs) || i == n-1 {
			db.HSet(key, pairs)
			db.st.tx.Commit()
			pairs = pairs[:0]
		}
	}
}

// BenchmarkHSet sets an existing field and adds new ones, in a hash of ten
// fields (a listpack) and in one of a million (a hash table).
func BenchmarkHSet(b *testing.B) {
	b.Run("small/update", func(b *testing.B) {
		db, _ := testDB(b)
		key := []byte("h")
		loadBigHash(db, key, smallHashFields)
		f, v := fieldName(5), []byte("value:x")
		pair := [][]byte{f, v}
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			db.st.tx.Commit()
			db.HSet(key, pair)
		}
	})
	b.Run("small/new-keys", func(b *testing.B) {
		db, _ := testDB(b)
		pairs := make([][]byte, 0, 2*smallHashFields)
		for j := 0; j < smallHashFields; j++ {
			pairs = append(pairs, fieldName(j), fieldVal(j))
		}
		keys := make([][]byte, b.N)
		for i := range keys {
			keys[i] = strconv.AppendInt([]byte("hash:"), int64(i), 10)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			db.st.tx.Commit()
			db.HSet(keys[i], pairs) // ten fields per call
		}
	})
	b.Run("big/update", func(b *testing.B) {
		db, _ := testDB(b)
		key := []byte("h")
		loadBigHash(db, key, bigHashFields)
		fields := make([][][]byte, 4096)
		for i := range fields {
			fields[i] = [][]byte{fieldName(i * 241 % bigHashFields), []byte("value:y")}
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			db.st.tx.Commit()
			db.HSet(key, fields[i%len(fields)])
		}
	})
	b.Run("big/add", func(b *testing.B) {
		db, _ := testDB(b)
		key := []byte("h")
		loadBigHash(db, key, bigHashFields)
		pairs := make([][][]byte, b.N)
		for i := range pairs {
			pairs[i] = [][]byte{fieldName(bigHashFields + i), fieldVal(i)}
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			db.st.tx.Commit()
			db.HSet(key, pairs[i])
		}
	})
}

// BenchmarkHGet reads a field of a listpack hash of ten fields and of a
// hash table of a million.
func BenchmarkHGet(b *testing.B) {
	for _, n := range []int{smallHashFields, bigHashFields} {
		b.Run("fields="+strconv.Itoa(n), func(b *testing.B) {
			db, _ := testDB(b)
			key := []byte("h")
			loadBigHash(db, key, n)
			fields := make([][]byte, 4096)
			for i := range fields {
				fields[i] = fieldName(i * 241 % n)
			}
			var buf [24]byte
			sink := 0
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				db.st.tx.Commit()
				v, _, _ := db.HGet(key, fields[i%len(fields)], buf[:0])
				sink += len(v)
			}
			if sink == 0 {
				b.Fatal("HGet found nothing")
			}
		})
	}
}

// heapInUse returns the live heap after a full collection.
func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkHashMemory reports the live heap per field of 100,000 hashes of
// ten fields and of one hash of a million fields, keys and entries
// included (run it with -benchtime=1x; the figure is the metric B/field).
func BenchmarkHashMemory(b *testing.B) {
	b.Run("100000x10", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			db, _ := testDB(b)
			before := heapInUse()
			pairs := make([][]byte, 0, 2*smallHashFields)
			for j := 0; j < smallHashFields; j++ {
				pairs = append(pairs, fieldName(j), fieldVal(j))
			}
			const hashes = 100_000
			for k := 0; k < hashes; k++ {
				db.HSet(strconv.AppendInt([]byte("hash:"), int64(k), 10), pairs)
				db.st.tx.Commit()
			}
			after := heapInUse()
			b.ReportMetric(float64(after-before)/(hashes*smallHashFields), "B/field")
			runtime.KeepAlive(db)
		}
	})
	b.Run("1x1000000", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			db, _ := testDB(b)
			before := heapInUse()
			loadBigHash(db, []byte("h"), bigHashFields)
			after := heapInUse()
			b.ReportMetric(float64(after-before)/bigHashFields, "B/field")
			runtime.KeepAlive(db)
		}
	})
}
