package dict

import (
	"fmt"
	"runtime"
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

const benchN = 1 << 20

func BenchmarkGet(b *testing.B) {
	keys, vals := benchKeys(benchN)
	b.Run("impl=dict", func(b *testing.B) {
		d := New(0)
		for i := range keys {
			d.Set(keys[i], vals[i])
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, ok := d.Get(keys[i&(benchN-1)]); !ok {
				b.Fatal("missing")
			}
		}
	})
	b.Run("impl=map", func(b *testing.B) {
		m := map[string]string{}
		for i := range keys {
			m[string(keys[i])] = string(vals[i])
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, ok := m[string(keys[i&(benchN-1)])]; !ok {
				b.Fatal("missing")
			}
		}
	})
}

// BenchmarkSet inserts into a fresh table of benchN elements, then
// overwrites: each op is one Set.
func BenchmarkSet(b *testing.B) {
	keys, vals := benchKeys(benchN)
	b.Run("impl=dict", func(b *testing.B) {
		d := New(0)
		for i := 0; i < b.N; i++ {
			d.Set(keys[i&(benchN-1)], vals[i&(benchN-1)])
		}
	})
	b.Run("impl=map", func(b *testing.B) {
		m := map[string]string{}
		for i := 0; i < b.N; i++ {
			m[string(keys[i&(benchN-1)])] = string(vals[i&(benchN-1)])
		}
	})
}

// BenchmarkSetDelete keeps a table of benchN/2 elements, deleting one and
// adding another per op: churn that exercises compaction.
func BenchmarkSetDelete(b *testing.B) {
	keys, vals := benchKeys(benchN)
	const half = benchN / 2
	b.Run("impl=dict", func(b *testing.B) {
		d := New(0)
		for i := 0; i < half; i++ {
			d.Set(keys[i], vals[i])
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			d.Delete(keys[i&(benchN-1)])
			j := (i + half) & (benchN - 1)
			d.Set(keys[j], vals[j])
		}
	})
	b.Run("impl=map", func(b *testing.B) {
		m := map[string]string{}
		for i := 0; i < half; i++ {
			m[string(keys[i])] = string(vals[i])
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			delete(m, string(keys[i&(benchN-1)]))
			j := (i + half) & (benchN - 1)
			m[string(keys[j])] = string(vals[j])
		}
	})
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
// same before building it), against a
// map[string]string holding the same.
func BenchmarkMemory(b *testing.B) {
	const n = 1_000_000
	for _, impl := range []string{"dict", "map"} {
		b.Run("impl="+impl, func(b *testing.B) {
			for it := 0; it < b.N; it++ {
				base := heapAfterGC()
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
