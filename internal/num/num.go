// Package num converts between Redis's textual numbers and Go numbers with
// Redis's exact rules, so that what Redoubt accepts, rejects and prints agrees
// with Redis byte for byte.
package num

// MaxInt64Len is the length of the longest decimal int64, "-9223372036854775808".
const MaxInt64Len = 20

// ParseInt parses b as Redis's string2ll does: an optional '-', then digits
// with no leading zero (except "0" itself), no '+', no spaces, no "-0", and
// no more than 20 characters; the value must fit in an int64.
func ParseInt(b []byte) (int64, bool) {
	n := len(b)
	if n == 0 || n > MaxInt64Len {
		return 0, false
	}
	if n == 1 && b[0] == '0' {
		return 0, true
	}
	i := 0
	neg := false
	if b[0] == '-' {
		neg = true
		i = 1
		if n == 1 {
			return 0, false
		}
	}
	if b[i] < '1' || b[i] > '9' {
		return 0, false
	}
	var v uint64
	for ; i < n; i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if v > (1<<64-1-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return -int64(v), true // wraps correctly for 1<<63
	}
	if v > 1<<63-1 {
		return 0, false
	}
	return int64(v), true
}
