package glob_test

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/internal/glob"
)

// The expected results below were checked against the C function compiled
// with gcc on x86-64 glibc, and where the server could show them against
// redis-server 7.0.15 (Debian): KEYS for the case-sensitive rows, COMMAND LIST
// FILTERBY PATTERN (which matches with nocase) for nocase rows whose string
// is a command name.
var matchTests = []struct {
	pattern, s string
	nocase     bool
	want       bool
}{
	// Empty pattern and empty string: the raw matcher only accepts ""/"".
	{"", "", false, true},
	{"", "a", false, false},
	{"a", "", false, false},
	{"*", "", false, false},
	{"**", "", false, false},
	{"?", "", false, false},
	{"[^]", "", false, false},

	// Literals.
	{"abc", "abc", false, true},
	{"abc", "abd", false, false},
	{"abc", "ab", false, false},
	{"ab", "abc", false, false},
	{"\xe9t\xe9", "\xe9t\xe9", false, true},
	{"a\x00b", "a\x00b", false, true},
	{"a\x00b", "a\x00c", false, false},

	// '?' and '*'.
	{"*", "a", false, true},
	{"*", "anything at all", false, true},
	{"**", "x", false, true},
	{"a*", "a", false, true},
	{"a**", "a", false, true},
	{"a*", "ab", false, true},
	{"a*?", "a", false, false},
	{"*a", "a", false, true},
	{"*a", "ba", false, true},
	{"*a", "ab", false, false},
	{"*?", "a", false, true},
	{"*??", "a", false, false},
	{"?*?", "ab", false, true},
	{"*b*", "b", false, true},
	{"h?llo", "hello", false, true},
	{"h?llo", "hllo", false, false},
	{"h*llo", "hllo", false, true},
	{"h*llo", "heeeello", false, true},
	{"h*llo*", "hello world", false, true},
	{"a*b*c", "aXbYc", false, true},
	{"a*b*c", "aXbYcZ", false, false},
	{"a*b*c", "abcbc", false, true},
	{"*ab", "aab", false, true},
	{"*aab", "aaab", false, true},
	{"*a*a*a", "aaxa", false, true},
	{"*a*a*a", "axa", false, false},

	// Escapes outside brackets.
	{"\\*", "*", false, true},
	{"\\*", "a", false, false},
	{"\\?", "?", false, true},
	{"\\?", "a", false, false},
	{"\\[a]", "[a]", false, true},
	{"\\[a]", "a", false, false},
	{"\\a", "a", false, true},
	{"\\\\", "\\", false, true},
	{"\\", "\\", false, true},   // a lone trailing backslash is literal
	{"a\\", "a\\", false, true}, // likewise after other bytes
	{"a\\", "a", false, false},  //
	{"a\\*", "a", false, false}, // an escaped '*' is not a trailing '*'
	{"*\\*", "abc*", false, true},
	{"\\A", "a", true, true}, // the escaped byte still honours nocase

	// Classes.
	{"h[ae]llo", "hello", false, true},
	{"h[ae]llo", "hallo", false, true},
	{"h[ae]llo", "hillo", false, false},
	{"h[^e]llo", "hallo", false, true},
	{"h[^e]llo", "hello", false, false},
	{"h[a-b]llo", "hbllo", false, true},
	{"h[a-b]llo", "hcllo", false, false},
	{"[z-a]", "m", false, true}, // reversed range
	{"[z-a]", "A", false, false},
	{"a[*]", "a", false, false},
	{"a[*]", "a*", false, true},
	{"[-a]", "-", false, true}, // a leading '-' is literal
	{"[-a]", "a", false, true},
	{"[a-c-e]", "d", false, false}, // "a-c", then '-' and 'e'
	{"[a-c-e]", "-", false, true},
	{"[a-c-e]", "e", false, true},

	// Empty and unclosed classes.
	{"[]", "]", false, false}, // "[]" is an empty set
	{"[]", "a", false, false},
	{"[]]", "]", false, false},
	{"[]a]", "]", false, false},
	{"[^]", "x", false, true}, // "[^]" is any byte
	{"[^]", "xy", false, false},
	{"[^]a]", "xa]", false, true},
	{"[", "[", false, false}, // an unclosed empty set matches nothing
	{"[", "a", false, false},
	{"[^", "x", false, true}, // an unclosed "[^" is any byte
	{"[^", "^", false, true},
	{"[abc", "b", false, true}, // unclosed: the class runs to the end
	{"[abc", "d", false, false},
	{"[abc", "bc", false, false},
	{"a[b*", "ab", false, true}, // the '*' is inside the class
	{"a[b*", "a*", false, true},
	{"a[b*", "abc", false, false},
	{"[a-]", "a", false, true}, // '-' and the last byte make the range ']'-'a'
	{"[a-]", "_", false, true},
	{"[a-]", "]", false, true},
	{"[a-]", "-", false, false},
	{"[a-]x", "x", false, true}, // the ']' ended the range, so 'x' is in the class
	{"[a-]x", "ax", false, false},

	// Escapes inside classes.
	{"[\\]]", "]", false, true},
	{"[\\]]", "\\", false, false},
	{"[\\-]", "-", false, true},
	{"[a\\-z]", "b", false, false}, // the escape stops the range
	{"[a\\-z]", "-", false, true},
	{"[a\\-z]", "z", false, true},
	{"[a-\\]", "_", false, true}, // a backslash can end a range: '\\'-'a'
	{"[a-\\]", "b", false, false},
	{"[\\a]", "a", false, true},
	{"[\\a]", "\\", false, false},
	{"[\\", "\\", false, true}, // a trailing backslash is literal
	{"[^\\", "\\", false, false},
	{"[\\A]", "a", true, false}, // an escape in a class ignores nocase
	{"[\\A]", "A", true, true},

	// nocase.
	{"HELLO", "hello", false, false},
	{"HELLO", "hello", true, true},
	{"h*O", "HELLO", true, true},
	{"[A]", "a", true, true},
	{"[^A]", "a", true, false},
	{"[A-C]", "b", true, true},
	{"[a-c]", "B", true, true},
	{"[Z-a]", "_", false, true}, // 'Z'-'a' holds "[\\]^_`"
	{"[Z-a]", "_", true, false}, // but folds to 'z'-'a', which is empty
	{"[Z-a]", "z", true, false},
	{"[z-A]", "m", true, true}, // swapped to 'A'-'z', folded to 'a'-'z'
	{"[z-A]", "_", false, true},
	{"[z-A]", "_", true, false},
	{"\xc9", "\xe9", true, false}, // no Latin-1 folding

	// Bytes 0x80 and up are negative in ranges.
	{"[\x80-a]", "\xff", false, true},
	{"[\x80-a]", "\x00", false, true},
	{"[\x80-a]", "a", false, true},
	{"[\x80-a]", "b", false, false},
	{"[a-\x80]", "\x90", false, true},
	{"[\x00-\x7f]", "\x80", false, false},
	{"[\x00-\xff]", "\x00", false, true}, // the range is 0xff..0x00
	{"[\x00-\xff]", "\xff", false, true},
	{"[\x00-\xff]", "a", false, false},
	{"[\x80-\xfe]", "\xff", false, false},
	{"[\x80-\xfe]", "\xfe", false, true},
	{"[\x80-\xff]", "\xff", false, true},
	// Under nocase glibc's tolower turns -128..-2 into 128..254, leaving -1.
	{"[\x80-a]", "b", true, false},
	{"[\x80-a]", "\x90", true, false}, // 128..97 is empty
	{"[\x80-z]et", "get", true, false},
	{"[\xff-z]et", "get", true, true},    // -1..122
	{"[\xfe-z]et", "get", true, false},   // 254..122
	{"[\x80-\xff]", "\xff", true, false}, // 128..-1 is empty
	{"[\x80-\xff]", "\x90", true, false},
	{"[\x80-\xfe]", "\x90", true, true},
	{"[\xe9]", "\xe9", true, true},
}

