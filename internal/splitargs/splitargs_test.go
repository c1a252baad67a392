package splitargs_test

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/redoubt-db/redoubt/internal/splitargs"
)

// The rows that hold neither a NUL nor a newline (both end an inline
// command early) were checked against redis-server 7.0.15 by sending
// `EVAL "return ARGV" 0 <line>` as an inline command, as were 57,000 random
// lines.
var splitTests = []struct {
	name string
	line string
	want []string // nil with err set means ErrUnbalancedQuotes
	err  bool
}{
	// Blanks.
	{"empty", "", nil, false},
	{"all blank", " \t\r\n\v\f ", nil, false},
	{"one word", "get", []string{"get"}, false},
	{"words", "set key value", []string{"set", "key", "value"}, false},
	{"runs of blanks", "  set \t key\r\n  value  ", []string{"set", "key", "value"}, false},
	{"\\v and \\f do not end a word", "a\v\fb", []string{"a\v\fb"}, false},
	{"\\v and \\f are skipped between words", "a \v\fb\f", []string{"a", "b\f"}, false},
	{"high bytes are not blanks", "\x85a\xa0", []string{"\x85a\xa0"}, false},

	// Double quotes.
	{"quoted", `"hello world"`, []string{"hello world"}, false},
	{"empty quoted", `""`, []string{""}, false},
	{"empty quoted among words", `a "" b`, []string{"a", "", "b"}, false},
	{"escapes", `"\n\r\t\b\a"`, []string{"\n\r\t\b\a"}, false},
	{"escaped quote and backslash", `"a\"b\\c"`, []string{`a"b\c`}, false},
	{"escaped other byte", `"\z\'\ "`, []string{`z' `}, false},
	{"hex escape", `"\x41\x7a\x00\xFf"`, []string{"Az\x00\xff"}, false},
	{"short hex escape", `"\x4"`, []string{"x4"}, false},
	{"bad hex escape", `"\x4g"`, []string{"x4g"}, false},
	{"hex escape at end", `"\x"`, []string{"x"}, false},
	{"blanks kept inside", "\" \t\v\"", []string{" \t\v"}, false},
	{"newline inside", "\"a\nb\"", []string{"a\nb"}, false},
	{"single quote inside double", `"it's"`, []string{"it's"}, false},
	{"unterminated", `"abc`, nil, true},
	{"unterminated after escape", `"abc\"`, nil, true},
	{"lone backslash at end", `"abc\`, nil, true},
	{"closing quote then byte", `"a"b`, nil, true},
	{"closing quote then quote", `"a""b"`, nil, true},
	{"closing quote then blank", `"a" b`, []string{"a", "b"}, false},
	{"closing quote then \\v", "\"a\"\vb", []string{"a", "b"}, false},
	{"closing quote then \\f", "\"a\"\f", []string{"a"}, false},

	// Single quotes.
	{"single quoted", `'hello world'`, []string{"hello world"}, false},
	{"empty single quoted", `''`, []string{""}, false},
	{"escaped single quote", `'it\'s'`, []string{"it's"}, false},
	{"other backslashes kept", `'a\nb\\c\x41'`, []string{`a\nb\\c\x41`}, false},
	{"double quote inside single", `'say "hi"'`, []string{`say "hi"`}, false},
	{"single unterminated", `'abc`, nil, true},
	{"single unterminated after escape", `'abc\'`, nil, true},
	{"single closing quote then byte", `'a'b`, nil, true},

	// Quotes opened inside a word.
	{"quote inside a word", `foo"bar baz"`, []string{"foobar baz"}, false},
	{"single quote inside a word", `foo'bar baz'`, []string{"foobar baz"}, false},
	{"quote inside a word, then more", `foo"bar baz"qux`, nil, true},
	{"quote inside a word, unterminated", `foo"bar`, nil, true},
	{"apostrophe in a word", `it's`, nil, true},

	// Backslashes outside quotes are ordinary bytes.
	{"unquoted backslash", `a\nb \x41`, []string{`a\nb`, `\x41`}, false},

	// NUL ends the line, as it ends a C string.
	{"NUL ends the line", "a\x00b", []string{"a"}, false},
	{"NUL after blank", "a \x00 b c", []string{"a"}, false},
	{"leading NUL", "\x00a b", nil, false},
	{"NUL hides a bad quote", "a\x00\"", []string{"a"}, false},
	{"NUL inside double quotes", "\"a\x00b\"", nil, true},
	{"NUL inside single quotes", "'a\x00b'", nil, true},
	{"NUL after closing quote", "\"a\"\x00b", []string{"a"}, false},

	// A config line and an inline command as Redis sees them.
	{"config line", `requirepass "p@ss word\x21"`, []string{"requirepass", "p@ss word!"}, false},
	{"inline command", "SET k \"v\\r\\n\"\r\n", []string{"SET", "k", "v\r\n"}, false},
}

func TestSplit(t *testing.T) {
	for _, tt := range splitTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := splitargs.Split([]byte(tt.line))
			if tt.err {
				if !errors.Is(err, splitargs.ErrUnbalancedQuotes) || got != nil {
					t.Errorf("Split(%q) = %q, %v, want nil, %v", tt.line, got, err, splitargs.ErrUnbalancedQuotes)
				}
				return
			}
			if err != nil || !equalArgs(got, tt.want) {
				t.Errorf("Split(%q) = %q, %v, want %q, nil", tt.line, got, err, tt.want)
			}
		})
	}
}

