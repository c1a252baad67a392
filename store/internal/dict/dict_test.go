package dict

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// model pairs a Dict with a Go map and the refs the Dict reported, kept up to
// date through OnMove as the sorted-set index would.
type model struct {
	t     testing.TB
	d     *Dict
	m     map[string]string
	refs  map[string]Ref
	moves int
	inPut bool // a Put may move an element to give it a new value
}

func newModel(t testing.TB, hint int) *model {
	md := &model{t: t, d: New(hint), m: map[string]string{}, refs: map[string]Ref{}}
	md.d.OnMove = func(old, new Ref) {
		k := string(md.d.Key(old))
		if got := string(md.d.Key(new)); got != k {
			t.Fatalf("OnMove(%d, %d): keys %q and %q differ", old, new, k, got)
		}
		if !md.inPut && !bytes.Equal(md.d.Val(old), md.d.Val(new)) {
			t.Fatalf("OnMove(%d, %d): compaction changed the value of %q", old, new, k)
		}
		if md.refs[k] != old {
			t.Fatalf("OnMove(%d, %d) for %q, whose ref is %d", old, new, k, md.refs[k])
		}
		md.refs[k] = new
		md.moves++
	}
	return md
}

func (md *model) set(k, v string) {
	md.t.Helper()
	_, had := md.m[k]
	md.inPut = true
	r, ins := md.d.Put([]byte(k), []byte(v))
	md.inPut = false
	if ins == had {
		md.t.Fatalf("Put(%q) inserted = %v, want %v", k, ins, !had)
	}
	md.m[k] = v
	md.refs[k] = r
}

func (md *model) add(k, v string) {
	md.t.Helper()
	_, had := md.m[k]
	if got := md.d.Add([]byte(k), []byte(v)); got == had {
		md.t.Fatalf("Add(%q) = %v, want %v", k, got, !had)
	}
	if !had {
		md.m[k] = v
		r, ok := md.d.Find([]byte(k))
		if !ok {
			md.t.Fatalf("Find(%q) after Add: not found", k)
		}
		md.refs[k] = r
	}
}

func (md *model) del(k string) {
	md.t.Helper()
	_, had := md.m[k]
	if got := md.d.Delete([]byte(k)); got != had {
		md.t.Fatalf("Delete(%q) = %v, want %v", k, got, had)
	}
	delete(md.m, k)
	delete(md.refs, k)
}

// check compares the whole Dict with the model and its internal accounting.
func (md *model) check() {
	t := md.t
	t.Helper()
	d := md.d
	if d.Len() != len(md.m) {
		t.Fatalf("Len() = %d, want %d", d.Len(), len(md.m))
	}
	seen := map[string]bool{}
	for k, v := range d.All() {
		if seen[string(k)] {
			t.Fatalf("All: %q twice", k)
		}
		seen[string(k)] = true
		if want, ok := md.m[string(k)]; !ok || want != string(v) {
			t.Fatalf("All: %q = %q, model has %q (%v)", k, v, want, ok)
		}
	}
	if len(seen) != len(md.m) {
		t.Fatalf("All yielded %d elements, want %d", len(seen), len(md.m))
	}
	for k, v := range md.m {
		got, ok := d.Get([]byte(k))
		if !ok || string(got) != v {
			t.Fatalf("Get(%q) = %q, %v; want %q", k, got, ok, v)
		}
		r := md.refs[k]
		if string(d.Key(r)) != k || string(d.Val(r)) != v {
			t.Fatalf("ref %d of %q reads %q=%q", r, k, d.Key(r), d.Val(r))
		}
	}
	// Accounting: live bytes and used bytes per chunk.
	live, used, alloc := 0, 0, 0
	for ci, c := range d.chunks {
		l := 0
		for o := 0; o < len(c); {
			_, kl, vl := parse(c, o)
			if binary.LittleEndian.Uint32(c[o:]) != deadMark {
				l += recSize(kl, vl)
			}
			o += recSize(kl, vl)
		}
		if l != d.live[ci] {
			t.Fatalf("chunk %d: live %d, counted %d", ci, d.live[ci], l)
		}
		if c != nil && l == 0 && uint32(ci) != d.tail {
			t.Fatalf("chunk %d has no live record but is not freed", ci)
		}
		live += l
		used += len(c)
		alloc += cap(c)
	}
	if live != d.liveBytes || used != d.usedBytes || alloc != d.allocBytes {
		t.Fatalf("live/used/alloc = %d/%d/%d, counted %d/%d/%d", d.liveBytes, d.usedBytes, d.allocBytes, live, used, alloc)
	}
	if n := d.used[0] + d.used[1]; n != len(md.m) {
		t.Fatalf("used = %v", d.used)
	}
}

