package store

import (
	"runtime"
	"strconv"
	"testing"
	"time"
)

// benchDB returns database 0 of a new store with a transaction open.
func benchDB(b *testing.B) *DB {
	st := New(Options{Clock: NewManualClock(time.Unix(1_700_000_000, 0))})
	tx := st.Begin(TxOptions{AllDBs: true})
	b.Cleanup(tx.End)
	return st.DB(0)
}

func bigSet(b *testing.B, db *DB, key string, n int) {
	for i := 0; i < n; i += 1000 {
		ms := make([][]byte, 0, 1000)
		for j := i; j < min(i+1000, n); j++ {
			ms = append(ms, []byte("member:"+strconv.Itoa(j)))
		}
		db.SAdd([]byte(key), ms)
	}
}

// BenchmarkSetType times SADD, SISMEMBER and SPOP on sets of 10 small integers
// (intsets) and on a set of 1,000,000 strings (a hash table).
func BenchmarkSetType(b *testing.B) {
	b.Run("SAdd/small", func(b *testing.B) {
		db := benchDB(b)
		keys := make([][]byte, 1000)
		for i := range keys {
			keys[i] = []byte("set:" + strconv.Itoa(i))
		}
		ms := make([][]byte, 10)
		for i := range ms {
			ms[i] = []byte(strconv.Itoa(i))
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			k := keys[i%len(keys)]
			db.SAdd(k, ms[i%10:i%10+1])
			db.st.tx.Commit()
		}
	})
	b.Run("SAdd/1M", func(b *testing.B) {
		db := benchDB(b)
		bigSet(b, db, "big", 1_000_000)
		db.st.tx.Commit()
		m := [][]byte{nil}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			m[0] = []byte("new:" + strconv.Itoa(i))
			db.SAdd([]byte("big"), m)
			db.st.tx.Commit()
		}
	})
	b.Run("SIsMember/small", func(b *testing.B) {
		db := benchDB(b)
		db.SAdd([]byte("s"), byteSlices("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"))
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			s, _ := db.ReadSet([]byte("s"))
			s.Has([]byte("7"))
		}
	})
	b.Run("SIsMember/1M", func(b *testing.B) {
		db := benchDB(b)
		bigSet(b, db, "big", 1_000_000)
		probe := make([][]byte, 1024)
		for i := range probe {
			probe[i] = []byte("member:" + strconv.Itoa(i*977))
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			s, _ := db.ReadSet([]byte("big"))
			s.Has(probe[i%len(probe)])
		}
	})
	b.Run("SPop/small", func(b *testing.B) {
		db := benchDB(b)
		ms := byteSlices("0", "1", "2", "3", "4", "5", "6", "7", "8", "9")
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if i%10 == 0 {
				db.SAdd([]byte("s"), ms) // timed too: one SADD per ten SPOPs
			}
			db.SPop([]byte("s"))
			db.st.tx.Commit()
		}
	})
	b.Run("SPop/1M", func(b *testing.B) {
		db := benchDB(b)
		bigSet(b, db, "big", 1_000_000+b.N)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			db.SPop([]byte("big"))
			db.st.tx.Commit()
		}
	})
}

// heapInUse returns the live heap after a full collection.

// BenchmarkSetMemory reports live heap bytes per member (B/member) for one
// set of 1,000,000 strings ("member:N") and for 100,000 sets of 10 small
// integers (keys "set:N"), the shapes of the memory table. Redis
// 7.0.15 needs 56 and 10.6 bytes per member for them (used_memory).
func BenchmarkSetMemory(b *testing.B) {
	b.Run("1M-strings", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			before := heapInUse()
			db := benchDB(b)
			bigSet(b, db, "big", 1_000_000)
			b.ReportMetric(float64(heapInUse()-before)/1e6, "B/member")
			runtime.KeepAlive(db)
		}
	})
	b.Run("100k-sets-of-10-ints", func(b *testing.B) {
		ms := byteSlices("0", "1", "2", "3", "4", "5", "6", "7", "8", "9")
		for i := 0; i < b.N; i++ {
			before := heapInUse()
			db := benchDB(b)
			for k := 0; k < 100_000; k++ {
				db.SAdd([]byte("set:"+strconv.Itoa(k)), ms)
				if k%1000 == 0 {
					db.st.tx.Commit() // drop the change records
				}
			}
			db.st.tx.Commit()
			b.ReportMetric(float64(heapInUse()-before)/1e6, "B/member")
			runtime.KeepAlive(db)
		}
	})
}