func TestErrUnbalancedQuotes(t *testing.T) {
	if got, want := splitargs.ErrUnbalancedQuotes.Error(), "splitargs: unbalanced quotes"; got != want {
		t.Errorf("ErrUnbalancedQuotes.Error() = %q, want %q", got, want)
	}
}

// TestSplitNoAliasing checks that arguments neither alias the input nor
// each other.
func TestSplitNoAliasing(t *testing.T) {
	line := []byte(`ab "cd" ef`)
	args, err := splitargs.Split(line)
	if err != nil {
		t.Fatalf("Split(%q) error %v", line, err)
	}
	for i := range line {
		line[i] = 'X'
	}
	args[0] = append(args[0], "!!!!"...)
	if want := []string{"ab!!!!", "cd", "ef"}; !equalArgs(args, want) {
		t.Errorf("after changing the line and appending to args[0], args = %q, want %q", args, want)
	}
}

func TestQuote(t *testing.T) {
	tests := []struct {
		arg  string
		want string
	}{
		{"", `""`},
		{"hello world", `"hello world"`},
		{`a"b\c`, `"a\"b\\c"`},
		{"\n\r\t\a\b", `"\n\r\t\a\b"`},
		{"\a\n\x00foo\r", `"\a\n\x00foo\r"`}, // the example in Redis's sds tests
		{"\v\f\x1b\x7f", `"\x0b\x0c\x1b\x7f"`},
		{"\x80\xab\xff", `"\x80\xab\xff"`},
		{"~ '!", `"~ '!"`},
	}
	for _, tt := range tests {
		if got := splitargs.Quote([]byte(tt.arg)); got != tt.want {
			t.Errorf("Quote(%q) = %s, want %s", tt.arg, got, tt.want)
		}
	}
}

// TestQuoteRoundTrip checks that Split reads back what Quote writes, for
// every byte and for random strings.
func TestQuoteRoundTrip(t *testing.T) {
	var inputs [][]byte
	for c := 0; c < 256; c++ {
		inputs = append(inputs, []byte{byte(c)}, []byte{'a', byte(c), 'b'})
	}
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 20000; i++ {
		b := make([]byte, r.IntN(40))
		for j := range b {
			if r.IntN(2) == 0 {
				b[j] = byte(r.IntN(256))
			} else {
				b[j] = ` "'\x\0nrtab`[r.IntN(12)]
			}
		}
		inputs = append(inputs, b)
	}
	for _, x := range inputs {
		q := splitargs.Quote(x)
		got, err := splitargs.Split([]byte(q))
		if err != nil || len(got) != 1 || !bytes.Equal(got[0], x) {
			t.Fatalf("Split(Quote(%q)) = Split(%s) = %q, %v, want [%q]", x, q, got, err, x)
		}
	}
}

func FuzzSplit(f *testing.F) {
	for _, tt := range splitTests {
		f.Add([]byte(tt.line))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		args, err := splitargs.Split(line)
		if err != nil {
			if !errors.Is(err, splitargs.ErrUnbalancedQuotes) || args != nil {
				t.Fatalf("Split(%q) = %q, %v", line, args, err)
			}
			return
		}
		total := 0
		for _, a := range args {
			if len(a) > len(line) {
				t.Fatalf("Split(%q) returned a %d-byte argument", line, len(a))
			}
			total += len(a)
		}
		if total > len(line) {
			t.Fatalf("Split(%q) returned %d bytes of arguments", line, total)
		}
		// Quoting every argument and joining them gives a line that
		// splits into the same arguments.
		var joined []byte
		for _, a := range args {
			joined = append(joined, splitargs.Quote(a)...)
			joined = append(joined, ' ')
		}
		again, err := splitargs.Split(joined)
		if err != nil || !equalBytes(again, args) {
			t.Fatalf("Split(%q) = %q, but Split(%q) = %q, %v", line, args, joined, again, err)
		}
	})
}

func BenchmarkSplit(b *testing.B) {
	for _, n := range []int{3, 30} {
		var line []byte
		for i := 0; i < n; i++ {
			line = fmt.Appendf(line, `arg%d "quoted\x20%d" `, i, i)
		}
		b.Run(fmt.Sprintf("args=%d", 2*n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := splitargs.Split(line); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// equalArgs reports whether got holds the strings want.
func equalArgs(got [][]byte, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if string(got[i]) != want[i] {
			return false
		}
	}
	return true
}

// equalBytes reports whether a and b hold the same arguments.
func equalBytes(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}