func TestMatch(t *testing.T) {
	for _, tt := range matchTests {
		if got := glob.Match([]byte(tt.pattern), []byte(tt.s), tt.nocase); got != tt.want {
			t.Errorf("Match(%q, %q, %v) = %v, want %v", tt.pattern, tt.s, tt.nocase, got, tt.want)
		}
		if got := glob.MatchString(tt.pattern, tt.s, tt.nocase); got != tt.want {
			t.Errorf("MatchString(%q, %q, %v) = %v, want %v", tt.pattern, tt.s, tt.nocase, got, tt.want)
		}
		if got := refMatch([]byte(tt.pattern), []byte(tt.s), tt.nocase); got != tt.want {
			t.Errorf("refMatch(%q, %q, %v) = %v, want %v (the reference is wrong)", tt.pattern, tt.s, tt.nocase, got, tt.want)
		}
	}
}

// TestMatchStarLimit checks the cut-off at 1,000 runs of '*' that Redis
// added for CVE-2024-31228.
func TestMatchStarLimit(t *testing.T) {
	tests := []struct {
		name       string
		pattern, s string
		want       bool
	}{
		{"1000 runs", strings.Repeat("a*", 1000), strings.Repeat("a", 1000), true},
		{"1001st run trailing", strings.Repeat("a*", 1001), strings.Repeat("a", 1001), true},
		{"1001st run trailing, bytes left", strings.Repeat("a*", 1001), strings.Repeat("a", 1500), true},
		{"1001st run not trailing", strings.Repeat("a*", 1001) + "a", strings.Repeat("a", 1002), false},
		{"leading stars, 1000 runs", strings.Repeat("*a", 1000), strings.Repeat("a", 1000), true},
		{"leading stars, 1001 runs", strings.Repeat("*a", 1001), strings.Repeat("a", 1001), false},
		{"string ends before the 1001st run", strings.Repeat("a*", 1000) + "b*", strings.Repeat("a", 1000), false},
		{"1000 runs then literals", strings.Repeat("?*", 1000) + "xyz", strings.Repeat("-", 1200) + "xyz", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := glob.MatchString(tt.pattern, tt.s, false); got != tt.want {
				t.Errorf("MatchString(%d-byte pattern, %d-byte string) = %v, want %v", len(tt.pattern), len(tt.s), got, tt.want)
			}
			if got := refMatch([]byte(tt.pattern), []byte(tt.s), false); got != tt.want {
				t.Errorf("refMatch(%d-byte pattern, %d-byte string) = %v, want %v", len(tt.pattern), len(tt.s), got, tt.want)
			}
		})
	}
}

