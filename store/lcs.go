package store

import "math/bits"

// The longest common subsequence of two strings, for LCS.
//
// Redis fills the classic dynamic-programming table of LCS lengths, one
// uint32 per cell, and refuses inputs whose table would exceed
// proto-max-bulk-len (CVE-2021-29477 and CVE-2021-32625 were overflows in
// its size computation). Redoubt keeps Redis's limit, so that the same
// inputs are refused with the same error, but needs 1 bit per cell instead
// of 32: adjacent cells of a row differ by 0 or 1, and the bit-parallel
// algorithm of Allison and Dix (as reformulated by Hyyrö) computes a whole
// row of those differences 64 cells per machine word. The walk back
// through the table only ever compares LCS(i-1,j) with LCS(i,j-1) where
// a[i-1] != b[j-1], and there LCS(i-1,j) > LCS(i,j-1) exactly when
// LCS(i,j) - LCS(i,j-1) is 1, which is one bit of row i. So Redoubt
// answers exactly as Redis, ties broken the same way, in 1/32 of the
// memory and far less time.

// LCSTableBytes returns the size in bytes of the table Redis would allocate
// for strings of lengths alen and blen: (alen+1)×(blen+1) uint32 cells.
// ok is false when the size does not fit 64 bits.
func LCSTableBytes(alen, blen int) (size uint64, ok bool) {
	hi, cells := bits.Mul64(uint64(alen)+1, uint64(blen)+1)
	if hi != 0 || cells > (1<<64-1)/4 {
		return 0, false
	}
	return cells * 4, true
}

// LCSMatch is one run of a common subsequence: a[AStart..AEnd] equals
// b[BStart..BEnd], both ranges inclusive.
type LCSMatch struct {
	AStart, AEnd, BStart, BEnd int
}

// Len returns the length of the run.
func (m LCSMatch) Len() int { return m.AEnd - m.AStart + 1 }

// lcsTable holds, for each prefix a[:i] (i ≥ 1), the row vector V_i whose
// bit j is 0 when LCS(i,j+1) = LCS(i,j)+1 and 1 when they are equal.
type lcsTable struct {
	words int      // words per row
	rows  []uint64 // row i-1 holds V_i; nil when only the length is wanted
	last  []uint64 // V for all of a
}

// buildLCS computes the rows for a against b; keepRows false keeps only the
// last one, which is all the length needs.
func buildLCS(a, b []byte, keepRows bool) *lcsTable {
	w := (len(b) + 63) / 64
	t := &lcsTable{words: w}
	// Match masks: bit j of peq[c] is set where b[j] == c, only for the
	// bytes that occur in a.
	var slot [256]int32
	for i := range slot {
		slot[i] = -1
	}
	n := int32(0)
	for _, c := range a {
		if slot[c] < 0 {
			slot[c] = n
			n++
		}
	}
	peq := make([]uint64, int(n)*w)
	for j, c := range b {
		if s := slot[c]; s >= 0 {
			peq[int(s)*w+j/64] |= 1 << (j % 64)
		}
	}
	v := make([]uint64, w)
	for k := range v {
		v[k] = ^uint64(0)
	}
	if keepRows {
		t.rows = make([]uint64, len(a)*w)
	}
	for i, c := range a {
		m := peq[int(slot[c])*w : int(slot[c]+1)*w]
		// V' = (V + (V & M)) | (V & ^M), with carries across words.
		var carry uint64
		for k := 0; k < w; k++ {
			u := v[k] & m[k]
			var sum uint64
			sum, carry = bits.Add64(v[k], u, carry)
			v[k] = sum | (v[k] &^ m[k])
		}
		if keepRows {
			copy(t.rows[i*w:(i+1)*w], v)
		}
	}
	t.last = v
	return t
}

// length returns LCS(len(a), blen): the zero bits of the last row.
func (t *lcsTable) length(blen int) int {
	ones := 0
	for k, x := range t.last {
		if k == len(t.last)-1 && blen%64 != 0 {
			x &= 1<<(blen%64) - 1
		}
		ones += bits.OnesCount64(x)
	}
	return blen - ones
}

// up reports, for a mismatch at (i, j) with i, j ≥ 1, whether Redis's walk
// moves to (i-1, j): that is when LCS(i,j) = LCS(i,j-1)+1, which is bit
// j-1 of V_i being 0.
func (t *lcsTable) up(i, j int) bool {
	x := t.rows[(i-1)*t.words+(j-1)/64]
	return x&(1<<((j-1)%64)) == 0
}

// LCSLen returns the length of the longest common subsequence of a and b.
func LCSLen(a, b []byte) int {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	return buildLCS(a, b, false).length(len(b))
}

// LCS returns the longest common subsequence of a and b that Redis's LCS
// command returns, its length, and, when matches is true, its runs in the
// order Redis reports them (from the ends of the strings backwards).
// Callers must check the size with LCSTableBytes first.
func LCS(a, b []byte, matches bool) (seq []byte, runs []LCSMatch, length int) {
	if len(a) == 0 || len(b) == 0 {
		return []byte{}, nil, 0
	}
	t := buildLCS(a, b, true)
	length = t.length(len(b))
	if !matches {
		seq = make([]byte, length)
	}
	idx := length
	// The walk of Redis's lcsCommand: a run grows backwards while matches
	// stay on one diagonal, and is emitted when it breaks or reaches the
	// start of either string.
	i, j := len(a), len(b)
	inRun := false
	var cur LCSMatch
	for i > 0 && j > 0 {
		emit := false
		if a[i-1] == b[j-1] {
			if seq != nil {
				seq[idx-1] = a[i-1]
			}
			switch {
			case !inRun:
				cur = LCSMatch{AStart: i - 1, AEnd: i - 1, BStart: j - 1, BEnd: j - 1}
				inRun = true
			case cur.AStart == i && cur.BStart == j:
				cur.AStart--
				cur.BStart--
			default:
				emit = true
			}
			if cur.AStart == 0 || cur.BStart == 0 {
				emit = true
			}
			idx--
			i--
			j--
		} else {
			if t.up(i, j) {
				i--
			} else {
				j--
			}
			if inRun {
				emit = true
			}
		}
		if emit {
			if matches {
				runs = append(runs, cur)
			}
			inRun = false
		}
	}
	return seq, runs, length
}
