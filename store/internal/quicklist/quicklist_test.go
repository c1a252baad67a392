package quicklist

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/redoubt-db/redoubt/store/internal/listpack"
	"github.com/redoubt-db/redoubt/store/internal/lzf"
)

// contents returns every element of l, head first, by Range, and checks
// that RangeBack, Next and Prev agree with it.
func contents(t *testing.T, l *List) []string {
	t.Helper()
	var fwd, back, walk []string
	l.Range(0, l.Len(), func(v []byte) { fwd = append(fwd, string(v)) })
	if l.Len() > 0 {
		l.RangeBack(l.Len()-1, l.Len(), func(v []byte) { back = append(back, string(v)) })
	}
	for p := l.Head(); p.Valid(); p = l.Next(p) {
		walk = append(walk, string(l.Get(p, nil)))
	}
	slices.Reverse(back)
	if len(fwd) != l.Len() || !slices.Equal(fwd, back) || !slices.Equal(fwd, walk) {
		t.Fatalf("Range %q, RangeBack reversed %q, Next walk %q, Len %d", fwd, back, walk, l.Len())
	}
	var prev []string
	for p := l.Tail(); p.Valid(); p = l.Prev(p) {
		prev = append(prev, string(l.Get(p, nil)))
	}
	slices.Reverse(prev)
	if !slices.Equal(fwd, prev) {
		t.Fatalf("Prev walk %q, want %q", prev, fwd)
	}
	return fwd
}

// TestAllowInsert checks Redis's node fill rules: a size limit for
// negative fills, a count limit under the 8 KiB safety limit for positive
// ones, and never for an element of 1 GiB.
func TestAllowInsert(t *testing.T) {
	node := func(n, size int) []byte {
		lp := listpack.New(0)
		for range n {
			lp = listpack.Append(lp, bytes.Repeat([]byte("a"), size))
		}
		return lp
	}
	small := node(3, 10) // 3 elements of 12 bytes: 43 bytes
	big := node(1, 8000) // one element: 8014 bytes
	tests := []struct {
		lp   []byte
		fill int
		sz   int
		want bool
	}{
		{small, 4, 10, true},
		{small, 3, 10, false},
		{small, 0, 10, false},
		{small, 100, 8200, false}, // past the safety limit
		{small, -1, 4000, true},   // 43+4000+8 ≤ 4096
		{small, -1, 4050, false},  // 43+4050+8 > 4096
		{big, -2, 170, true},      // 8014+170+8 ≤ 8192
		{big, -2, 171, false},
		{big, -3, 8000, true},
		{big, -9, 40000, true}, // clamped to -5: 64 KiB
		{small, 40000, 10, true},
		{small, -2, 1 << 30, false},
		{nil, -2, 1, false},
	}
	for i, tt := range tests {
		if got := AllowInsert(tt.lp, tt.fill, tt.sz); got != tt.want {
			t.Errorf("%d: AllowInsert(%d bytes, fill %d, sz %d) = %v", i, len(tt.lp), tt.fill, tt.sz, got)
		}
	}
	if ClampFill(1<<20) != 1<<15 || ClampFill(-100) != -5 || ClampFill(7) != 7 {
		t.Error("ClampFill")
	}
}

// TestListModel runs random operations on a List and on a slice model,
// with small fills so that nodes split, merge and empty often.
// With a compress depth, it checks after each operation (and Compress)
// that the nodes within the depth of either end are raw and the others
// compressed exactly when LZF saves enough; now and then it changes the
// depth.
func TestListModel(t *testing.T) {
	for _, depth := range []int{0, 1, 2} {
		for _, fill := range []int{1, 2, 3, 7, -1, 0} {
			t.Run(fmt.Sprintf("depth=%d/fill=%d", depth, fill), func(t *testing.T) {
				listModel(t, depth, fill)
			})
		}
	}
}

// checkCompression checks every node of l is compressed exactly when it
// should be under compress depth d, and returns how many are.
func checkCompression(t *testing.T, l *List, d int) int {
	t.Helper()
	n, comp := l.Nodes(), 0
	for i := 0; i < n; i++ {
		interior := d > 0 && i >= d && i < n-d
		if !interior {
			if l.Compressed(i) {
				t.Fatalf("node %d of %d compressed at depth %d", i, n, d)
			}
			continue
		}
		if l.Compressed(i) {
			comp++
			continue
		}
		// A raw interior node must be one LZF cannot shrink enough.
		lp := l.Node(i)
		if len(lp) < minCompressBytes {
			continue
		}
		if _, ok := lzf.Compress(lp, len(lp)-minCompressImprove-1); ok {
			t.Fatalf("interior node %d of %d (%d bytes) raw but compressible", i, n, len(lp))
		}
	}
	if comp != l.CompressedNodes() {
		t.Fatalf("%d compressed nodes, counted %d", comp, l.CompressedNodes())
	}
	return comp
}