// TestMatchAbusive runs patterns that are exponential for a naive
// backtracking matcher, or too deep for a recursive one, on large inputs.
// Match is O(len(pattern) × len(s)), so each finishes quickly; a regression
// shows up as a test timeout.
func TestMatchAbusive(t *testing.T) {
	tests := []struct {
		name       string
		pattern, s string
		want       bool
	}{
		{"(*?) x 50000", strings.Repeat("(*?)", 50000), strings.Repeat("(x)", 16666) + "((", false},
		{"(*?) x 50000 vs letters", strings.Repeat("(*?)", 50000), strings.Repeat("a", 50000), false},
		{"a*a*...*b", strings.Repeat("a*", 5000) + "b", strings.Repeat("a", 100000), false},
		{"a*a*...*a", strings.Repeat("a*", 900) + "a", strings.Repeat("a", 100000), true},
		{"*a*a*...", strings.Repeat("*a", 5000), strings.Repeat("a", 4999), false},
		{"[a]*[a]*...*b", strings.Repeat("[a]*", 5000) + "b", strings.Repeat("a", 50000), false},
		{"star then long literal", "*" + strings.Repeat("a", 2000) + "b", strings.Repeat("a", 20000), false},
		{"star then long literal, match", "*" + strings.Repeat("a", 2000) + "b", strings.Repeat("a", 20000) + "b", true},
		{"an unclosed class swallows the rest", strings.Repeat("*[", 3000), strings.Repeat("[", 3000), true},
		{"many classes", strings.Repeat("*[^a]", 3000), strings.Repeat("b", 3000), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := glob.MatchString(tt.pattern, tt.s, false); got != tt.want {
				t.Errorf("MatchString(%d-byte pattern, %d-byte string) = %v, want %v", len(tt.pattern), len(tt.s), got, tt.want)
			}
			if got := glob.MatchString(tt.pattern, tt.s, true); got != tt.want {
				t.Errorf("MatchString(%d-byte pattern, %d-byte string, nocase) = %v, want %v", len(tt.pattern), len(tt.s), got, tt.want)
			}
		})
	}
}

