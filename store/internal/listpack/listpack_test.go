package listpack

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// check deep-validates lp and compares its elements, read forwards and
// backwards, with want.
func check(t testing.TB, lp []byte, want [][]byte) {
	t.Helper()
	if err := Validate(lp, true); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if n := Len(lp); n != len(want) {
		t.Fatalf("Len = %d, want %d", n, len(want))
	}
	if Bytes(lp) != len(lp) {
		t.Fatalf("Bytes = %d, len %d", Bytes(lp), len(lp))
	}
	var scratch [IntBufSize]byte
	i := 0
	for p := First(lp); p >= 0; p = Next(lp, p) {
		if i >= len(want) {
			t.Fatalf("more than %d elements forwards", len(want))
		}
		if got := Get(lp, p, scratch[:]); !bytes.Equal(got, want[i]) {
			t.Fatalf("element %d = %q, want %q", i, got, want[i])
		}
		i++
	}
	if i != len(want) {
		t.Fatalf("%d elements forwards, want %d", i, len(want))
	}
	for p := Last(lp); p >= 0; p = Prev(lp, p) {
		i--
		if i < 0 {
			t.Fatalf("more than %d elements backwards", len(want))
		}
		if got := Get(lp, p, scratch[:]); !bytes.Equal(got, want[i]) {
			t.Fatalf("element %d backwards = %q, want %q", i, got, want[i])
		}
	}
	if i != 0 {
		t.Fatalf("%d elements missed backwards", i)
	}
}

// boundaryInts are the edges of every integer encoding.
var boundaryInts = []int64{
	0, 1, 127, 128, -1, 4095, 4096, -4096, -4097, 32767, 32768, -32768, -32769,
	8388607, 8388608, -8388608, -8388609, 2147483647, 2147483648,
	-2147483648, -2147483649, math.MaxInt64, math.MinInt64,
}

// intSize is the entry size (with backlen) each boundary needs.
func intSize(v int64) int {
	switch {
	case v >= 0 && v <= 127:
		return 2
	case v >= -4096 && v <= 4095:
		return 3
	case v >= -32768 && v <= 32767:
		return 4
	case v >= -8388608 && v <= 8388607:
		return 5
	case v >= math.MinInt32 && v <= math.MaxInt32:
		return 6
	}
	return 10
}

func TestIntBoundaries(t *testing.T) {
	for _, v := range boundaryInts {
		s := []byte(strconv.FormatInt(v, 10))
		for _, name := range []string{"string", "int"} {
			lp := New(0)
			if name == "string" {
				lp = Append(lp, s)
			} else {
				lp = AppendInt(lp, v)
			}
			check(t, lp, [][]byte{s})
			if got := len(lp) - EmptySize; got != intSize(v) {
				t.Errorf("%s %d: entry size %d, want %d", name, v, got, intSize(v))
			}
			if got, ok := Int(lp, First(lp)); !ok || got != v {
				t.Errorf("Int(%d) = %d, %v", v, got, ok)
			}
			if _, _, isInt := Value(lp, First(lp)); !isInt {
				t.Errorf("Value(%d) is not an integer", v)
			}
		}
	}
}

func TestStringBoundaries(t *testing.T) {
	// String lengths at the encoding edges, and ones whose entry crosses
	// a backlen edge: encoded lengths 127/128, 16382/16383, 2097150/1.
	for _, n := range []int{0, 1, 63, 64, 125, 126, 4095, 4096, 16377, 16378, 2097145, 2097146} {
		s := bytes.Repeat([]byte{'x'}, n)
		lp := Append(New(0), s)
		lp = Append(lp, []byte("tail"))
		lp = Prepend(lp, []byte("head"))
		check(t, lp, [][]byte{[]byte("head"), s, []byte("tail")})
		p := Seek(lp, 1)
		if _, ok := Int(lp, p); ok {
			t.Errorf("string of %d is an integer", n)
		}
		enc := strEncodedLen(n)
		if got := EntrySize(lp, p); got != enc+backlenSize(enc) {
			t.Errorf("string of %d: size %d", n, got)
		}
	}
}