func listModel(t *testing.T, depth, fill int) {
	{
		{
			r := rand.New(rand.NewPCG(uint64(fill+100), uint64(depth)))
			l := &List{}
			l.SetCompressDepth(depth)
			var m []string
			elem := func() string {
				switch r.IntN(10) {
				case 0:
					return string(bytes.Repeat([]byte("b"), 100+r.IntN(2000)))
				case 1: // incompressible
					b := make([]byte, 50+r.IntN(200))
					for i := range b {
						b[i] = byte(r.Uint32())
					}
					return string(b)
				}
				return strconv.Itoa(r.IntN(50))
			}
			everCompressed := false
			for range 300 { // enough nodes for an interior
				v := elem()
				l.PushTail([]byte(v), fill)
				m = append(m, v)
			}
			steps := 3000
			if depth > 0 {
				steps = 1000
			}
			for step := 0; step < steps; step++ {
				switch op := r.IntN(10); op {
				case 9:
					if depth > 0 && r.IntN(10) == 0 {
						// A new depth applies at the next Compress.
						l.SetCompressDepth(r.IntN(4))
					}
					continue
				case 0:
					v := elem()
					l.PushHead([]byte(v), fill)
					m = append([]string{v}, m...)
				case 1:
					v := elem()
					l.PushTail([]byte(v), fill)
					m = append(m, v)
				case 2, 3:
					head := op == 2
					v, ok := l.Pop(head, nil)
					if ok != (len(m) > 0) {
						t.Fatalf("step %d: Pop ok %v with %d elements", step, ok, len(m))
					}
					if ok {
						want := m[len(m)-1]
						if head {
							want, m = m[0], m[1:]
						} else {
							m = m[:len(m)-1]
						}
						if string(v) != want {
							t.Fatalf("step %d: Pop = %q, want %q", step, v, want)
						}
					}
				case 4:
					if len(m) == 0 {
						continue
					}
					i := r.IntN(len(m))
					after := r.IntN(2) == 0
					v := elem()
					l.Insert(l.Seek(i), after, []byte(v), fill)
					if after {
						i++
					}
					m = slices.Insert(m, i, v)
				case 5:
					if len(m) == 0 {
						continue
					}
					i := r.IntN(len(m))
					v := elem()
					l.Replace(l.Seek(i-len(m)), []byte(v))
					m[i] = v
				case 6:
					if len(m) == 0 {
						continue
					}
					i := r.IntN(len(m))
					next := l.Delete(l.Seek(i))
					m = slices.Delete(m, i, i+1)
					if i < len(m) != next.Valid() || (next.Valid() && string(l.Get(next, nil)) != m[i]) {
						t.Fatalf("step %d: Delete(%d) returned %+v", step, i, next)
					}
				case 7:
					start, n := r.IntN(len(m)+2), r.IntN(5)
					l.DeleteRange(start, n)
					if start < len(m) {
						m = slices.Delete(m, start, min(start+n, len(m)))
					}
				case 8:
					c := l.Clone()
					c.PushHead([]byte("clone-only"), fill)
					if c.Len() != l.Len()+1 {
						t.Fatalf("clone length %d, list %d", c.Len(), l.Len())
					}
				}
				if got := contents(t, l); !slices.Equal(got, m) && !(len(got) == 0 && len(m) == 0) {
					t.Fatalf("step %d: list %q, want %q", step, got, m)
				}
				l.Compress()
				if checkCompression(t, l, l.depth) > 0 {
					everCompressed = true
				}
				if got := contents(t, l); !slices.Equal(got, m) && !(len(got) == 0 && len(m) == 0) {
					t.Fatalf("step %d after Compress: list %q, want %q", step, got, m)
				}
				total, size := 0, 0
				for i := 0; i < l.Nodes(); i++ {
					n := listpack.Len(l.Node(i))
					if n == 0 || n != l.nodeLen(i) {
						t.Fatalf("step %d: node %d has %d elements, header %d", step, i, n, l.nodeLen(i))
					}
					total += n
					size += cap(l.stored(i))
				}
				if total != len(m) || l.bytes != size {
					t.Fatalf("step %d: nodes hold %d (want %d), %d bytes (counted %d)", step, total, len(m), size, l.bytes)
				}
			}
			if depth > 0 && !everCompressed {
				t.Fatal("no node was ever compressed")
			}
		}
	}
}

