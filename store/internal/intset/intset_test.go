package intset

import (
	"bytes"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestLayoutMatchesRedis builds the intsets whose bytes redis-server 7.0.15
// put in DUMP payloads (type 11, after the length byte) for
// SADD a 1 2 3 and SADD b 5 -70000 100.
func TestLayoutMatchesRedis(t *testing.T) {
	for _, tc := range []struct {
		add  []int64
		want string
	}{
		{[]int64{1, 2, 3}, "\x02\x00\x00\x00\x03\x00\x00\x00\x01\x00\x02\x00\x03\x00"},
		{[]int64{5, -70000, 100}, "\x04\x00\x00\x00\x03\x00\x00\x00\x90\xee\xfe\xff\x05\x00\x00\x00d\x00\x00\x00"},
	} {
		is := New()
		for _, v := range tc.add {
			is, _ = Add(is, v)
		}
		if !bytes.Equal(is, []byte(tc.want)) {
			t.Errorf("Add%v = %q, want %q", tc.add, is, tc.want)
		}
	}
}

// TestRandomAgainstModel adds and removes random values of every width and
// checks the intset against a sorted slice after each step.
func TestRandomAgainstModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	values := func() int64 {
		switch rng.IntN(6) {
		case 0:
			return int64(rng.IntN(100)) - 50
		case 1:
			return int64(int16(rng.Uint32()))
		case 2:
			return int64(int32(rng.Uint32()))
		case 3:
			return int64(rng.Uint64())
		case 4:
			return []int64{math.MinInt64, math.MaxInt64, math.MinInt32, math.MaxInt32,
				math.MinInt16, math.MaxInt16, math.MinInt16 - 1, math.MaxInt16 + 1}[rng.IntN(8)]
		}
		return int64(rng.IntN(10))
	}
	for round := 0; round < 200; round++ {
		is := New()
		var model []int64
		maxW := 2
		for step := 0; step < 300; step++ {
			v := values()
			pos, found := slices.BinarySearch(model, v)
			if rng.IntN(3) == 0 {
				n, ok := Remove(is, v)
				if ok != found {
					t.Fatalf("Remove(%d) = %v, model has it: %v", v, ok, found)
				}
				is = is[:n]
				if found {
					model = slices.Delete(model, pos, pos+1)
				}
			} else {
				var added bool
				is, added = Add(is, v)
				if added == found {
					t.Fatalf("Add(%d) = %v, model has it: %v", v, added, found)
				}
				if !found {
					model = slices.Insert(model, pos, v)
				}
				maxW = max(maxW, widthOf(v))
			}
			if !Valid(is) || Len(is) != len(model) || Width(is) != maxW {
				t.Fatalf("invalid after step %d: len %d want %d, width %d want %d", step, Len(is), len(model), Width(is), maxW)
			}
			for i, m := range model {
				if got := Get(is, i); got != m {
					t.Fatalf("Get(%d) = %d, want %d", i, got, m)
				}
			}
			if p, ok := Search(is, v); ok != slices.Contains(model, v) || (ok && Get(is, p) != v) {
				t.Fatalf("Search(%d) = %d, %v", v, p, ok)
			}
		}
	}
}

func TestValidRejects(t *testing.T) {
	for _, b := range [][]byte{
		nil,
		[]byte("\x02\x00\x00"),
		[]byte("\x03\x00\x00\x00\x00\x00\x00\x00"),
		[]byte("\x02\x00\x00\x00\x01\x00\x00\x00"),
		[]byte("\x02\x00\x00\x00\x02\x00\x00\x00\x02\x00\x01\x00"),
		[]byte("\x02\x00\x00\x00\x02\x00\x00\x00\x01\x00\x01\x00"),
	} {
		if Valid(b) {
			t.Errorf("Valid(%q) = true", b)
		}
	}
}