func TestBacklen(t *testing.T) {
	// Redis's thresholds: < 16383, < 2097151, < 268435455 (not <=).
	for _, c := range []struct{ l, size int }{
		{0, 1}, {127, 1}, {128, 2}, {16382, 2}, {16383, 3}, {2097150, 3},
		{2097151, 4}, {268435454, 4}, {268435455, 5}, {1<<32 - 1, 5},
	} {
		if got := backlenSize(c.l); got != c.size {
			t.Errorf("backlenSize(%d) = %d, want %d", c.l, got, c.size)
		}
		buf := make([]byte, 8)
		n := putBacklen(buf[2:], c.l)
		if got := decodeBacklen(buf, 2+n-1); got != c.l {
			t.Errorf("decodeBacklen(putBacklen(%d)) = %d", c.l, got)
		}
	}
}

func TestParseInt(t *testing.T) {
	for _, c := range []struct {
		s  string
		v  int64
		ok bool
	}{
		{"0", 0, true}, {"-0", 0, false}, {"01", 0, false}, {"+1", 0, false},
		{" 1", 0, false}, {"1 ", 0, false}, {"", 0, false}, {"-", 0, false},
		{"12a", 0, false}, {"9223372036854775807", math.MaxInt64, true},
		{"9223372036854775808", 0, false}, {"-9223372036854775808", math.MinInt64, true},
		{"-9223372036854775809", 0, false}, {"18446744073709551616", 0, false},
		{"99999999999999999999", 0, false}, {"123456789012345678901", 0, false},
		{"-42", -42, true}, {"1.0", 0, false},
	} {
		v, ok := ParseInt([]byte(c.s))
		if ok != c.ok || v != c.v {
			t.Errorf("ParseInt(%q) = %d, %v; want %d, %v", c.s, v, ok, c.v, c.ok)
		}
	}
}

func TestNonCanonicalStaysString(t *testing.T) {
	for _, s := range []string{"-0", "01", "+5", "1e3", " 7", "9223372036854775808"} {
		lp := Append(New(0), []byte(s))
		check(t, lp, [][]byte{[]byte(s)})
		if _, ok := Int(lp, First(lp)); ok {
			t.Errorf("%q stored as an integer", s)
		}
		if p := Find(lp, First(lp), []byte(s), 0); p != First(lp) {
			t.Errorf("Find(%q) = %d", s, p)
		}
	}
}

func TestSeek(t *testing.T) {
	var want [][]byte
	lp := New(0)
	for i := range 11 {
		s := []byte("e" + strconv.Itoa(i))
		want = append(want, s)
		lp = Append(lp, s)
	}
	var scratch [IntBufSize]byte
	for i := -13; i < 13; i++ {
		p := Seek(lp, i)
		j := i
		if j < 0 {
			j += len(want)
		}
		if j < 0 || j >= len(want) {
			if p != -1 {
				t.Errorf("Seek(%d) = %d, want -1", i, p)
			}
			continue
		}
		if got := Get(lp, p, scratch[:]); !bytes.Equal(got, want[j]) {
			t.Errorf("Seek(%d) -> %q, want %q", i, got, want[j])
		}
	}
}

func TestCountUnknown(t *testing.T) {
	lp := New(0)
	elems := make([][]byte, 0, CountUnknown+2)
	for i := range CountUnknown + 2 {
		elems = append(elems, []byte(strconv.Itoa(i%300)))
	}
	lp = AppendAll(lp, elems[:CountUnknown-1]...)
	if headerCount(lp) != CountUnknown-1 {
		t.Fatalf("count %d", headerCount(lp))
	}
	lp = Append(lp, elems[CountUnknown-1])
	if headerCount(lp) != CountUnknown {
		t.Fatalf("count after 65535 = %d, want unknown", headerCount(lp))
	}
	lp = AppendAll(lp, elems[CountUnknown:]...)
	check(t, lp, elems)
	if got := Seek(lp, -1); got != Last(lp) {
		t.Errorf("Seek(-1) with unknown count = %d, want %d", got, Last(lp))
	}
	if got, want := Seek(lp, CountUnknown+1), Last(lp); got != want {
		t.Errorf("Seek(last) with unknown count = %d, want %d", got, want)
	}
	if Seek(lp, CountUnknown+2) != -1 {
		t.Errorf("Seek past the end with unknown count found something")
	}
	lp, _ = DeleteAt(lp, First(lp), 3)
	elems = elems[3:]
	if headerCount(lp) != CountUnknown {
		t.Errorf("count after delete = %d, want still unknown", headerCount(lp))
	}
	// DeleteRange with an unknown count takes the walking path.
	lp = DeleteRange(lp, -2, 5)
	elems = elems[:len(elems)-2]
	check(t, lp, elems)
	if n := Recount(lp); n != len(elems) || headerCount(lp) != len(elems) {
		t.Errorf("Recount = %d, header %d, want %d", n, headerCount(lp), len(elems))
	}
}

