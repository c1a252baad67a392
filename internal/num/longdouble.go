package num

import (
	"math/big"
	"math/bits"
	"strconv"
)

// LongDouble is a value of C's long double as x86-64 has it: the x87 80-bit
// extended format, with a 64-bit significand, exponents from -16382 to
// 16383, subnormals below that, and infinities. INCRBYFLOAT computes in this
// type, and its replies show every rounding it does, so Redoubt must round
// exactly where Redis does: plain float64 gives different text (10.5 + 0.1
// prints "10.6" in long double and "10.59999999999999964" in double).
//
// A finite value is mant × 2^exp with mant < 2^64. Operations round to
// nearest, ties to even, as the FPU does in its default mode.
type LongDouble struct {
	mant uint64
	exp  int32
	neg  bool
	inf  bool
}

// Limits of the x87 extended format, as powers of two.
const (
	// ldMinExp is the exponent of the smallest subnormal, 2^-16445: no
	// value has a bit below it.
	ldMinExp = -16382 - 63
	// ldMaxBits bounds the magnitude: every finite value is below 2^16384.
	ldMaxBits = 16384
	// maxLongDoubleChars is Redis's MAX_LONG_DOUBLE_CHARS: string2ld refuses
	// texts this long or longer, and ld2string's buffer has this size.
	maxLongDoubleChars = 5 * 1024
)

// LongDoubleFromInt returns n as a long double, exactly (the significand
// holds any int64).
func LongDoubleFromInt(n int64) LongDouble {
	if n < 0 {
		x := finish(uint64(-n), 0) // -MinInt64 wraps to 2^63
		x.neg = true
		return x
	}
	return finish(uint64(n), 0)
}

// IsInf reports whether x is an infinity.
func (x LongDouble) IsInf() bool { return x.inf }

// IsZero reports whether x is zero, of either sign.
func (x LongDouble) IsZero() bool { return !x.inf && x.mant == 0 }

// Float64 returns x rounded to a float64, for tests and diagnostics.
func (x LongDouble) Float64() float64 {
	f := new(big.Float).SetPrec(64)
	if x.inf {
		f.SetInf(x.neg)
	} else {
		f.SetUint64(x.mant).SetMantExp(f, int(x.exp))
		if x.neg {
			f.Neg(f)
		}
	}
	v, _ := f.Float64()
	return v
}

// Add returns x + y rounded to long double. ok is false when the sum is NaN
// or an infinity, which INCRBYFLOAT refuses.
func (x LongDouble) Add(y LongDouble) (sum LongDouble, ok bool) {
	switch {
	case x.inf || y.inf:
		return LongDouble{}, false
	case x.mant == 0 && y.mant == 0:
		// -0 + -0 is -0; any other sum of zeros is +0.
		return LongDouble{neg: x.neg && y.neg}, true
	case x.mant == 0:
		return y, true
	case y.mant == 0:
		return x, true
	}
	// Align both significands on the lower exponent; the sum is then an
	// exact integer times 2^lo, rounded once.
	lo := min(x.exp, y.exp)
	if r, ok := addSmall(x, y, lo); ok {
		return r, !r.inf
	}
	a := new(big.Int).SetUint64(x.mant)
	a.Lsh(a, uint(x.exp-lo))
	if x.neg {
		a.Neg(a)
	}
	b := new(big.Int).SetUint64(y.mant)
	b.Lsh(b, uint(y.exp-lo))
	if y.neg {
		b.Neg(b)
	}
	a.Add(a, b)
	if a.Sign() == 0 {
		return LongDouble{}, true // exact cancellation gives +0
	}
	neg := a.Sign() < 0
	a.Abs(a)
	r := roundRatio(a, bigOne, int(lo))
	r.neg = neg
	return r, !r.inf
}

var bigOne = big.NewInt(1)