func randKey(r *rand.Rand, space int) string {
	return fmt.Sprintf("k%d", r.IntN(space))
}

func randVal(r *rand.Rand) string {
	switch r.IntN(10) {
	case 0:
		return ""
	case 1:
		return strings.Repeat("x", r.IntN(300)) // two-byte varint lengths
	case 2:
		if r.IntN(20) == 0 {
			return strings.Repeat("B", bigRecord+r.IntN(1000)) // own chunk
		}
	}
	return fmt.Sprintf("v%d", r.IntN(1000))
}

func TestModel(t *testing.T) {
	for _, space := range []int{10, 1000, 20000} {
		t.Run(fmt.Sprintf("space=%d", space), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(space), 1))
			md := newModel(t, 0)
			ops := 20 * space
			if testing.Short() {
				ops = 4 * space
			}
			for i := 0; i < ops; i++ {
				// Phases: grow, churn, shrink, so the table and the
				// arena grow, compact and shrink.
				phase := i * 3 / ops
				p := r.IntN(100)
				k := randKey(r, space)
				switch {
				case phase == 0 && p < 70, phase == 1 && p < 45, phase == 2 && p < 10:
					md.set(k, randVal(r))
				case phase == 0 && p < 80, phase == 1 && p < 55, phase == 2 && p < 15:
					md.add(k, randVal(r))
				case p < 97:
					md.del(k)
				default:
					if ref, ok := md.d.Find([]byte(k)); ok {
						v := md.m[k]
						nv := strings.Repeat("z", len(v))
						if !md.d.SetVal(ref, []byte(nv)) {
							t.Fatalf("SetVal(same length) = false")
						}
						if md.d.SetVal(ref, []byte(nv+"!")) {
							t.Fatalf("SetVal(longer) = true")
						}
						md.m[k] = nv
					}
				}
				if i%(ops/20) == 0 {
					md.check()
				}
			}
			md.check()
			// Delete everything: the arena and the table must shrink.
			for k := range md.m {
				md.del(k)
			}
			md.check()
			if b := md.d.Bytes(); b > 4096 {
				t.Errorf("Bytes() = %d after deleting everything", b)
			}
			t.Logf("moves reported: %d", md.moves)
		})
	}
}

func TestCompactionReclaims(t *testing.T) {
	md := newModel(t, 0)
	const n = 50000
	for i := 0; i < n; i++ {
		md.set(fmt.Sprintf("field:%d", i), fmt.Sprintf("value:%d", i))
	}
	full := md.d.Bytes()
	// Delete 90%, spread evenly, so no chunk empties by itself.
	for i := 0; i < n; i++ {
		if i%10 != 0 {
			md.del(fmt.Sprintf("field:%d", i))
		}
	}
	// Compaction runs on mutations; give it some.
	for i := 0; i < n/10; i++ {
		md.set(fmt.Sprintf("field:%d", i*10), fmt.Sprintf("VALUE:%d", i*10))
	}
	md.check()
	after := md.d.Bytes()
	if after > full/4 {
		t.Errorf("Bytes() = %d after deleting 90%% of %d (full: %d)", after, n, full)
	}
	if md.moves == 0 {
		t.Errorf("no element moved: compaction did not run")
	}
	if dead := md.d.usedBytes - md.d.liveBytes; dead > md.d.liveBytes+minCompact+chunkMax {
		t.Errorf("dead bytes %d, live %d", dead, md.d.liveBytes)
	}
}

func TestRefsStable(t *testing.T) {
	// Without deletes nothing moves: refs from insertion stay valid.
	d := New(0)
	d.OnMove = func(old, new Ref) { t.Fatalf("OnMove(%d, %d) without deletes", old, new) }
	refs := map[string]Ref{}
	for i := 0; i < 10000; i++ {
		k := fmt.Sprintf("m%d", i)
		r, ins := d.Put([]byte(k), []byte("12345678"))
		if !ins {
			t.Fatalf("Put(%q) not inserted", k)
		}
		refs[k] = r
	}
	for k, r := range refs {
		var score [8]byte
		binary.LittleEndian.PutUint64(score[:], math.Float64bits(float64(len(k))))
		if r2, ins := d.Put([]byte(k), score[:]); ins || r2 != r {
			t.Fatalf("Put(%q) same length = %d, %v; want %d, false", k, r2, ins, r)
		}
		if got, _ := d.Find([]byte(k)); got != r {
			t.Fatalf("Find(%q) = %d, want %d", k, got, r)
		}
		if !bytes.Equal(d.Val(r), score[:]) {
			t.Fatalf("Val(%d) = %x", r, d.Val(r))
		}
	}
	// DeleteRef removes exactly that element; deletes may compact.
	d.OnMove = func(old, new Ref) {
		k := string(d.Key(old))
		if refs[k] != old {
			t.Fatalf("OnMove(%d, %d) for %q, whose ref is %d", old, new, k, refs[k])
		}
		refs[k] = new
	}
	for k := range refs {
		r := refs[k]
		d.DeleteRef(r)
		if _, ok := d.Get([]byte(k)); ok {
			t.Fatalf("Get(%q) after DeleteRef: still there", k)
		}
		delete(refs, k)
		if len(refs) < 5000 {
			break
		}
	}
	if d.Len() != len(refs) {
		t.Fatalf("Len() = %d, want %d", d.Len(), len(refs))
	}
}