func TestDeleteRange(t *testing.T) {
	for _, c := range []struct{ index, n int }{
		{0, 0}, {0, 1}, {0, 10}, {0, 11}, {0, 100}, {3, 4}, {-1, 1}, {-1, 5},
		{-3, 2}, {-11, 3}, {-12, 1}, {11, 1}, {10, 1}, {5, -1},
	} {
		var want [][]byte
		lp := New(0)
		for i := range 11 {
			s := []byte(strconv.Itoa(i * 1000))
			want = append(want, s)
			lp = Append(lp, s)
		}
		lp = DeleteRange(lp, c.index, c.n)
		i := c.index
		if i < 0 {
			i += len(want)
		}
		if i >= 0 && i < len(want) && c.n > 0 {
			want = append(want[:i:i], want[min(i+c.n, len(want)):]...)
		}
		check(t, lp, want)
	}
}

func TestFindSkip(t *testing.T) {
	// A hash: field, value pairs. A value equal to a field name must not be
	// found when skipping values.
	lp := AppendAll(New(0), []byte("a"), []byte("b"), []byte("b"), []byte("1"),
		[]byte("7"), []byte("a"), []byte("x"), []byte("7"))
	if p := Find(lp, First(lp), []byte("b"), 1); p != Seek(lp, 2) {
		t.Errorf("Find(b, skip 1) = %d, want %d", p, Seek(lp, 2))
	}
	if p := Find(lp, First(lp), []byte("7"), 1); p != Seek(lp, 4) {
		t.Errorf("Find(7, skip 1) = %d, want %d", p, Seek(lp, 4))
	}
	if p := Find(lp, First(lp), []byte("1"), 1); p != -1 {
		t.Errorf("Find(1, skip 1) = %d, want -1", p)
	}
	if p := Find(lp, Seek(lp, 1), []byte("1"), 1); p != Seek(lp, 3) {
		t.Errorf("Find(1) among values = %d, want %d", p, Seek(lp, 3))
	}
	if p := Find(lp, First(lp), []byte("07"), 0); p != -1 {
		t.Errorf("Find(07) = %d, want -1", p)
	}
	if p := Find(lp, -1, []byte("a"), 0); p != -1 {
		t.Errorf("Find from -1 = %d", p)
	}
}

func TestAppendSemantics(t *testing.T) {
	lp := New(64)
	before := &lp[:1][0]
	lp = Append(lp, []byte("hello"))
	lp = AppendInt(lp, 5)
	lp, _ = InsertBefore(lp, First(lp), []byte("x"))
	if &lp[0] != before {
		t.Errorf("changes within capacity reallocated")
	}
	n := testing.AllocsPerRun(100, func() {
		l := Append(lp[:len(lp):len(lp)], []byte("grow"))
		_ = l
	})
	if n != 1 {
		t.Errorf("an append past capacity made %v allocations, want 1", n)
	}
	var scratch [IntBufSize]byte
	p := Last(lp)
	if n := testing.AllocsPerRun(100, func() { _ = Get(lp, p, scratch[:]) }); n != 0 {
		t.Errorf("Get allocated %v times", n)
	}
	if s := Shrink(lp); cap(s) != len(lp) || !bytes.Equal(s, lp) {
		t.Errorf("Shrink: cap %d len %d", cap(s), len(lp))
	}
}

