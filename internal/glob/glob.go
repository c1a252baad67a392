// Package glob matches strings against Redis glob-style patterns, as KEYS,
// SCAN MATCH, PSUBSCRIBE, CONFIG GET and ACL key and channel patterns use
// them.
//
// Match gives exactly the result of Redis 7.0's stringmatchlen (src/util.c)
// as built on x86-64 Linux with glibc, quirks included:
//
//   - '?' matches any one byte and '*' any run of bytes, including none;
//     consecutive '*' act as one.
//   - '\x' matches x literally; a lone '\' at the end of the pattern matches
//     a backslash.
//   - '[abc]' matches one byte of the set and '[^abc]' one byte outside it.
//     'a-z' inside brackets is an inclusive range whose ends are swapped
//     when the first is the larger, and '\x' inside brackets is the literal
//     x. A ']' right after '[' or '[^' closes an empty set, so "[]" matches
//     nothing and "[^]" any byte. A class with no closing ']' runs to the
//     end of the pattern. A '-' followed by the last byte of the pattern
//     still forms a range, so "[a-]" is the range from ']' to 'a', unclosed.
//   - Range ends and the byte tested are compared as C's signed char, so
//     bytes 0x80 to 0xff sort below 0x00: "[\x80-a]" holds 0x80 to 0xff and
//     0x00 to 'a'.
//   - nocase folds ASCII letters only. In a range the ends are swapped before
//     they are folded, so with nocase "[Z-a]" becomes 'z' to 'a' and matches
//     nothing. The fold is glibc's tolower in the C locale, which maps the
//     negative chars -128 to -2 to 128 to 254 and leaves -1 (0xff) as is,
//     so under nocase the bytes 0x80 to 0xfe sort above ASCII in ranges and
//     0xff stays below it. A '\x' escape inside brackets ignores nocase.
//   - The empty string matches only the empty pattern: even "*" does not
//     match it. Callers that want "*" to match everything (KEYS) test for
//     it themselves, as Redis does.
//   - A match that has to go on past the 1,000th separate run of '*' fails,
//     so the 1,001st run can only end the pattern. This is the recursion
//     limit Redis added for CVE-2024-31228 (7.2.6 and 7.4.1, backported by
//     Debian to the 7.0.15 that the conformance suite runs against; upstream
//     7.0.15 has no limit). Here it is a counter, not a recursion depth.
//
// Match does not recurse and does not allocate. Every element of a pattern
// other than '*' matches exactly one byte, so it keeps only the most recent
// '*' as a backtracking point (a longer run for an earlier '*' can never
// help once a later '*' has been reached), as Redis's own skipLongerMatches
// shortcut does. Each backtrack moves that point one byte along the string
// and rescans at most the rest of the pattern, so Match runs in
// O(len(pattern) × len(s)) time and O(1) space whatever the pattern; a
// pattern of many '*' or '[' cannot make it exponential or exhaust the
// stack.
package glob

// Match reports whether s matches the Redis glob pattern; nocase folds
// ASCII letters. See the package documentation for the exact syntax.
func Match(pattern, s []byte, nocase bool) bool {
	return match(pattern, s, nocase)
}

// MatchString is Match for strings; it does not copy or allocate.
func MatchString(pattern, s string, nocase bool) bool {
	return match(pattern, s, nocase)
}

// maxStarRuns is how many runs of '*' a match may go through before the
// last one. Redis's matcher recurses once per run of '*' and gives up past
// a depth of 1,000; since that recursion explores the string in the same
// order as the loop in match, failing at the 1,001st non-trailing run gives
// the same result.
const maxStarRuns = 1000

// byteString is the type set that match, matchOne and matchClass accept.
type byteString interface{ ~string | ~[]byte }

