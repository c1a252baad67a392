package conformance

import (
	"bufio"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/internal/num"
)

// randomFloatText returns a number in one of the notations INCRBYFLOAT
// meets: short decimals, long ones, exponents near the long double limits,
// subnormals, hex floats, integers, and malformed texts.
func randomFloatText(r *rand.Rand) string {
	digits := func(n int) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			b.WriteByte(byte('0' + r.IntN(10)))
		}
		return b.String()
	}
	sign := func() string {
		switch r.IntN(4) {
		case 0:
			return "-"
		case 1:
			if r.IntN(4) == 0 {
				return "+"
			}
		}
		return ""
	}
	switch r.IntN(14) {
	case 0:
		return sign() + digits(1+r.IntN(3)) + "." + digits(1+r.IntN(3))
	case 1:
		return sign() + digits(1+r.IntN(20)) + "." + digits(r.IntN(25))
	case 2:
		return sign() + "0." + digits(r.IntN(30)) + digits(1)
	case 3:
		return sign() + digits(1+r.IntN(5)) + "e" + strconv.Itoa(r.IntN(9900)-4950)
	case 4:
		return sign() + "1." + digits(r.IntN(20)) + "e" + strconv.Itoa(4920+r.IntN(20))
	case 5:
		return sign() + digits(1+r.IntN(3)) + "e-" + strconv.Itoa(4930+r.IntN(25))
	case 6:
		return sign() + "0x" + fmt.Sprintf("%x", r.Uint64()) + "p" + strconv.Itoa(r.IntN(200)-100)
	case 7:
		return sign() + "0x1." + fmt.Sprintf("%x%x", r.Uint64(), r.Uint32()) + "p" + strconv.Itoa(r.IntN(32900)-16450)
	case 8:
		return strconv.FormatInt(int64(r.Uint64()), 10)
	case 9:
		return strconv.Itoa(r.IntN(20000) - 10000)
	case 10:
		return strconv.FormatFloat(r.NormFloat64()*math.Pow(10, float64(r.IntN(40)-20)), 'g', -1, 64)
	case 11:
		// Exactly representable values with ties in the 18th decimal.
		return sign() + "0x1p-" + strconv.Itoa(1+r.IntN(70))
	case 12:
		bad := []string{"", " 1", "1 ", "1e", "abc", "nan", "-nan", "inf", "-Infinity", "0x", ".", "1..2",
			"1e5000", "1e-5000", "0x1p-16446", "0x1p-16445", "0x1p16384", "1.18973149535723176502e4932",
			"1.18973149535723176508e4932", "3.6e-4951", "1.8e-4951", "1.9e-4951", "\t1", "1\x00", "00012", "-0", "+0.0e10"}
		return bad[r.IntN(len(bad))]
	default:
		return sign() + digits(1+r.IntN(2)) + "." + digits(r.IntN(18))
	}
}

// expectIncrByFloat computes what INCRBYFLOAT on a key holding cur (or a
// missing key when cur is nil) with the increment incr replies, from
// internal/num alone.
func expectIncrByFloat(cur *string, incr string) string {
	base := num.LongDouble{}
	if cur != nil {
		v, ok := num.ParseLongDouble([]byte(*cur))
		if !ok {
			return "-ERR value is not a valid float"
		}
		base = v
	}
	d, ok := num.ParseLongDouble([]byte(incr))
	if !ok {
		return "-ERR value is not a valid float"
	}
	sum, ok := base.Add(d)
	if !ok {
		return "-ERR increment would produce NaN or Infinity"
	}
	return "$" + string(num.AppendLongDouble(nil, sum))
}

// floatCases builds n random INCRBYFLOAT cases: the key's value (nil for a
// missing key) and the increment.
func floatCases(seed uint64, n int) (curs []*string, incrs []string) {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	for i := 0; i < n; i++ {
		var cur *string
		if r.IntN(8) != 0 {
			s := randomFloatText(r)
			cur = &s
		}
		curs = append(curs, cur)
		incrs = append(incrs, randomFloatText(r))
	}
	return curs, incrs
}

// runFloatCases pipelines the cases to addr and returns each reply's
// rendering ("$text" or "-error").
func runFloatCases(t *testing.T, addr string, curs []*string, incrs []string) []string {
	t.Helper()
	c := &client{addr: addr}
	if err := c.ensure(); err != nil {
		t.Fatal(err)
	}
	defer c.drop()
	w := bufio.NewWriter(c.nc)
	go func() { // exits when every command is written or the connection fails
		for i := range incrs {
			key := []byte("k" + strconv.Itoa(i))
			if curs[i] != nil {
				w.Write(encodeCommand([][]byte{[]byte("SET"), key, []byte(*curs[i])}))
			}
			w.Write(encodeCommand([][]byte{[]byte("INCRBYFLOAT"), key, []byte(incrs[i])}))
		}
		w.Flush()
	}()
	var out []string
	for i := range incrs {
		if curs[i] != nil {
			if _, err := readValue(c.r); err != nil {
				t.Fatal(err)
			}
		}
		v, err := readValue(c.r)
		if err != nil {
			t.Fatal(err)
		}
		switch v.Kind {
		case '$':
			out = append(out, "$"+v.Str)
		case '-':
			out = append(out, "-"+v.Str)
		default:
			out = append(out, v.String())
		}
	}
	return out
}

func show(s *string) string {
	if s == nil {
		return "(missing)"
	}
	return strconv.Quote(*s)
}

// TestIncrByFloatVsRedis feeds random values to a real redis-server's
// INCRBYFLOAT and checks that internal/num's long double parsing, addition
// and formatting give the same text, and that Redoubt replies the same.
func TestIncrByFloatVsRedis(t *testing.T) {
	n := 5000
	if testing.Short() {
		n = 1000
	}
	curs, incrs := floatCases(uint64(os.Getpid()), n)
	srv := startRedoubt(t)
	ours := runFloatCases(t, srv.Addr(), curs, incrs)
	for i := range incrs {
		if want := expectIncrByFloat(curs[i], incrs[i]); ours[i] != want {
			t.Errorf("Redoubt: SET k %s; INCRBYFLOAT k %q = %q, internal/num says %q", show(curs[i]), incrs[i], ours[i], want)
		}
	}
	bin := requireTool(t, "redis-server")
	rs, err := startRedis(bin, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.stop()
	theirs := runFloatCases(t, rs.addr, curs, incrs)
	bad := 0
	for i := range incrs {
		if theirs[i] != ours[i] {
			t.Errorf("SET k %s; INCRBYFLOAT k %q: Redis %q, Redoubt %q", show(curs[i]), incrs[i], theirs[i], ours[i])
			if bad++; bad > 20 {
				t.Fatal("too many differences")
			}
		}
	}
}