// alphabet is what the randomized tests build patterns and strings from:
// every byte the syntax gives a meaning to, letters in both cases, NUL and
// bytes that are negative as a C char (including 0xff, which is EOF to
// tolower).
const alphabet = "ab*?[]^-\\Az\x00\x7f\x80\xfe\xff"

// randBytes returns up to max bytes drawn mostly from alphabet.
func randBytes(r *rand.Rand, max int) []byte {
	b := make([]byte, r.IntN(max+1))
	for i := range b {
		if r.IntN(10) == 0 {
			b[i] = byte(r.IntN(256))
		} else {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
	}
	return b
}

// likelyMatch returns a string that pattern has a fair chance to match: its
// literal bytes kept, the other bytes replaced by random ones and some
// bytes inserted, so that the randomized tests see both results.
func likelyMatch(r *rand.Rand, pattern []byte) []byte {
	var s []byte
	for _, c := range pattern {
		switch {
		case bytes.IndexByte([]byte("*?[]^-\\"), c) < 0:
			s = append(s, c)
		case r.IntN(2) == 0:
			s = append(s, alphabet[r.IntN(len(alphabet))])
		}
		if r.IntN(8) == 0 {
			s = append(s, alphabet[r.IntN(len(alphabet))])
		}
	}
	return s
}

func TestMatchRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	n := 300000
	if testing.Short() {
		n = 30000
	}
	matches := 0
	for i := 0; i < n; i++ {
		p := randBytes(r, 16)
		var s []byte
		if i%2 == 0 {
			s = likelyMatch(r, p)
		} else {
			s = randBytes(r, 12)
		}
		nocase := r.IntN(2) == 0
		want := refMatch(p, s, nocase)
		if want {
			matches++
		}
		if got := glob.Match(p, s, nocase); got != want {
			t.Fatalf("Match(%q, %q, %v) = %v, want %v", p, s, nocase, got, want)
		}
		if got := glob.MatchString(string(p), string(s), nocase); got != want {
			t.Fatalf("MatchString(%q, %q, %v) = %v, want %v", p, s, nocase, got, want)
		}
	}
	// Guard against a generator that only ever produces one answer.
	if matches < n/20 {
		t.Errorf("only %d of %d random cases matched", matches, n)
	}
}

func FuzzMatch(f *testing.F) {
	for _, tt := range matchTests {
		f.Add([]byte(tt.pattern), []byte(tt.s), tt.nocase)
	}
	f.Fuzz(func(t *testing.T, p, s []byte, nocase bool) {
		// The reference is only fast enough on small inputs.
		p, s = p[:min(len(p), 40)], s[:min(len(s), 40)]
		want := refMatch(p, s, nocase)
		if got := glob.Match(p, s, nocase); got != want {
			t.Errorf("Match(%q, %q, %v) = %v, want %v", p, s, nocase, got, want)
		}
	})
}

func BenchmarkMatch(b *testing.B) {
	benchmarks := []struct {
		name       string
		pattern, s string
	}{
		{"prefix", "user:*", "user:1234567"},
		{"class", "user:[0-9][0-9]*:name", "user:1234567:name"},
		{"abusive", strings.Repeat("a*", 50) + "b", strings.Repeat("a", 1000)},
	}
	for _, bm := range benchmarks {
		b.Run(bm.name, func(b *testing.B) {
			for b.Loop() {
				glob.MatchString(bm.pattern, bm.s, false)
			}
		})
	}
}