func TestInsertReplaceDelete(t *testing.T) {
	lp := AppendAll(New(0), []byte("a"), []byte("c"))
	lp, p := InsertAfter(lp, First(lp), []byte("b"))
	check(t, lp, [][]byte{[]byte("a"), []byte("b"), []byte("c")})
	if !Equal(lp, p, []byte("b")) {
		t.Errorf("InsertAfter returned %d, not the new element", p)
	}
	lp, p = InsertIntBefore(lp, p, -5000)
	lp = ReplaceInt(lp, First(lp), 1<<40)
	lp, _ = InsertIntAfter(lp, Last(lp), 3)
	lp = PrependInt(lp, 9)
	check(t, lp, [][]byte{[]byte("9"), []byte("1099511627776"), []byte("-5000"),
		[]byte("b"), []byte("c"), []byte("3")})
	lp = Replace(lp, Seek(lp, 3), bytes.Repeat([]byte("y"), 5000))
	lp = Replace(lp, Seek(lp, 3), []byte("z"))
	lp, next := Delete(lp, Seek(lp, 2))
	if !Equal(lp, next, []byte("z")) {
		t.Errorf("Delete returned %d, not the next element", next)
	}
	lp, next = Delete(lp, Last(lp))
	if next != -1 {
		t.Errorf("Delete of the last returned %d", next)
	}
	check(t, lp, [][]byte{[]byte("9"), []byte("1099511627776"), []byte("z"), []byte("c")})
	lp, next = DeleteAt(lp, Seek(lp, 1), 10)
	if next != -1 {
		t.Errorf("DeleteAt to the end returned %d", next)
	}
	check(t, lp, [][]byte{[]byte("9")})
	if !Empty(DeleteRange(lp, 0, 1)) {
		t.Errorf("not empty after deleting everything")
	}
}

func TestMerge(t *testing.T) {
	mk := func(n, from int) ([]byte, [][]byte) {
		var elems [][]byte
		for i := range n {
			elems = append(elems, []byte(strconv.Itoa(from+i)+"x"))
		}
		return AppendAll(New(0), elems...), elems
	}
	for _, c := range []struct{ a, b int }{{0, 0}, {0, 3}, {3, 0}, {5, 7}, {65530, 10}, {65536, 2}, {3, 65534}} {
		a, ea := mk(c.a, 0)
		b, eb := mk(c.b, c.a)
		bCopy := bytes.Clone(b)
		got := Merge(a, b)
		want := AppendAll(New(0), append(ea, eb...)...)
		if !bytes.Equal(got, want) {
			t.Errorf("Merge(%d, %d) differs from appending", c.a, c.b)
		}
		if !bytes.Equal(b, bCopy) {
			t.Errorf("Merge(%d, %d) changed its source", c.a, c.b)
		}
		if c.a+c.b < 100 {
			check(t, got, append(ea, eb...))
		}
	}
}

func TestFormatScore(t *testing.T) {
	for _, c := range []struct {
		f    float64
		want string
	}{
		{0, "0"}, {math.Copysign(0, -1), "0"}, {1, "1"}, {-3, "-3"}, {1.5, "1.5"},
		{0.1, "0.10000000000000001"}, {1e15, "1000000000000000"},
		{1 << 62, "4611686018427387904"}, {-(1 << 62), "-4611686018427387904"},
		{1<<62 + 1024, "4.6116860184273889e+18"}, {1e300, "1.0000000000000001e+300"},
		{math.Inf(1), "inf"}, {math.Inf(-1), "-inf"}, {math.NaN(), "nan"},
		{1e-5, "1.0000000000000001e-05"},
	} {
		if got := string(FormatScore(nil, c.f)); got != c.want {
			t.Errorf("FormatScore(%v) = %q, want %q", c.f, got, c.want)
		}
		lp := Append(New(0), FormatScore(nil, c.f))
		got, ok := Score(lp, First(lp))
		same := got == c.f || (math.IsNaN(got) && math.IsNaN(c.f))
		if !ok || !same || math.Signbit(got) != math.Signbit(c.f) && c.f != 0 {
			t.Errorf("Score(FormatScore(%v)) = %v, %v", c.f, got, ok)
		}
	}
}