// TestCompressSaves fills a list with repetitive elements at depth 1 and
// checks every interior node is compressed and the bytes drop, then that
// depth 0 brings every node back raw at the next Compress.
func TestCompressSaves(t *testing.T) {
	l := &List{}
	for i := range 20000 {
		l.PushTail([]byte("item-"+strconv.Itoa(i%10)), -2)
	}
	raw := l.Bytes()
	l.SetCompressDepth(1)
	l.PushTail([]byte("x"), -2)
	l.Compress()
	if n := l.Nodes(); l.CompressedNodes() != n-2 || l.Compressed(0) || l.Compressed(n-1) {
		t.Fatalf("%d of %d nodes compressed", l.CompressedNodes(), n)
	}
	if l.Bytes()*4 > raw {
		t.Fatalf("%d bytes compressed, %d raw", l.Bytes(), raw)
	}
	if v := l.Get(l.Seek(10005), nil); string(v) != "item-5" {
		t.Fatalf("index 10005 = %q", v)
	}
	// Pushes and pops at the ends leave the interior alone.
	for range 5000 {
		l.PushHead([]byte("item-1"), -2)
		l.Pop(false, nil)
		l.Compress()
	}
	checkCompression(t, l, 1)
	l.SetCompressDepth(0)
	l.Compress()
	if l.CompressedNodes() != 0 {
		t.Fatalf("%d nodes still compressed at depth 0", l.CompressedNodes())
	}
}

// TestHeadPushesAreAmortised pushes many nodes' worth at the head and
// checks that the node slice stays proportional to the nodes.
func TestHeadPushesAreAmortised(t *testing.T) {
	l := &List{}
	for i := range 100000 {
		l.PushHead([]byte(strconv.Itoa(i)), 1)
	}
	if l.Nodes() != 100000 || cap(l.buf) > 4*l.Nodes() {
		t.Fatalf("%d nodes in a slice of %d", l.Nodes(), cap(l.buf))
	}
	for l.Len() > 10 {
		l.Pop(false, nil)
	}
	if cap(l.buf) > 64 {
		t.Fatalf("10 nodes left in a slice of %d", cap(l.buf))
	}
	if got := contents(t, l); got[0] != "99999" || got[9] != "99990" {
		t.Fatalf("left %q", got)
	}
}

// FuzzList drives a List with operations read from the input, checking it
// against a slice model after each: the first byte picks the fill, then
// each pair of bytes is an operation and its argument.
func FuzzList(f *testing.F) {
	f.Add([]byte{1, 0, 5, 1, 7, 4, 2, 6, 0})
	f.Add([]byte{250, 0, 200, 0, 201, 4, 3, 4, 0, 6, 1, 7, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 || len(data) > 400 {
			return
		}
		fill := int(int8(data[0])) % 10
		l := &List{}
		depth := int(data[0]>>4) % 3
		l.SetCompressDepth(depth)
		var m []string
		for i := 1; i+1 < len(data); i += 2 {
			op, arg := data[i]%8, int(data[i+1])
			v := strconv.Itoa(arg)
			if arg > 240 {
				v = string(bytes.Repeat([]byte{'x'}, arg*8))
			}
			switch op {
			case 0:
				l.PushHead([]byte(v), fill)
				m = append([]string{v}, m...)
			case 1:
				l.PushTail([]byte(v), fill)
				m = append(m, v)
			case 2:
				got, ok := l.Pop(arg%2 == 0, nil)
				if ok != (len(m) > 0) {
					t.Fatalf("Pop ok %v with %d elements", ok, len(m))
				}
				if ok {
					want := m[len(m)-1]
					if arg%2 == 0 {
						want, m = m[0], m[1:]
					} else {
						m = m[:len(m)-1]
					}
					if string(got) != want {
						t.Fatalf("Pop = %q, want %q", got, want)
					}
				}
			case 3, 4:
				if len(m) == 0 {
					continue
				}
				j := arg % len(m)
				l.Insert(l.Seek(j), op == 4, []byte(v), fill)
				if op == 4 {
					j++
				}
				m = slices.Insert(m, j, v)
			case 5:
				if len(m) == 0 {
					continue
				}
				j := arg % len(m)
				l.Replace(l.Seek(j), []byte(v))
				m[j] = v
			case 6:
				if len(m) == 0 {
					continue
				}
				j := arg % len(m)
				l.Delete(l.Seek(j))
				m = slices.Delete(m, j, j+1)
			case 7:
				start, n := arg%(len(m)+1), arg%7
				l.DeleteRange(start, n)
				if start < len(m) {
					m = slices.Delete(m, start, min(start+n, len(m)))
				}
			}
			if got := contents(t, l); len(got)+len(m) > 0 && !slices.Equal(got, m) {
				t.Fatalf("list %q, want %q", got, m)
			}
			if i%4 == 1 {
				l.Compress()
				checkCompression(t, l, depth)
			}
		}
	})
}

// BenchmarkPushPop pushes at the tail and pops at the head of a long list,
// with and without compression: the ends are raw, so the cost is the same
// but for the one compression per node that enters the interior.
func BenchmarkPushPop(b *testing.B) {
	for _, depth := range []int{0, 1} {
		b.Run(fmt.Sprintf("depth=%d", depth), func(b *testing.B) {
			l := &List{}
			l.SetCompressDepth(depth)
			v := []byte("a-list-element-of-some-length")
			for range 100000 {
				l.PushTail(v, -2)
			}
			l.Compress()
			b.ResetTimer()
			for range b.N {
				l.PushTail(v, -2)
				l.Compress()
				l.Pop(true, nil)
				l.Compress()
			}
		})
	}
}
