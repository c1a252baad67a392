package num

import (
	"math/big"
	"math/rand/v2"
	"strconv"
	"testing"
)

// The expected texts below come from redis-server 7.0.15 on x86-64 (its
// INCRBYFLOAT replies); conformance/incrbyfloat_test.go compares thousands
// more against a live server.
func TestLongDoubleIncr(t *testing.T) {
	tests := []struct {
		a, b, want string
	}{
		{"10.5", "0.1", "10.6"},
		{"0.1", "0.2", "0.30000000000000000"[:3]},
		{"0", "0.000003814697265625", "0.00000381469726562"}, // a tie at the 18th decimal, to even
		{"0", "0.000011444091796875", "0.00001144409179688"}, // a tie rounded up, to even
		{"0", "1e20", "100000000000000000000"},
		{"0", "0.3333333333333333333333333333", "0.33333333333333333"},
		{"-9223372036854775808", "-1", "-9223372036854775809"},
		{"9223372036854775807", "1", "9223372036854775808"},
		{"0", "-1e-20", "0"},
		{"0", "-0", "0"},
		{"5", "1.5", "6.5"},
		{"0", "0x1.8p1", "3"},
		{"0", ".5", "0.5"},
		{"0", "5.", "5"},
		{"0", "+1e+2", "100"},
	}
	for _, tt := range tests {
		a, ok1 := ParseLongDouble([]byte(tt.a))
		b, ok2 := ParseLongDouble([]byte(tt.b))
		sum, ok3 := a.Add(b)
		got := string(AppendLongDouble(nil, sum))
		if !ok1 || !ok2 || !ok3 || got != tt.want {
			t.Errorf("%s + %s = %q (%v %v %v), want %q", tt.a, tt.b, got, ok1, ok2, ok3, tt.want)
		}
	}
}

func zeros(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = '0'
	}
	return string(b)
}

func TestParseLongDoubleRejects(t *testing.T) {
	for _, s := range []string{
		"", " 1", "1 ", "\t1", "1\x00", "abc", "nan", "NaN", "nan(1)", "-nan", "1e", "1e+", ".", "-", "+",
		"0x", "0xg", "0x1p", "1..2", "1,5", "--1", "infinit", "in", "1e5000", "1e-5000", "0x1p-16446",
		"0x1p16384", "1.18973149535723176509e4932", "1.8e-4951", zeros(5120),
	} {
		if x, ok := ParseLongDouble([]byte(s)); ok && !x.IsInf() {
			t.Errorf("ParseLongDouble(%q) = %v, want a refusal", s, x.Float64())
		}
	}
	for _, s := range []string{"inf", "-INF", "Infinity", "+infinity"} {
		if x, ok := ParseLongDouble([]byte(s)); !ok || !x.IsInf() {
			t.Errorf("ParseLongDouble(%q) = %v, %v; want an infinity", s, x, ok)
		}
	}
	for _, s := range []string{"1e-4940", "0x1p-16445", "1.9e-4951", "1.18973149535723176502e4932", zeros(5119), "0e-99999", "-0"} {
		if _, ok := ParseLongDouble([]byte(s)); !ok {
			t.Errorf("ParseLongDouble(%q) refused", s)
		}
	}
}

// TestFastPathsAgree checks the 128-bit fast paths of parsing, adding and
// printing against the exact big-number code they shortcut.
func TestFastPathsAgree(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 200000; i++ {
		digits := strconv.FormatUint(r.Uint64()>>uint(r.IntN(64)), 10)
		if len(digits) > 19 {
			digits = digits[:19]
		}
		point := r.IntN(len(digits) + 1)
		s := digits[:point] + "." + digits[point:]
		if r.IntN(3) == 0 {
			s += "e" + strconv.Itoa(r.IntN(30)-15)
		}
		fast, ok, done := parseDecimalFast([]byte(s))
		if !done {
			continue
		}
		slow, okSlow := parseDecimalSlow([]byte(s))
		if ok != okSlow || fast != slow {
			t.Fatalf("%q: fast %+v %v, exact %+v %v", s, fast, ok, slow, okSlow)
		}
		// Sum in 128 bits and in big integers.
		other, _ := parseDecimalSlow([]byte(strconv.Itoa(r.IntN(2000) - 1000)))
		if r.IntN(2) == 0 {
			other.neg = !other.neg
		}
		lo := min(fast.exp, other.exp)
		if small, ok := addSmall(fast, other, lo); ok {
			if exact := addExact(fast, other); small != exact {
				t.Fatalf("%q + %+v: 128-bit %+v, exact %+v", s, other, small, exact)
			}
		}
		if got, want := string(AppendLongDouble(nil, fast)), formatExact(fast); got != want {
			t.Fatalf("%q prints %q, exact %q", s, got, want)
		}
	}
}