// addSmall adds x and y in 128-bit arithmetic when their aligned
// significands fit, which is the common case; ok is false otherwise.
func addSmall(x, y LongDouble, lo int32) (LongDouble, bool) {
	sx, sy := uint(x.exp-lo), uint(y.exp-lo)
	if sx > 62 || sy > 62 {
		return LongDouble{}, false
	}
	// Each aligned significand is below 2^126, so the sum fits 128 bits.
	xh, xl := shl128(0, x.mant, sx)
	yh, yl := shl128(0, y.mant, sy)
	var hi, lo64 uint64
	neg := x.neg
	if x.neg == y.neg {
		var c uint64
		lo64, c = bits.Add64(xl, yl, 0)
		hi, _ = bits.Add64(xh, yh, c)
	} else {
		// Subtract the smaller magnitude from the larger.
		if xh < yh || (xh == yh && xl < yl) {
			xh, xl, yh, yl = yh, yl, xh, xl
			neg = y.neg
		}
		var bw uint64
		lo64, bw = bits.Sub64(xl, yl, 0)
		hi, _ = bits.Sub64(xh, yh, bw)
		if hi == 0 && lo64 == 0 {
			return LongDouble{}, true
		}
	}
	r := round128(hi, lo64, int(lo))
	r.neg = neg
	return r, true
}

func shl128(hi, lo uint64, s uint) (uint64, uint64) {
	switch {
	case s == 0:
		return hi, lo
	case s >= 64:
		return lo << (s - 64), 0
	}
	return hi<<s | lo>>(64-s), lo << s
}

// round128 rounds the integer hi:lo times 2^exp, which is not zero, to a
// long double.
func round128(hi, lo uint64, exp int) LongDouble {
	n := 128 - bits.LeadingZeros64(hi)
	if hi == 0 {
		n = 64 - bits.LeadingZeros64(lo)
	}
	drop := max(n-64, ldMinExp-exp, 0) // bits below the significand
	if drop >= 128 {
		return roundRatio(new(big.Int).SetBits(words128(hi, lo)), bigOne, exp)
	}
	// Split hi:lo into the kept part q and the dropped remainder.
	var q uint64
	var half, rest bool // the first dropped bit, and any bit after it
	switch {
	case drop == 0:
		q = lo
	default:
		qh, ql := shr128(hi, lo, uint(drop))
		if qh != 0 { // cannot happen: drop makes q fit 64 bits
			return roundRatio(new(big.Int).SetBits(words128(hi, lo)), bigOne, exp)
		}
		q = ql
		_, hl := shr128(hi, lo, uint(drop-1))
		half = hl&1 != 0
		mh, ml := mask128(uint(drop - 1))
		rest = hi&mh != 0 || lo&ml != 0
	}
	e := exp + drop
	if half && (rest || q&1 != 0) {
		q++
		if q == 0 { // carried out of 64 bits
			q = 1 << 63
			e++
		}
	}
	return finish(q, e)
}

func shr128(hi, lo uint64, s uint) (uint64, uint64) {
	switch {
	case s == 0:
		return hi, lo
	case s >= 64:
		return 0, hi >> (s - 64)
	}
	return hi >> s, lo>>s | hi<<(64-s)
}

// mask128 returns the mask of the low s bits.
func mask128(s uint) (uint64, uint64) {
	switch {
	case s == 0:
		return 0, 0
	case s < 64:
		return 0, 1<<s - 1
	case s == 64:
		return 0, ^uint64(0)
	}
	return 1<<(s-64) - 1, ^uint64(0)
}

func words128(hi, lo uint64) []big.Word {
	if bits.UintSize == 64 {
		return []big.Word{big.Word(lo), big.Word(hi)}
	}
	return []big.Word{big.Word(lo), big.Word(lo >> 32), big.Word(hi), big.Word(hi >> 32)}
}

// finish builds the value q × 2^e, turning one too large into an infinity.
// The result is normalized (the significand's top bit set, unless the
// value is subnormal), so that equal values have equal representations.
func finish(q uint64, e int) LongDouble {
	if q == 0 {
		return LongDouble{}
	}
	if e+bits.Len64(q) > ldMaxBits {
		return LongDouble{inf: true}
	}
	shift := max(min(bits.LeadingZeros64(q), e-ldMinExp), 0)
	return LongDouble{mant: q << shift, exp: int32(e - shift)}
}

