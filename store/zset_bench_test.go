package store

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"testing"
)

// The sorted set benchmarks of the issue: ZADD of random scores into a
// 1,000,000-member set, ZRANK and ZRANGEBYSCORE … LIMIT 0 10 on it, and the
// heap each member costs in one big set and in many small ones. Compare
// with redis-server's figures in the report (make bench-vs-redis measures
// over the wire).

const bigZSet = 1_000_000

func zmember(buf []byte, i int) []byte {
	return strconv.AppendInt(append(buf[:0], "member:"...), int64(i), 10)
}

// fillBigZSet loads key with bigZSet members of random scores.
func fillBigZSet(b *testing.B, db *DB, key []byte) {
	rng := rand.New(rand.NewPCG(1, 2))
	var buf []byte
	batch := make([]ScoredMember, 0, 1000)
	for i := 0; i < bigZSet; i++ {
		buf = zmember(nil, i)
		batch = append(batch, ScoredMember{buf, float64(rng.IntN(1_000_000))})
		if len(batch) == cap(batch) {
			if _, err := db.ZAdd(key, batch, ZAddFlags{}); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
}

func BenchmarkZSetBig(b *testing.B) {
	db, _ := testDB(b)
	key := []byte("big")
	fillBigZSet(b, db, key)
	rng := rand.New(rand.NewPCG(3, 4))
	b.Run("ZADD-random", func(b *testing.B) {
		var buf []byte
		ms := make([]ScoredMember, 1)
		for i := 0; i < b.N; i++ {
			buf = zmember(buf, rng.IntN(bigZSet))
			ms[0] = ScoredMember{buf, float64(rng.IntN(1_000_000))}
			db.ZAdd(key, ms, ZAddFlags{})
		}
	})
	b.Run("ZRANK", func(b *testing.B) {
		var buf []byte
		for i := 0; i < b.N; i++ {
			buf = zmember(buf, rng.IntN(bigZSet))
			if _, ok, _ := db.ZRank(key, buf, false); !ok {
				b.Fatal("missing member")
			}
		}
	})
	b.Run("ZRANGEBYSCORE-LIMIT-0-10", func(b *testing.B) {
		n := 0
		for i := 0; i < b.N; i++ {
			lo := float64(rng.IntN(1_000_000))
			r := ScoreRange{Min: ScoreBound{Value: lo}, Max: ScoreBound{Value: 1e9}}
			db.ZRange(key, ZRangeSpec{Score: &r, Limit: 10}, func(int) {}, func([]byte, float64) { n++ })
		}
		_ = n
	})
}

// heapAfter returns the live heap after a collection.
func heapAfter() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// BenchmarkZSetMemory reports the heap bytes per member of one sorted set
// of 1,000,000 members and of 100,000 sorted sets of 10 members, members
// "member:N" and integral scores as redis-benchmark-like loads make them.
// The key and its entry are counted; the store's empty overhead is not.
func BenchmarkZSetMemory(b *testing.B) {
	for _, shape := range []struct {
		name         string
		keys, perKey int
	}{{"1x1000000", 1, bigZSet}, {"100000x10", 100_000, 10}} {
		b.Run(shape.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				db, _ := testDB(b)
				before := heapAfter()
				rng := rand.New(rand.NewPCG(1, 2))
				ms := make([]ScoredMember, 0, shape.perKey)
				tx := db.st.tx
				for k := 0; k < shape.keys; k++ {
					key := []byte(fmt.Sprintf("zset:%d", k))
					for j := 0; j < shape.perKey; j++ {
						ms = append(ms, ScoredMember{zmember(nil, j), float64(rng.IntN(1_000_000))})
						if len(ms) == 1000 || j == shape.perKey-1 {
							db.ZAdd(key, ms, ZAddFlags{})
							ms = ms[:0]
							// One step per command, as the server commits
							// them: the change log does not pile up.
							tx.Commit()
						}
					}
				}
				after := heapAfter()
				b.ReportMetric(float64(after-before)/float64(shape.keys*shape.perKey), "B/member")
				runtime.KeepAlive(db)
			}
		})
	}
}
