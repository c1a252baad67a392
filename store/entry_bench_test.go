package store

import (
	"fmt"
	"testing"
)

// BenchmarkAppendLarge builds a value by APPENDing 1 MiB at a time, as the
// issue's client did, and reports the time per append. Growth is linear when
// that time stays the same as the value grows (appends=64 … 256); with the
// old policy of 1 MiB of slack past 1 MiB, every append copied the whole
// value and the time per append grew with it.
func BenchmarkAppendLarge(b *testing.B) {
	chunk := make([]byte, 1<<20)
	for _, appends := range []int{64, 128, 256} {
		b.Run(fmt.Sprintf("appends=%d", appends), func(b *testing.B) {
			db, _ := testDB(b)
			key := []byte("big")
			build := func() {
				db.Delete(key)
				for j := 0; j < appends; j++ {
					if _, err := db.Append(key, chunk, maxPayload); err != nil {
						b.Fatal(err)
					}
				}
			}
			// Build once untimed, so that the heap has grown to its
			// size: first touches of memory from the operating system
			// cost more than the copying measured here.
			build()
			b.SetBytes(int64(appends * len(chunk)))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				build()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*appends), "ns/append")
		})
	}
}
