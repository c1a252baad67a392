package dict

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"runtime/metrics"
	"strconv"
	"testing"
	"time"
)

// benchKeys returns n small fields like a hash's: "field:N" → "value:N".
func benchKeys(n int) (keys, vals [][]byte) {
	keys = make([][]byte, n)
	vals = make([][]byte, n)
	for i := range keys {
		keys[i] = []byte("field:" + strconv.Itoa(i))
		vals[i] = []byte("value:" + strconv.Itoa(i))
	}
	return keys, vals
}

// benchSizes are a table that fits in cache and one that does not.
var benchSizes = []int{1 << 10, 1 << 20}

func BenchmarkGet(b *testing.B) {
	for _, n := range benchSizes {
		keys, vals := benchKeys(n)
		mask := n - 1
		b.Run(fmt.Sprintf("n=%d/impl=dict", n), func(b *testing.B) {
			d := New(0)
			for i := range keys {
				d.Set(keys[i], vals[i])
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, ok := d.Get(keys[i&mask]); !ok {
					b.Fatal("missing")
				}
			}
		})
		b.Run(fmt.Sprintf("n=%d/impl=map", n), func(b *testing.B) {
			m := map[string]string{}
			for i := range keys {
				m[string(keys[i])] = string(vals[i])
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, ok := m[string(keys[i&mask])]; !ok {
					b.Fatal("missing")
				}
			}
		})
	}
}

// BenchmarkSet inserts n elements into a fresh table, then overwrites them:
// each op is one Set.
func BenchmarkSet(b *testing.B) {
	for _, n := range benchSizes {
		keys, vals := benchKeys(n)
		mask := n - 1
		b.Run(fmt.Sprintf("n=%d/impl=dict", n), func(b *testing.B) {
			d := New(0)
			for i := 0; i < b.N; i++ {
				d.Set(keys[i&mask], vals[i&mask])
			}
		})
		b.Run(fmt.Sprintf("n=%d/impl=map", n), func(b *testing.B) {
			m := map[string]string{}
			for i := 0; i < b.N; i++ {
				m[string(keys[i&mask])] = string(vals[i&mask])
			}
		})
	}
}

// BenchmarkSetDelete keeps a table of n/2 elements, deleting one and adding
// another per op: churn that exercises the freeing of chunks. With
// order=random the victims are spread out, so compaction moves elements.
func BenchmarkSetDelete(b *testing.B) {
	for _, n := range benchSizes {
		keys, vals := benchKeys(n)
		mask := n - 1
		half := n / 2
		for _, random := range []bool{false, true} {
			perm := make([]int, n)
			for i := range perm {
				perm[i] = i
			}
			if random {
				r := rand.New(rand.NewPCG(1, 2))
				r.Shuffle(n, func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
			}
			order := map[bool]string{false: "fifo", true: "random"}[random]
			b.Run(fmt.Sprintf("n=%d/order=%s/impl=dict", n, order), func(b *testing.B) {
				d := New(0)
				for i := 0; i < half; i++ {
					d.Set(keys[perm[i]], vals[perm[i]])
				}
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					d.Delete(keys[perm[i&mask]])
					j := perm[(i+half)&mask]
					d.Set(keys[j], vals[j])
				}
				b.ReportMetric(float64(d.Bytes())/float64(d.Len()), "B/elem")
			})
			b.Run(fmt.Sprintf("n=%d/order=%s/impl=map", n, order), func(b *testing.B) {
				m := map[string]string{}
				for i := 0; i < half; i++ {
					m[string(keys[perm[i]])] = string(vals[perm[i]])
				}
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					delete(m, string(keys[perm[i&mask]]))
					j := perm[(i+half)&mask]
					m[string(keys[j])] = string(vals[j])
				}
			})
		}
	}
}

// scannableHeap returns the heap bytes the garbage collector must scan for
// pointers, as of the last GC.
func scannableHeap() uint64 {
	s := []metrics.Sample{{Name: "/gc/scan/heap:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func heapAfterGC() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// BenchmarkMemory reports heap bytes per element of a 1M-field hash of
// small fields ("field:N" → "value:N", 13+13 bytes at most) after a GC,
// and the time of a full GC with the table live (gc-µs; gc-empty-µs is the
// same before building it) and the heap bytes the GC must scan for pointers
// (scanB/elem), against a
// map[string]string holding the same.
func BenchmarkMemory(b *testing.B) {
	const n = 1_000_000
	for _, impl := range []string{"dict", "map"} {
		b.Run("impl="+impl, func(b *testing.B) {
			for it := 0; it < b.N; it++ {
				base := heapAfterGC()
				baseScan := scannableHeap()
				start := time.Now()
				runtime.GC()
				b.ReportMetric(float64(time.Since(start).Microseconds()), "gc-empty-µs")
				var keep any
				if impl == "dict" {
					d := New(0)
					var kb, vb []byte
					for i := 0; i < n; i++ {
						kb = strconv.AppendInt(append(kb[:0], "field:"...), int64(i), 10)
						vb = strconv.AppendInt(append(vb[:0], "value:"...), int64(i), 10)
						d.Set(kb, vb)
					}
					keep = d
				} else {
					m := map[string]string{}
					for i := 0; i < n; i++ {
						m["field:"+strconv.Itoa(i)] = "value:" + strconv.Itoa(i)
					}
					keep = m
				}
				after := heapAfterGC()
				start = time.Now()
				runtime.GC()
				gc := time.Since(start)
				b.ReportMetric(float64(after-base)/n, "heapB/elem")
				b.ReportMetric(float64(int64(scannableHeap())-int64(baseScan))/n, "scanB/elem")
				b.ReportMetric(float64(gc.Microseconds()), "gc-µs")
				if d, ok := keep.(*Dict); ok {
					b.ReportMetric(float64(d.Bytes())/n, "BytesB/elem")
				}
				runtime.KeepAlive(keep)
			}
		})
	}
}

// BenchmarkRandom draws from a table that lost 99% of its elements.
func BenchmarkRandom(b *testing.B) {
	for _, sparse := range []bool{false, true} {
		b.Run(fmt.Sprintf("sparse=%v", sparse), func(b *testing.B) {
			keys, vals := benchKeys(1 << 18)
			d := New(0)
			for i := range keys {
				d.Set(keys[i], vals[i])
			}
			if sparse {
				for i := range keys {
					if i%100 != 0 {
						d.Delete(keys[i])
					}
				}
			}
			x := uint64(1)
			rnd := func(n int) int {
				x ^= x << 13
				x ^= x >> 7
				x ^= x << 17
				return int(x % uint64(n))
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				d.Random(rnd)
			}
		})
	}
}