// roundRatio rounds n/d × 2^exp, with n and d positive, to a long double,
// to nearest with ties to even, subnormals included. The result is zero
// when the value is below half the smallest subnormal, infinite when it is
// too large.
func roundRatio(n, d *big.Int, exp int) LongDouble {
	// q is the exponent of the result's lowest bit: n/d × 2^(exp-q) must
	// lie in [2^63, 2^64), or q is the subnormal floor.
	q := exp + n.BitLen() - d.BitLen() - 64
	var quo, rem, num, den big.Int
	for {
		qq := max(q, ldMinExp)
		num.Set(n)
		den.Set(d)
		if s := exp - qq; s >= 0 {
			num.Lsh(&num, uint(s))
		} else {
			den.Lsh(&den, uint(-s))
		}
		quo.QuoRem(&num, &den, &rem)
		if quo.BitLen() > 64 {
			q++
			continue
		}
		q = qq
		break
	}
	m := quo.Uint64()
	rem.Lsh(&rem, 1)
	if c := rem.Cmp(&den); c > 0 || (c == 0 && m&1 != 0) {
		m++
		if m == 0 {
			m = 1 << 63
			q++
		}
	}
	return finish(m, q)
}

// ParseLongDouble parses b as Redis's string2ld does with glibc's strtold:
// decimal or hexadecimal ("0x1.8p3") notation with an optional sign,
// "inf" and "infinity" in any case (accepted; INCRBYFLOAT then refuses the
// infinite sum), correctly rounded. It refuses an empty text, one of 5120
// bytes or more, leading or trailing spaces and anything after the number
// (a NUL byte included), NaN, and values that overflow to an infinity or
// underflow to zero (glibc's ERANGE); nonzero subnormals are accepted.
func ParseLongDouble(b []byte) (LongDouble, bool) {
	if len(b) == 0 || len(b) >= maxLongDoubleChars {
		return LongDouble{}, false
	}
	neg := false
	s := b
	switch s[0] {
	case '-':
		neg = true
		s = s[1:]
	case '+':
		s = s[1:]
	}
	var x LongDouble
	var ok bool
	switch {
	case len(s) > 0 && (s[0] == 'i' || s[0] == 'I'):
		x, ok = LongDouble{inf: true}, equalFold(s, "inf") || equalFold(s, "infinity")
	case len(s) > 1 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'):
		x, ok = parseHex(s[2:])
	default:
		x, ok = parseDecimal(s)
	}
	x.neg = neg
	return x, ok
}

