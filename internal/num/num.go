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
	if len(b) > MaxInt64Len {
		return 0, false
	}
	neg := len(b) > 0 && b[0] == '-'
	digits := b
	if neg {
		digits = b[1:]
	}
	v, ok := ParseUint(digits)
	switch {
	case !ok:
		return 0, false
	case neg && (v == 0 || v > 1<<63):
		return 0, false // "-0", or below the smallest int64
	case neg:
		return -int64(v), true // wraps correctly for 1<<63
	case v > 1<<63-1:
		return 0, false
	}
	return int64(v), true
}

// ParseUint parses b as Redis's string2ull does for unsigned values: digits
// with no leading zero (except "0" itself), no sign, no spaces, at most 20.
func ParseUint(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	if b[0] < '1' || b[0] > '9' {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if v > (1<<64-1-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	return v, true
}