func TestScoreOfNoNumber(t *testing.T) {
	lp := AppendAll(New(0), []byte("abc"), []byte("1e400"), []byte("7"))
	if _, ok := Score(lp, First(lp)); ok {
		t.Errorf("Score(abc) reported a number")
	}
	if f, ok := Score(lp, Seek(lp, 1)); !ok || !math.IsInf(f, 1) {
		t.Errorf("Score(1e400) = %v, %v; want +inf as strtod gives", f, ok)
	}
	if f, ok := Score(lp, Seek(lp, 2)); !ok || f != 7 {
		t.Errorf("Score(7) = %v, %v", f, ok)
	}
}

// TestRandomOps applies random changes to a listpack and to a [][]byte
// model and compares them after each.
func TestRandomOps(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	val := func() []byte {
		switch rng.IntN(6) {
		case 0:
			return []byte(strconv.FormatInt(boundaryInts[rng.IntN(len(boundaryInts))], 10))
		case 1:
			return []byte(strconv.FormatInt(rng.Int64N(100000)-50000, 10))
		case 2:
			return bytes.Repeat([]byte{'a' + byte(rng.IntN(26))}, rng.IntN(5000))
		case 3:
			return []byte("-0")
		default:
			return bytes.Repeat([]byte{'k'}, rng.IntN(70))
		}
	}
	for round := range 20 {
		var model [][]byte
		lp := New(rng.IntN(100))
		for step := range 300 {
			n := len(model)
			switch op := rng.IntN(10); {
			case op == 0:
				v := val()
				lp = Prepend(lp, v)
				model = append([][]byte{v}, model...)
			case op == 1 && n > 0:
				i := rng.IntN(n)
				v := val()
				var p int
				lp, p = InsertBefore(lp, Seek(lp, i), v)
				model = append(model[:i], append([][]byte{v}, model[i:]...)...)
				if !Equal(lp, p, v) {
					t.Fatalf("InsertBefore returned a wrong offset")
				}
			case op == 2 && n > 0:
				i := rng.IntN(n)
				v := val()
				lp, _ = InsertAfter(lp, Seek(lp, i-n), v)
				model = append(model[:i+1], append([][]byte{v}, model[i+1:]...)...)
			case op == 3 && n > 0:
				i := rng.IntN(n)
				v := val()
				lp = Replace(lp, Seek(lp, i), v)
				model[i] = v
			case op == 4 && n > 0:
				i := rng.IntN(n)
				lp, _ = Delete(lp, Seek(lp, i))
				model = append(model[:i], model[i+1:]...)
			case op == 5 && n > 0:
				i, c := rng.IntN(n), rng.IntN(4)
				lp = DeleteRange(lp, i, c)
				model = append(model[:i], model[min(i+c, n):]...)
			case op == 6:
				vs := [][]byte{val(), val(), val()}
				lp = AppendAll(lp, vs...)
				model = append(model, vs...)
			case op == 7 && n > 0:
				i := rng.IntN(n)
				want := -1
				for j := range i + 1 {
					if Equal(lp, Seek(lp, j), model[i]) {
						want = Seek(lp, j)
						break
					}
				}
				if got := Find(lp, First(lp), model[i], 0); got != want {
					t.Fatalf("Find = %d, want %d", got, want)
				}
				// With skip 1, only even indexes are compared.
				want = -1
				for j := 0; j < n; j += 2 {
					if Equal(lp, Seek(lp, j), model[i]) {
						want = Seek(lp, j)
						break
					}
				}
				if got := Find(lp, First(lp), model[i], 1); got != want {
					t.Fatalf("Find(skip 1) = %d, want %d", got, want)
				}
			default:
				v := val()
				lp = Append(lp, v)
				model = append(model, v)
			}
			// Keep the copy in the model distinct from lp's bytes.
			for i := range model {
				model[i] = bytes.Clone(model[i])
			}
			if step%10 == 0 || round == 0 {
				check(t, lp, model)
			}
		}
		check(t, lp, model)
	}
}