func equalFold(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i := range b {
		c := b[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// mantissa scans digits with an optional point: the digits without leading
// zeros, the number of digits after the point, and where the scan stopped.
// ok is false when there is no digit at all.
func mantissa(s []byte, isDigit func(byte) bool) (digits []byte, frac int, rest []byte, ok bool) {
	i := 0
	start := -1
	seen := false
	var buf []byte
	point := false
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case isDigit(c):
			seen = true
			if point {
				frac++
			}
			if start < 0 && c == '0' {
				continue // leading zero
			}
			if start < 0 {
				start = i
			}
			buf = append(buf, c)
		case c == '.' && !point:
			point = true
		default:
			return buf, frac, s[i:], seen
		}
	}
	return buf, frac, s[i:], seen
}

// exponent scans an exponent after its letter: an optional sign and
// decimal digits, saturating far beyond any meaningful value. ok is false
// when no digit follows, in which case strtold leaves the letter unread.
func exponent(s []byte) (e int, ok bool) {
	neg := false
	if len(s) > 0 && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if len(s) == 0 {
		return 0, false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		if e < 1<<30 {
			e = e*10 + int(c-'0')
		}
	}
	if neg {
		e = -e
	}
	return e, true
}

func isDecDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHexDigit(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// parseDecimal parses digits [. digits] [e [sign] digits] after the sign.
func parseDecimal(s []byte) (LongDouble, bool) {
	if x, ok, done := parseDecimalFast(s); done {
		return x, ok
	}
	digits, frac, rest, ok := mantissa(s, isDecDigit)
	if !ok {
		return LongDouble{}, false
	}
	e := 0
	if len(rest) > 0 {
		if rest[0] != 'e' && rest[0] != 'E' {
			return LongDouble{}, false
		}
		if e, ok = exponent(rest[1:]); !ok {
			return LongDouble{}, false
		}
	}
	if len(digits) == 0 {
		return LongDouble{}, true // zero, whatever the exponent
	}
	// The value is 0.digits × 10^mag: it lies in [10^(mag-1), 10^mag).
	e -= frac
	mag := len(digits) + e
	switch {
	case mag > 4934: // above the largest long double, about 1.19e4932
		return LongDouble{inf: true}, false
	case mag < -4950: // below half the smallest subnormal, about 3.6e-4951
		return LongDouble{}, false
	}
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

// pow10u holds the powers of ten that fit a uint64.
var pow10u = [20]uint64{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19}

// parseDecimalFast parses the common short forms (at most 19 significant
// digits, an exponent that keeps the value within 10^±19) exactly in
// 128-bit arithmetic, without allocating. done is false for anything else,
// which parseDecimal then handles in full.
func parseDecimalFast(s []byte) (x LongDouble, ok, done bool) {
	var m uint64
	sig, frac, i := 0, 0, 0
	seen, point := false, false
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			seen = true
			if point {
				frac++
			}
			if m == 0 && c == '0' {
				continue
			}
			if sig++; sig > 19 {
				return x, false, false
			}
			m = m*10 + uint64(c-'0')
		case c == '.' && !point:
			point = true
		default:
			goto exp
		}
	}
exp:
	if !seen {
		return x, false, true
	}
	e := 0
	if i < len(s) {
		if s[i] != 'e' && s[i] != 'E' {
			return x, false, true
		}
		var ok bool
		if e, ok = exponent(s[i+1:]); !ok {
			return x, false, true
		}
	}
	if m == 0 {
		return LongDouble{}, true, true
	}
	e -= frac
	switch {
	case e >= 0 && e <= 19:
		hi, lo := bits.Mul64(m, pow10u[e])
		return round128(hi, lo, 0), true, true
	case e < 0 && e >= -19:
		return quo10(m, pow10u[-e]), true, true
	}
	return x, false, false
}

// quo10 returns m/d correctly rounded, for m and d below 2^64.
func quo10(m, d uint64) LongDouble {
	// Scale m by 2^s so that the quotient has 64 bits.
	s := uint(64 + bits.Len64(d) - bits.Len64(m))
	hi, lo := shl128(0, m, s)
	if hi >= d {
		s--
		hi, lo = shl128(0, m, s)
	}
	q, r := bits.Div64(hi, lo, d)
	if r > d-r || (r == d-r && q&1 != 0) {
		q++
		if q == 0 {
			return finish(1<<63, 1-int(s))
		}
	}
	return finish(q, -int(s))
}

func pow10(e int) *big.Int {
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(e)), nil)
}

// parseHex parses hexdigits [. hexdigits] [p [sign] digits] after "0x".
func parseHex(s []byte) (LongDouble, bool) {
	digits, frac, rest, ok := mantissa(s, isHexDigit)
	if !ok {
		return LongDouble{}, false
	}
	e := 0
	if len(rest) > 0 {
		if rest[0] != 'p' && rest[0] != 'P' {
			return LongDouble{}, false
		}
		if e, ok = exponent(rest[1:]); !ok {
			return LongDouble{}, false
		}
	}
	if len(digits) == 0 {
		return LongDouble{}, true
	}
	e -= 4 * frac
	nbits := 4 * len(digits)
	switch {
	case e+nbits-4 > ldMaxBits: // the leading digit alone is too large
		return LongDouble{inf: true}, false
	case e+nbits < ldMinExp-1: // below half the smallest subnormal
		return LongDouble{}, false
	}
	n, _ := new(big.Int).SetString(string(digits), 16)
	x := roundRatio(n, bigOne, e)
	return x, !x.inf && x.mant != 0
}

