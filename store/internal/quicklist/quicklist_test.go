package quicklist

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/redoubt-db/redoubt/store/internal/listpack"
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
func TestListModel(t *testing.T) {
	for _, fill := range []int{1, 2, 3, 7, -1, 0} {
		t.Run(fmt.Sprintf("fill=%d", fill), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(fill+100), 1))
			l := &List{}
			var m []string
			elem := func() string {
				if r.IntN(10) == 0 {
					return string(bytes.Repeat([]byte("b"), 100+r.IntN(2000)))
				}
				return strconv.Itoa(r.IntN(50))
			}
			for step := 0; step < 3000; step++ {
				switch op := r.IntN(9); op {
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
				total, size := 0, 0
				for i := 0; i < l.Nodes(); i++ {
					n := listpack.Len(l.Node(i))
					if n == 0 {
						t.Fatalf("step %d: node %d is empty", step, i)
					}
					total += n
					size += cap(l.Node(i))
				}
				if total != len(m) || l.bytes != size {
					t.Fatalf("step %d: nodes hold %d (want %d), %d bytes (counted %d)", step, total, len(m), size, l.bytes)
				}
			}
		})
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
		}
	})
}
