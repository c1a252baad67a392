package store

import (
	"fmt"
	"runtime"
	"strconv"
	"testing"
)

// BenchmarkListPushPop pushes and pops single elements at either end of a
// list of 10 or 1000 elements (inline, one node) and of 100,000 (many
// nodes), as redis-benchmark's LPUSH, RPUSH, LPOP and RPOP do; pops go
// through ListPopEach, as the server's LPOP and RPOP do.
func BenchmarkListPushPop(b *testing.B) {
	val := [][]byte{[]byte("xxx")}
	for _, size := range []int{10, 1000, 100000} {
		for _, left := range []bool{true, false} {
			end := "R"
			if left {
				end = "L"
			}
			b.Run(fmt.Sprintf("%sPUSH+%sPOP/len=%d", end, end, size), func(b *testing.B) {
				db := benchDB(b)
				key := []byte("l")
				for range size {
					db.ListPush(key, val, false, false)
				}
				b.ReportAllocs()
				b.ResetTimer()
				for i := range b.N {
					db.ListPush(key, val, left, false)
					db.ListPopEach(key, left, 1, func(int) {}, func([]byte) {})
					if i%256 == 0 {
						db.st.tx.Commit()
					}
				}
			})
		}
	}
	b.Run("RPUSH-grow", func(b *testing.B) {
		db := benchDB(b)
		b.ReportAllocs()
		for i := range b.N {
			db.ListPush([]byte("l"), val, false, false)
			if i%256 == 0 {
				db.st.tx.Commit()
			}
		}
	})
}

// BenchmarkListRange reads the first 100, 300 and 600 elements of a list,
// as redis-benchmark's LRANGE_100…600 do (its list holds "xxx" elements),
// from a 600-element list (inline) and from a long one.
func BenchmarkListRange(b *testing.B) {
	for _, size := range []int{600, 100000} {
		for _, n := range []int{100, 300, 600} {
			b.Run(fmt.Sprintf("len=%d/first=%d", size, n), func(b *testing.B) {
				db := benchDB(b)
				key := []byte("l")
				for range size {
					db.ListPush(key, [][]byte{[]byte("xxx")}, true, false)
				}
				total := 0
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					db.ListRange(key, 0, int64(n-1), func(int) {}, func(v []byte) { total += len(v) })
				}
			})
		}
	}
	b.Run("LINDEX-middle/len=100000", func(b *testing.B) {
		db := benchDB(b)
		key := []byte("l")
		for i := range 100000 {
			db.ListPush(key, [][]byte{[]byte(strconv.Itoa(i))}, false, false)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			db.ListIndex(key, int64(i%100000), nil)
		}
	})
}

// listElement is element i of the memory benchmarks: a 10-byte string,
// the same redis-memory comparisons load into redis-server.
func listElement(i int) []byte { return []byte(fmt.Sprintf("e%09d", i)) }

// BenchmarkListMemory reports the live heap per element of one list of a
// million elements and of 100,000 lists of ten (keys included), as
// "B/elem", for comparison with redis-server's used_memory for the same
// data.
func BenchmarkListMemory(b *testing.B) {
	b.Run("1x1000000", func(b *testing.B) {
		for range b.N {
			b.StopTimer()
			before := heapInUse()
			db := benchDB(b)
			b.StartTimer()
			for i := range 1000000 {
				db.ListPush([]byte("list"), [][]byte{listElement(i)}, false, false)
				if i%1000 == 0 {
					db.st.tx.Commit() // drop the change log
				}
			}
			db.st.tx.Commit()
			b.StopTimer()
			b.ReportMetric(float64(heapInUse()-before)/1e6, "B/elem")
			runtime.KeepAlive(db)
		}
	})
	b.Run("100000x10", func(b *testing.B) {
		for range b.N {
			b.StopTimer()
			before := heapInUse()
			db := benchDB(b)
			b.StartTimer()
			vals := make([][]byte, 10)
			for k := range 100000 {
				for i := range vals {
					vals[i] = listElement(k*10 + i)
				}
				db.ListPush([]byte("list:"+strconv.Itoa(k)), vals, false, false)
				if k%1000 == 0 {
					db.st.tx.Commit() // drop the change log
				}
			}
			db.st.tx.Commit()
			b.StopTimer()
			b.ReportMetric(float64(heapInUse()-before)/1e6, "B/elem")
			runtime.KeepAlive(db)
		}
	})
}