func TestScanGuarantee(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for round := 0; round < 20; round++ {
		d := New(0)
		stable := map[string]bool{}
		n := 100 + r.IntN(3000)
		for i := 0; i < n; i++ {
			k := fmt.Sprintf("s%d", i)
			d.Set([]byte(k), []byte("v"))
			stable[k] = true
		}
		// Transient keys come and go during the scan, making the table
		// grow (adds) or shrink (deletes) between calls.
		grow := round%2 == 0
		next := 0
		transient := []string{}
		seen := map[string]bool{}
		cursor := uint64(0)
		initial := len(d.ht[0])
		sizes := map[int]bool{}
		for calls := 0; ; calls++ {
			cursor = d.Scan(cursor, func(k, v []byte) { seen[string(k)] = true })
			sizes[len(d.ht[0])] = true
			if cursor == 0 {
				break
			}
			if grow {
				// One element a call, for as many calls as the table
				// had buckets: enough to make it grow, not so many
				// that the scan chases the growth forever.
				if next < initial {
					k := fmt.Sprintf("t%d", next)
					next++
					d.Set([]byte(k), []byte("x"))
					transient = append(transient, k)
				}
			} else if calls == 0 {
				// Add and then remove many transient keys: the table
				// grows, then shrinks under the rest of the scan.
				for j := 0; j < 20*n; j++ {
					k := fmt.Sprintf("t%d", j)
					d.Set([]byte(k), []byte("x"))
				}
				for j := 0; j < 20*n; j++ {
					d.Delete([]byte(fmt.Sprintf("t%d", j)))
				}
			} else if calls%3 == 0 {
				d.Random(r.IntN) // advances rehashing too
			}
			if calls > 1<<20 {
				t.Fatal("scan does not end")
			}
		}
		for k := range stable {
			if !seen[k] {
				t.Fatalf("round %d: SCAN missed %q", round, k)
			}
		}
		if len(sizes) < 2 {
			t.Errorf("round %d: the table kept one size (%v) during the scan", round, sizes)
		}
	}
}

func TestScanCompleteWhileRehashing(t *testing.T) {
	d := New(0)
	for i := 0; i < 1000; i++ {
		d.Set([]byte(fmt.Sprint(i)), nil)
	}
	for i := 1000; i < 1025; i++ { // start a grow and stop partway
		d.Set([]byte(fmt.Sprint(i)), nil)
	}
	if !d.rehashing() {
		t.Skip("table not rehashing at this point")
	}
	seen := map[string]bool{}
	c := uint64(0)
	for {
		c = d.Scan(c, func(k, _ []byte) { seen[string(k)] = true })
		if c == 0 {
			break
		}
	}
	if len(seen) != d.Len() {
		t.Fatalf("scan saw %d of %d", len(seen), d.Len())
	}
}