// match is the matcher behind Match and MatchString.
func match[T byteString](p, s T, nocase bool) bool {
	// stringmatchlen's main loop only runs while both the pattern and the
	// string are non-empty, and trailing '*' are only skipped after a byte
	// has been matched, so an empty string matches the empty pattern alone.
	if len(s) == 0 {
		return len(p) == 0
	}
	pi, si := 0, 0
	// star is the index in p just after the most recent run of '*', or -1
	// when there has been none, and starSi is where in s the rest of the
	// pattern after it is being tried: that '*' has taken the bytes from
	// where it was reached up to starSi.
	star, starSi := -1, 0
	runs := 0 // runs of '*' passed so far
	for si < len(s) {
		if pi < len(p) && p[pi] == '*' {
			for pi < len(p) && p[pi] == '*' {
				pi++
			}
			if pi == len(p) {
				return true // a trailing '*' takes the rest of s
			}
			runs++
			if runs > maxStarRuns {
				// Redis's recursion stops here and the failure
				// propagates to the top through skipLongerMatches.
				return false
			}
			star, starSi = pi, si
			continue
		}
		if pi < len(p) {
			if next, ok := matchOne(p, pi, s[si], nocase); ok {
				pi, si = next, si+1
				continue
			}
		}
		// A mismatch, or pattern left over: let the last '*' take one
		// more byte and try the rest of the pattern again from there.
		if star < 0 {
			return false
		}
		starSi++
		pi, si = star, starSi
	}
	// s is used up; what is left of the pattern must be all '*'. When this
	// is reached through the backtrack above, pi is at a non-'*' element
	// and the answer is false, which is right: the rest of the pattern
	// needs at least one byte and a longer '*' would only leave it fewer.
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// matchOne matches the single pattern element at p[pi], which is not '*',
// against the byte c. It returns the index just past the element, which
// does not depend on c, and whether c matched.
func matchOne[T byteString](p T, pi int, c byte, nocase bool) (next int, ok bool) {
	switch p[pi] {
	case '?':
		return pi + 1, true
	case '[':
		return matchClass(p, pi+1, c, nocase)
	case '\\':
		if pi+1 < len(p) {
			pi++ // a lone trailing backslash stands for itself
		}
		fallthrough
	default:
		if nocase {
			return pi + 1, lowerASCII(p[pi]) == lowerASCII(c)
		}
		return pi + 1, p[pi] == c
	}
}

// matchClass matches a bracket class whose body starts at p[i], just after
// the '[', against the byte c, and returns the index just past the class.
func matchClass[T byteString](p T, i int, c byte, nocase bool) (next int, ok bool) {
	// The C code reads one byte past the end of the pattern, where the sds
	// terminator makes it NUL; at(k) does the same.
	at := func(k int) byte {
		if k < len(p) {
			return p[k]
		}
		return 0
	}
	negate := at(i) == '^'
	if negate {
		i++
	}
	matched := false
	for {
		rest := len(p) - i // bytes left in the pattern from p[i]
		switch {
		case at(i) == '\\' && rest >= 2:
			// An escaped byte is compared exactly, even with nocase.
			i++
			if p[i] == c {
				matched = true
			}
		case at(i) == ']':
			if negate {
				matched = !matched
			}
			return i + 1, matched
		case rest == 0:
			// Unclosed class: it ends with the pattern.
			if negate {
				matched = !matched
			}
			return i, matched
		case rest >= 3 && p[i+1] == '-':
			lo, hi, v := int(int8(p[i])), int(int8(p[i+2])), int(int8(c))
			if lo > hi {
				lo, hi = hi, lo
			}
			if nocase {
				lo, hi, v = ctolower(lo), ctolower(hi), ctolower(v)
			}
			if lo <= v && v <= hi {
				matched = true
			}
			i += 2
		default:
			if p[i] == c || nocase && lowerASCII(p[i]) == lowerASCII(c) {
				matched = true
			}
		}
		i++
	}
}

// lowerASCII folds an ASCII upper-case letter to lower case.
func lowerASCII(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		return b + ('a' - 'A')
	}
	return b
}

// ctolower is glibc's tolower in the C locale for the values a signed char
// can hold: ASCII letters fold, -128 to -2 become 128 to 254 (glibc's table
// for negative indexes repeats the one for 128 to 255), and -1, which is
// EOF, stays -1.
func ctolower(v int) int {
	switch {
	case 'A' <= v && v <= 'Z':
		return v + ('a' - 'A')
	case v < -1:
		return v + 256
	}
	return v
}