func TestValidateRejects(t *testing.T) {
	good := AppendAll(New(0), []byte("abc"), []byte("12345"), bytes.Repeat([]byte("z"), 200))
	if err := Validate(good, true); err != nil {
		t.Fatalf("good listpack: %v", err)
	}
	mutate := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	for name, b := range map[string][]byte{
		"short":      good[:5],
		"total":      mutate(func(b []byte) []byte { b[0]++; return b }),
		"terminator": mutate(func(b []byte) []byte { b[len(b)-1] = 0; return b }),
		"count":      mutate(func(b []byte) []byte { b[4] = 2; return b }),
		"encoding":   mutate(func(b []byte) []byte { b[HeaderSize] = 0xF5; return b }),
		"backlen":    mutate(func(b []byte) []byte { b[HeaderSize+4] = 9; return b }),
		"overrun": mutate(func(b []byte) []byte {
			b[HeaderSize] = enc32BitStr
			b[HeaderSize+4] = 0x7F
			return b
		}),
		"early eof": mutate(func(b []byte) []byte { b[HeaderSize+5] = eof; return b }),
	} {
		if err := Validate(b, true); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: Validate = %v, want ErrCorrupt", name, err)
		}
	}
	called := 0
	err := ValidateEach(good, true, func(lp []byte, p int) bool { called++; return called < 3 })
	if !errors.Is(err, ErrCorrupt) || called != 3 {
		t.Errorf("ValidateEach rejecting the third: %v after %d calls", err, called)
	}
}

// FuzzValidate checks that Validate never panics, and that whatever passes
// deep validation can be walked both ways, read and changed.
func FuzzValidate(f *testing.F) {
	f.Add(New(0))
	f.Add(AppendAll(New(0), []byte("a"), []byte("-4097"), bytes.Repeat([]byte("q"), 70)))
	f.Add(AppendAll(New(0), []byte("9223372036854775807"), []byte("300"), []byte("70000")))
	f.Add([]byte{7, 0, 0, 0, 0, 0, 0xFF})
	f.Fuzz(func(t *testing.T, b []byte) {
		if Validate(b, false) != nil {
			return
		}
		if Validate(b, true) != nil {
			return
		}
		var scratch [IntBufSize]byte
		var fwd [][]byte
		for p := First(b); p >= 0; p = Next(b, p) {
			fwd = append(fwd, bytes.Clone(Get(b, p, scratch[:])))
		}
		n := len(fwd)
		for p := Last(b); p >= 0; p = Prev(b, p) {
			n--
			if n < 0 || !bytes.Equal(Get(b, p, scratch[:]), fwd[n]) {
				t.Fatalf("backwards walk differs at %d", n)
			}
		}
		if n != 0 || Len(b) != len(fwd) {
			t.Fatalf("walks disagree: %d left, Len %d, %d elements", n, Len(b), len(fwd))
		}
		c := bytes.Clone(b)
		c = Append(c, []byte("x"))
		if p := First(c); p >= 0 {
			c = Replace(c, p, []byte("12"))
			c, _ = Delete(c, p)
		}
		if err := Validate(c, true); err != nil {
			t.Fatalf("changed listpack invalid: %v", err)
		}
	})
}

func BenchmarkAppend(b *testing.B) {
	for _, size := range []int{8, 64} {
		v := bytes.Repeat([]byte("v"), size)
		b.Run("size="+strconv.Itoa(size), func(b *testing.B) {
			lp := New(0)
			for i := 0; b.Loop(); i++ {
				if i%128 == 0 {
					lp = New(len(lp))
				}
				lp = Append(lp, v)
			}
		})
	}
}

func BenchmarkFind(b *testing.B) {
	lp := New(0)
	for i := range 128 {
		lp = AppendAll(lp, []byte("field:"+strconv.Itoa(i)), []byte(strconv.Itoa(i)))
	}
	miss := []byte("field:absent")
	b.Run("pairs=128/miss", func(b *testing.B) {
		for b.Loop() {
			if Find(lp, First(lp), miss, 1) != -1 {
				b.Fatal("found")
			}
		}
	})
}