// TestRandomFair checks each element's share of Random's draws against the
// probability Random's algorithm gives it in the table's actual layout, so
// the varying chain lengths of a random hash seed cannot fail it. The draws
// come from a fixed PCG source; only the layout (maphash's seed, which
// cannot be fixed) changes between runs. The bounds are chosen so that a
// fair Random fails with negligible probability:
//   - a count more than 6 standard deviations from its mean (a mean of
//     about 2,400 draws here, where the normal approximation of the
//     binomial is close) happens with probability 2e-9 per element, 2e-7
//     for the 100 elements;
//   - an element below a sixth of the fair share needs a chain of 8 or
//     more in a table of 256 buckets holding 100 elements, about 1e-8 per
//     bucket under Poisson(0.39);
//   - the rare draw that finds 32 empty buckets in a row and walks to the
//     next non-empty one (about one draw per run) cannot move a count by a
//     standard deviation.
//
// 3,000 runs under -race (at commit "lazyfree: SUNION and SDIFF free…" of
// branch generic) all passed.
func TestRandomFair(t *testing.T) {
	d := New(0)
	const n = 100
	for i := 0; i < 10000; i++ {
		d.Set([]byte(fmt.Sprint(i)), []byte("v"))
	}
	// Leave a sparse set so the table shrinks and Random must cope.
	for i := n; i < 10000; i++ {
		d.Delete([]byte(fmt.Sprint(i)))
	}
	for d.Step(100) {
	}
	// As Redis's, Random picks a non-empty bucket, then an element of its
	// chain: an element in a chain of L among B non-empty buckets has
	// probability 1/(B*L). Check every count against that.
	want := map[string]float64{}
	nonEmpty := 0
	for _, head := range d.ht[0] {
		if head != 0 {
			nonEmpty++
		}
	}
	for _, head := range d.ht[0] {
		l := 0
		for r := Ref(head); r != 0; r = d.next(r) {
			l++
		}
		for r := Ref(head); r != 0; r = d.next(r) {
			want[string(d.Key(r))] = 1 / float64(nonEmpty*l)
		}
	}
	if len(want) != n {
		t.Fatalf("walked %d elements, want %d", len(want), n)
	}
	r := rand.New(rand.NewPCG(1, 2))
	counts := map[string]int{}
	const draws = 200000
	for i := 0; i < draws; i++ {
		k, v := d.Random(r.IntN)
		if string(v) != "v" {
			t.Fatalf("Random value %q", v)
		}
		counts[string(k)]++
	}
	if len(counts) != n {
		t.Fatalf("Random returned %d distinct keys, want %d", len(counts), n)
	}
	for k, p := range want {
		mean := p * draws
		sd := math.Sqrt(draws * p * (1 - p))
		if c := float64(counts[k]); math.Abs(c-mean) > 6*sd {
			t.Errorf("key %s drawn %v times of %d, expected %.0f ± %.0f", k, c, draws, mean, sd)
		}
		if p < 1.0/n/6 {
			t.Errorf("key %s has probability %.4f, under a sixth of fair", k, p)
		}
	}
	if k, v := New(0).Random(r.IntN); k != nil || v != nil {
		t.Errorf("Random on empty = %q, %q", k, v)
	}
}

func TestRandomSparseCheap(t *testing.T) {
	d := New(0)
	for i := 0; i < 200000; i++ {
		d.Set([]byte(fmt.Sprint(i)), nil)
	}
	for i := 1; i < 200000; i++ {
		d.Delete([]byte(fmt.Sprint(i)))
	}
	calls := 0
	rnd := func(n int) int { calls++; return rand.IntN(n) }
	for i := 0; i < 1000; i++ {
		if k, _ := d.Random(rnd); string(k) != "0" {
			t.Fatalf("Random = %q", k)
		}
	}
	if calls > 1000*(randomProbes+2) {
		t.Errorf("Random made %d rnd calls for 1000 draws", calls)
	}
	if len(d.ht[0]) > 64 {
		t.Errorf("table of %d buckets for 1 element", len(d.ht[0]))
	}
}

func TestClone(t *testing.T) {
	md := newModel(t, 0)
	for i := 0; i < 5000; i++ {
		md.set(fmt.Sprint(i), fmt.Sprint(i*i))
	}
	for i := 0; i < 5000; i += 3 {
		md.del(fmt.Sprint(i))
	}
	c := md.d.Clone()
	// Same contents, same refs.
	for k, v := range md.m {
		if got, ok := c.Get([]byte(k)); !ok || string(got) != v {
			t.Fatalf("clone Get(%q) = %q, %v", k, got, ok)
		}
		if string(c.Key(md.refs[k])) != k {
			t.Fatalf("clone ref of %q reads %q", k, c.Key(md.refs[k]))
		}
	}
	// Changing one does not change the other.
	snapshot := map[string]string{}
	for k, v := range md.m {
		snapshot[k] = v
	}
	for i := 0; i < 5000; i++ {
		md.set(fmt.Sprint(i), "changed")
		if i%2 == 0 {
			md.del(fmt.Sprint(i))
		}
	}
	md.check()
	if c.Len() != len(snapshot) {
		t.Fatalf("clone Len() = %d, want %d", c.Len(), len(snapshot))
	}
	for k, v := range snapshot {
		if got, ok := c.Get([]byte(k)); !ok || string(got) != v {
			t.Fatalf("clone Get(%q) = %q, %v after changing the original; want %q", k, got, ok, v)
		}
	}
	c.Set([]byte("only-in-clone"), []byte("x"))
	if _, ok := md.d.Get([]byte("only-in-clone")); ok {
		t.Fatal("a Set on the clone shows in the original")
	}
}

