package store

import (
	"fmt"
	"testing"
)

// BenchmarkRandomKeyAfterDelete loads a database, deletes all its keys but
// kept, and times RANDOMKEY with no cron running, as right after a client
// deletes most of a large data set. Before tables shrank on remove, each
// call probed about size/kept empty buckets (milliseconds for 100 keys left
// of a million) until the cron's resize caught up.
func BenchmarkRandomKeyAfterDelete(b *testing.B) {
	const n = 1_000_000
	for _, kept := range []int{100, 10_000} {
		b.Run(fmt.Sprintf("keys=%d/kept=%d", n, kept), func(b *testing.B) {
			db, _ := testDB(b)
			val := []byte("value:0000000000")
			for i := 0; i < n; i++ {
				db.Set(fmt.Appendf(nil, "key:%d", i), val, SetOptions{})
			}
			for i := kept; i < n; i++ {
				db.Delete(fmt.Appendf(nil, "key:%d", i))
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, ok := db.RandomKey(); !ok {
					b.Fatal("RandomKey found no key")
				}
			}
		})
	}
}
