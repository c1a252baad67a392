package store

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"
)

// lcsReference is the textbook O(n·m) table with Redis's walk, kept simple
// so that it can be trusted: the bit-parallel LCS must agree with it.
func lcsReference(a, b []byte) (seq []byte, runs []LCSMatch, length int) {
	w := len(b) + 1
	tab := make([]int, (len(a)+1)*w)
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			if a[i-1] == b[j-1] {
				tab[i*w+j] = tab[(i-1)*w+j-1] + 1
			} else {
				tab[i*w+j] = max(tab[(i-1)*w+j], tab[i*w+j-1])
			}
		}
	}
	length = tab[len(a)*w+len(b)]
	seq = make([]byte, length)
	idx := length
	i, j := len(a), len(b)
	inRun := false
	var cur LCSMatch
	for i > 0 && j > 0 {
		emit := false
		if a[i-1] == b[j-1] {
			seq[idx-1] = a[i-1]
			if !inRun {
				cur = LCSMatch{i - 1, i - 1, j - 1, j - 1}
				inRun = true
			} else if cur.AStart == i && cur.BStart == j {
				cur.AStart--
				cur.BStart--
			} else {
				emit = true
			}
			if cur.AStart == 0 || cur.BStart == 0 {
				emit = true
			}
			idx, i, j = idx-1, i-1, j-1
		} else {
			if tab[(i-1)*w+j] > tab[i*w+j-1] {
				i--
			} else {
				j--
			}
			emit = inRun
		}
		if emit {
			runs = append(runs, cur)
			inRun = false
		}
	}
	return seq, runs, length
}

func TestLCSMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	randStr := func(n, alphabet int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('a' + r.IntN(alphabet))
		}
		return b
	}
	cases := [][2]string{
		{"ohmytext", "mynewtext"}, {"", ""}, {"a", ""}, {"", "b"}, {"abc", "abc"},
		{"abc", "xyz"}, {"aaaa", "aa"}, {"rosettacode", "raisethysword"},
	}
	for n := 0; n < 3000; n++ {
		la, lb := r.IntN(150), r.IntN(200)
		if n%10 == 0 {
			la, lb = r.IntN(3), r.IntN(300)
		}
		cases = append(cases, [2]string{string(randStr(la, 1+r.IntN(5))), string(randStr(lb, 1+r.IntN(5)))})
	}
	for _, c := range cases {
		a, b := []byte(c[0]), []byte(c[1])
		wantSeq, wantRuns, wantLen := lcsReference(a, b)
		seq, _, n := LCS(a, b, false)
		_, runs, n2 := LCS(a, b, true)
		if n != wantLen || n2 != wantLen || !bytes.Equal(seq, wantSeq) || !slices.Equal(runs, wantRuns) {
			t.Fatalf("LCS(%q, %q) = %q %v %d, want %q %v %d", a, b, seq, runs, n, wantSeq, wantRuns, wantLen)
		}
		if got := LCSLen(a, b); got != wantLen {
			t.Fatalf("LCSLen(%q, %q) = %d, want %d", a, b, got, wantLen)
		}
	}
}

func TestLCSTableBytes(t *testing.T) {
	tests := []struct {
		a, b int
		size uint64
		ok   bool
	}{
		{0, 0, 4, true},
		{2, 3, 48, true},
		{1 << 32, 1 << 30, 0, false},     // (2^32+1)(2^30+1)·4 overflows
		{1<<31 - 1, 1<<31 - 1, 0, false}, // 2^64 bytes
	}
	for _, tt := range tests {
		size, ok := LCSTableBytes(tt.a, tt.b)
		if ok != tt.ok || (ok && size != tt.size) {
			t.Errorf("LCSTableBytes(%d, %d) = %d, %v; want %d, %v", tt.a, tt.b, size, ok, tt.size, tt.ok)
		}
	}
}
