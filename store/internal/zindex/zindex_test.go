package zindex

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"
)

// names resolves references in the tests: Ref r names names[r].
var names = func() []string {
	s := make([]string, 5000)
	for i := range s {
		s[i] = string(rune('a'+i%26)) + string(rune('a'+i/26%26)) + string(rune('a'+i/676))
	}
	return s
}()

func cmpItem(a, b Item) int {
	if c := cmp.Compare(a.Score, b.Score); c != 0 {
		return c
	}
	return cmp.Compare(names[a.Ref], names[b.Ref])
}

// TestIndexAgainstModel runs random insertions, deletions and queries
// against a sorted slice, through many splits and merges.
func TestIndexAgainstModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 9))
	x := New(cmpItem)
	var model []Item
	inModel := map[uint32]Item{}
	check := func(step int) {
		if x.Len() != len(model) {
			t.Fatalf("step %d: Len %d, model %d", step, x.Len(), len(model))
		}
		i := 0
		x.Ascend(0, func(it Item) bool {
			if it != model[i] {
				t.Fatalf("step %d: item %d = %v, want %v", step, i, it, model[i])
			}
			i++
			return true
		})
		if i != len(model) {
			t.Fatalf("step %d: Ascend saw %d of %d", step, i, len(model))
		}
	}
	for step := 0; step < 60000; step++ {
		// Grow to a few thousand, then shrink, then grow again.
		insertP := 5
		if (step/15000)%2 == 1 {
			insertP = 1
		}
		switch op := rng.IntN(10); {
		case op < insertP:
			ref := uint32(rng.IntN(len(names)))
			if _, ok := inModel[ref]; ok {
				continue
			}
			it := Item{float64(rng.IntN(50)), ref}
			x.Insert(it)
			inModel[ref] = it
			i, _ := slices.BinarySearchFunc(model, it, cmpItem)
			model = slices.Insert(model, i, it)
		case op < 8:
			if len(model) == 0 {
				continue
			}
			i := rng.IntN(len(model))
			it := model[i]
			if rng.IntN(2) == 0 {
				if !x.Delete(it) {
					t.Fatalf("step %d: Delete(%v) found nothing", step, it)
				}
			} else if got := x.DeleteAt(i); got != it {
				t.Fatalf("step %d: DeleteAt(%d) = %v, want %v", step, i, got, it)
			}
			model = slices.Delete(model, i, i+1)
			delete(inModel, it.Ref)
		default:
			if len(model) == 0 {
				continue
			}
			i := rng.IntN(len(model))
			if got := x.At(i); got != model[i] {
				t.Fatalf("step %d: At(%d) = %v, want %v", step, i, got, model[i])
			}
			if r, ok := x.Rank(model[i]); !ok || r != i {
				t.Fatalf("step %d: Rank = %d %v, want %d", step, r, ok, i)
			}
			s := float64(rng.IntN(52) - 1)
			want, _ := slices.BinarySearchFunc(model, s, func(it Item, s float64) int { return cmp.Compare(it.Score, s) })
			if got := x.LowerBound(func(it Item) bool { return it.Score >= s }); got != want {
				t.Fatalf("step %d: LowerBound(%v) = %d, want %d", step, s, got, want)
			}
			var down []Item
			x.Descend(i, func(it Item) bool { down = append(down, it); return len(down) < 700 })
			for k, it := range down {
				if it != model[i-k] {
					t.Fatalf("step %d: Descend(%d)[%d] = %v", step, i, k, it)
				}
			}
			if _, ok := x.Rank(Item{-5, 0}); ok {
				t.Fatalf("step %d: Rank of an absent item", step)
			}
		}
		if step%1000 == 0 {
			check(step)
			c := x.Clone(cmpItem)
			c.Insert(Item{-1, 1})
			if c.Len() != x.Len()+1 {
				t.Fatal("clone")
			}
		}
	}
	check(-1)
	for _, ch := range x.chunks {
		if len(ch) == 0 || len(ch) > maxChunk {
			t.Fatalf("chunk of %d items", len(ch))
		}
	}
}