// AppendLongDouble appends x as Redis's ld2string in LD_STR_HUMAN mode
// prints it: printf's "%.17Lf" (exact, rounded half to even), then
// trailing zeros and a bare point removed, and "-0" written "0";
// infinities are "inf" and "-inf".
func AppendLongDouble(dst []byte, x LongDouble) []byte {
	if x.inf {
		if x.neg {
			return append(dst, "-inf"...)
		}
		return append(dst, "inf"...)
	}
	// r = x × 10^17 rounded to an integer.
	var digits []byte
	var buf [40]byte
	if hi, lo, ok := scaledSmall(x); ok {
		digits = appendUint128(buf[:0], hi, lo)
	} else {
		n := new(big.Int).SetUint64(x.mant)
		n.Mul(n, pow10(17))
		if x.exp >= 0 {
			n.Lsh(n, uint(x.exp))
		} else {
			s := uint(-x.exp)
			mask := new(big.Int).Lsh(bigOne, s)
			mask.Sub(mask, bigOne)
			low := new(big.Int).And(n, mask)
			n.Rsh(n, s)
			// Round up past the half way point, or at it to even.
			if low.Bit(int(s)-1) == 1 {
				low.SetBit(low, int(s)-1, 0)
				if low.Sign() != 0 || n.Bit(0) == 1 {
					n.Add(n, bigOne)
				}
			}
		}
		digits = n.Append(buf[:0], 10)
	}
	return appendFixed17(dst, digits, x.neg)
}

// scaledSmall computes x × 10^17 rounded half to even, in 128 bits, when
// x's exponent is small enough for that: the usual case.
func scaledSmall(x LongDouble) (hi, lo uint64, ok bool) {
	const p17 = 100000000000000000
	if x.exp > 6 || x.exp < -127 {
		return 0, 0, false
	}
	hi, lo = bits.Mul64(x.mant, p17) // below 2^121
	if x.exp >= 0 {
		hi, lo = shl128(hi, lo, uint(x.exp)) // below 2^127
		return hi, lo, true
	}
	s := uint(-x.exp)
	qh, ql := shr128(hi, lo, s)
	_, hl := shr128(hi, lo, s-1)
	half := hl&1 != 0
	mh, ml := mask128(s - 1)
	rest := hi&mh != 0 || lo&ml != 0
	if half && (rest || ql&1 != 0) {
		var c uint64
		ql, c = bits.Add64(ql, 1, 0)
		qh += c
	}
	return qh, ql, true
}

// appendUint128 appends the decimal digits of hi:lo.
func appendUint128(dst []byte, hi, lo uint64) []byte {
	const p19 = 1e19
	if hi == 0 {
		return strconv.AppendUint(dst, lo, 10)
	}
	// hi:lo < 2^128 < 10^39: split into 10^19 chunks.
	var chunks [3]uint64
	n := 0
	for hi != 0 {
		var r uint64
		hi, r = bits.Div64(0, hi, p19)
		lo, r = bits.Div64(r, lo, p19)
		chunks[n] = r
		n++
	}
	dst = strconv.AppendUint(dst, lo, 10)
	for n--; n >= 0; n-- {
		var pad [19]byte
		d := strconv.AppendUint(pad[:0], chunks[n], 10)
		for k := len(d); k < 19; k++ {
			dst = append(dst, '0')
		}
		dst = append(dst, d...)
	}
	return dst
}

// appendFixed17 appends the decimal digits of r, a value times 10^17, as
// "%.17f" then trims as ld2string does.
func appendFixed17(dst, digits []byte, neg bool) []byte {
	zero := len(digits) == 1 && digits[0] == '0'
	if neg && !zero {
		dst = append(dst, '-')
	}
	if len(digits) <= 17 {
		dst = append(dst, '0')
	} else {
		dst = append(dst, digits[:len(digits)-17]...)
		digits = digits[len(digits)-17:]
	}
	frac := len(digits) // significant fraction digits, left-padded to 17
	for frac > 0 && digits[frac-1] == '0' {
		frac--
	}
	if frac == 0 {
		return dst
	}
	dst = append(dst, '.')
	for i := len(digits); i < 17; i++ {
		dst = append(dst, '0')
	}
	return append(dst, digits[:frac]...)
}