func TestBytes(t *testing.T) {
	d := New(0)
	empty := d.Bytes()
	const n = 100000
	payload := 0
	for i := 0; i < n; i++ {
		k, v := fmt.Sprintf("field:%d", i), fmt.Sprintf("value:%d", i)
		d.Set([]byte(k), []byte(v))
		payload += len(k) + len(v)
	}
	b := d.Bytes()
	if b < payload || b > 3*payload+empty {
		t.Errorf("Bytes() = %d for %d bytes of keys and values", b, payload)
	}
	big := make([]byte, 1<<20)
	d.Set([]byte("big"), big)
	if d.Bytes()-b < len(big) {
		t.Errorf("Bytes() grew by %d for a 1 MiB value", d.Bytes()-b)
	}
	d.Delete([]byte("big"))
	if d.Bytes() > b+64 {
		t.Errorf("Bytes() = %d after deleting the big value, was %d", d.Bytes(), b)
	}
	t.Logf("Bytes per element: %.1f (keys+values %.1f)", float64(b)/n, float64(payload)/n)
}

func TestAllEarlyStop(t *testing.T) {
	d := New(0)
	for i := 0; i < 100; i++ {
		d.Set([]byte(fmt.Sprint(i)), nil)
	}
	n := 0
	for range d.All() {
		n++
		if n == 10 {
			break
		}
	}
	if n != 10 {
		t.Fatalf("n = %d", n)
	}
}

func TestEmptyKeysAndValues(t *testing.T) {
	d := New(0)
	if !d.Set(nil, nil) {
		t.Fatal("Set(empty) not inserted")
	}
	if v, ok := d.Get([]byte{}); !ok || len(v) != 0 {
		t.Fatalf("Get(empty) = %q, %v", v, ok)
	}
	if d.Add([]byte(""), []byte("x")) {
		t.Fatal("Add(empty) inserted twice")
	}
	if !d.Delete(nil) || d.Len() != 0 {
		t.Fatal("Delete(empty) failed")
	}
}

func TestStepReclaimsWithoutWrites(t *testing.T) {
	md := newModel(t, 0)
	const n = 30000
	for i := 0; i < n; i++ {
		md.set(fmt.Sprintf("member:%d", i), "12345678")
	}
	full := md.d.Bytes()
	// Delete 95% through DeleteRef, spread out, then stop writing.
	for i := 0; i < n; i++ {
		if i%20 != 0 {
			k := fmt.Sprintf("member:%d", i)
			md.d.DeleteRef(md.refs[k])
			delete(md.m, k)
			delete(md.refs, k)
		}
	}
	steps := 0
	for md.d.Step(100) {
		if steps++; steps > 100000 {
			t.Fatal("Step reports work forever")
		}
	}
	md.check()
	if b := md.d.Bytes(); b > full/8 {
		t.Errorf("Bytes() = %d after deleting 95%% and stepping (full %d)", b, full)
	}
	if md.d.Step(100) {
		t.Error("Step reports more work after reporting none")
	}
	t.Logf("%d steps; Bytes %d -> %d", steps, full, md.d.Bytes())
}

func TestNewHugeHint(t *testing.T) {
	d := New(math.MaxInt)
	if d.Bytes() > 32<<20 {
		t.Fatalf("New(MaxInt).Bytes() = %d", d.Bytes())
	}
	d.Set([]byte("a"), []byte("b"))
	if v, ok := d.Get([]byte("a")); !ok || string(v) != "b" {
		t.Fatalf("Get = %q, %v", v, ok)
	}
}

// FuzzOps runs a byte-coded sequence of operations against the model: each
// op is an opcode byte and a key byte; values take lengths from the input so
// that replacements change length and records vary in size.
func FuzzOps(f *testing.F) {
	f.Add([]byte("\x00a\x00b\x01a\x02b\x00a"))
	f.Add(bytes.Repeat([]byte("\x00x\x00y\x02x\x03y"), 50))
	f.Fuzz(func(t *testing.T, ops []byte) {
		md := newModel(t, 0)
		for i := 0; i+1 < len(ops); i += 2 {
			op, k := ops[i], fmt.Sprintf("key%d", ops[i+1])
			v := strings.Repeat("v", int(op>>2)*int(ops[i+1]%7))
			switch op & 3 {
			case 0:
				md.set(k, v)
			case 1:
				md.add(k, v)
			case 2:
				md.del(k)
			case 3:
				md.d.Step(int(ops[i+1]))
			}
		}
		md.check()
	})
}