// parseDecimalSlow is parseDecimal without its fast path.
func parseDecimalSlow(s []byte) (LongDouble, bool) {
	digits, frac, rest, ok := mantissa(s, isDecDigit)
	if !ok {
		return LongDouble{}, false
	}
	e := 0
	if len(rest) > 0 {
		if e, ok = exponent(rest[1:]); !ok {
			return LongDouble{}, false
		}
	}
	if len(digits) == 0 {
		return LongDouble{}, true
	}
	e -= frac
	n, _ := new(big.Int).SetString(string(digits), 10)
	d := big.NewInt(1)
	if e > 0 {
		n.Mul(n, pow10(e))
	} else if e < 0 {
		d = pow10(-e)
	}
	x := roundRatio(n, d, 0)
	return x, !x.inf && x.mant != 0
}

func addExact(x, y LongDouble) LongDouble {
	lo := min(x.exp, y.exp)
	a := new(big.Int).Lsh(new(big.Int).SetUint64(x.mant), uint(x.exp-lo))
	if x.neg {
		a.Neg(a)
	}
	b := new(big.Int).Lsh(new(big.Int).SetUint64(y.mant), uint(y.exp-lo))
	if y.neg {
		b.Neg(b)
	}
	a.Add(a, b)
	if a.Sign() == 0 {
		return LongDouble{}
	}
	neg := a.Sign() < 0
	r := roundRatio(a.Abs(a), bigOne, int(lo))
	r.neg = neg
	return r
}

// formatExact prints x with big.Float, whose decimal conversion is exact
// and rounds half to even, then trims as ld2string does.
func formatExact(x LongDouble) string {
	f := new(big.Float).SetPrec(64).SetUint64(x.mant)
	f.SetMantExp(f, int(x.exp))
	if x.neg {
		f.Neg(f)
	}
	s := f.Text('f', 17)
	for s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	if s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

func FuzzParseLongDouble(f *testing.F) {
	for _, s := range []string{"10.5", "0.1", "-1e-20", "0x1.8p3", "inf", "nan", "1e4932", "1e-4951",
		"0x1p-16445", " 1", "1e", ".5", "5.", "+0", "00012.5000", "9999999999999999999.5"} {
		f.Add([]byte(s), []byte("0.1"))
	}
	f.Fuzz(func(t *testing.T, a, b []byte) {
		x, okx := ParseLongDouble(a)
		y, oky := ParseLongDouble(b)
		if !okx || !oky {
			return
		}
		sum, ok := x.Add(y)
		if !ok {
			if !x.IsInf() && !y.IsInf() && sum.IsZero() {
				t.Fatalf("%q + %q: refused a finite zero", a, b)
			}
			return
		}
		text := AppendLongDouble(nil, sum)
		// What INCRBYFLOAT prints must parse back (Redis stores it and
		// parses it at the next increment).
		if back, ok := ParseLongDouble(text); !ok && !sum.IsZero() {
			t.Fatalf("%q + %q printed %q, which does not parse back (%v)", a, b, text, back)
		}
	})
}

// TestLongDoubleBig checks that Big is exact: parsing then converting gives
// the value big.Float parses at 64-bit precision, and infinities stay
// infinite.
func TestLongDoubleBig(t *testing.T) {
	for _, s := range []string{"0", "-0", "1", "0.001", "-0.001", "0.1", "123456789.123456789", "1e300", "-2.5e-300", "0x1.8p3"} {
		x, ok := ParseLongDouble([]byte(s))
		if !ok {
			t.Fatalf("ParseLongDouble(%q) failed", s)
		}
		want, _, err := big.ParseFloat(s, 0, 64, big.ToNearestEven)
		if err != nil {
			t.Fatal(err)
		}
		if got := x.Big(); got.Cmp(want) != 0 || got.Signbit() != want.Signbit() {
			t.Errorf("ParseLongDouble(%q).Big() = %s, want %s", s, got.Text('g', 25), want.Text('g', 25))
		}
	}
	x, _ := ParseLongDouble([]byte("-inf"))
	if f := x.Big(); !f.IsInf() || f.Sign() >= 0 {
		t.Errorf("-inf.Big() = %v, want -Inf", f)
	}
}