// refMatch is a line-by-line Go transcription of stringmatchlen from Redis
// 7.0.15 with the CVE-2024-31228 nesting limit, recursion, skipLongerMatches
// and all, used only to check Match on small inputs. It indexes the pattern
// as the C code does, reading a NUL past its end where the C reads the sds
// terminator.
func refMatch(pattern, s []byte, nocase bool) bool {
	skipLongerMatches := false
	return refImpl(pattern, 0, s, 0, nocase, &skipLongerMatches, 0)
}

// refImpl is stringmatchlen_impl on pattern p[pi:] and string s[si:].
func refImpl(p []byte, pi int, s []byte, si int, nocase bool, skipLongerMatches *bool, nesting int) bool {
	if nesting > 1000 {
		return false
	}
	at := func(k int) byte { // pattern[k - pi] in the C code
		if k < len(p) {
			return p[k]
		}
		return 0
	}
	patternLen := func() int { return len(p) - pi }
	stringLen := func() int { return len(s) - si }
	for patternLen() > 0 && stringLen() > 0 {
		switch p[pi] {
		case '*':
			for patternLen() > 0 && at(pi+1) == '*' {
				pi++
			}
			if patternLen() == 1 {
				return true
			}
			for stringLen() > 0 {
				if refImpl(p, pi+1, s, si, nocase, skipLongerMatches, nesting+1) {
					return true
				}
				if *skipLongerMatches {
					return false
				}
				si++
			}
			*skipLongerMatches = true
			return false
		case '?':
			si++
		case '[':
			pi++
			not := at(pi) == '^'
			if not {
				pi++
			}
			match := false
			for {
				if at(pi) == '\\' && patternLen() >= 2 {
					pi++
					if p[pi] == s[si] {
						match = true
					}
				} else if at(pi) == ']' {
					break
				} else if patternLen() == 0 {
					pi--
					break
				} else if patternLen() >= 3 && p[pi+1] == '-' {
					start, end, c := int(int8(p[pi])), int(int8(p[pi+2])), int(int8(s[si]))
					if start > end {
						start, end = end, start
					}
					if nocase {
						start, end, c = glibcToLower(start), glibcToLower(end), glibcToLower(c)
					}
					pi += 2
					if c >= start && c <= end {
						match = true
					}
				} else if !nocase {
					if p[pi] == s[si] {
						match = true
					}
				} else if glibcToLower(int(int8(p[pi]))) == glibcToLower(int(int8(s[si]))) {
					match = true
				}
				pi++
			}
			if not {
				match = !match
			}
			if !match {
				return false
			}
			si++
		case '\\':
			if patternLen() >= 2 {
				pi++
			}
			fallthrough
		default:
			if !nocase {
				if p[pi] != s[si] {
					return false
				}
			} else if glibcToLower(int(int8(p[pi]))) != glibcToLower(int(int8(s[si]))) {
				return false
			}
			si++
		}
		pi++
		if stringLen() == 0 {
			for at(pi) == '*' {
				pi++
			}
			break
		}
	}
	return patternLen() == 0 && stringLen() == 0
}

// glibcLower is glibc's C-locale tolower table, indexed by c+128 for c from
// -128 to 255. The negative half is a copy of the 128..255 half except at
// -1 (EOF), which maps to itself; this was read off a compiled program.
var glibcLower = func() (t [384]int) {
	for c := -128; c < 256; c++ {
		v := c
		switch {
		case c >= 'A' && c <= 'Z':
			v = c + 32
		case c < -1:
			v = c + 256
		}
		t[c+128] = v
	}
	return t
}()

// glibcToLower is tolower(c) for c in [-128, 255].
func glibcToLower(c int) int { return glibcLower[c+128] }
