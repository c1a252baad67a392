package resp

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/redoubt-db/redoubt/internal/splitargs"
)

// The expected results in this file were taken from a real redis-server
// 7.0.15 (raw bytes over TCP, reply and whether the connection closed),
// except where a comment says Redoubt differs on purpose.

// chunkReader returns its data at most size bytes per Read (all of what fits
// when size is 0), then io.EOF, like a socket that delivers the input in
// pieces.
type chunkReader struct {
	data []byte
	size int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := len(c.data)
	if c.size > 0 && n > c.size {
		n = c.size
	}
	n = copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

// readerOpts are the settings of a Reader under test; zero fields keep
// NewReader's defaults.
type readerOpts struct {
	unauth   bool
	maxBulk  int64
	maxQuery int64
	bigArg   int64
}

func (o readerOpts) reader() *Reader {
	rd := NewReader()
	rd.Unauthenticated = o.unauth
	if o.maxBulk != 0 {
		rd.MaxBulk = o.maxBulk
	}
	if o.maxQuery != 0 {
		rd.MaxQuery = o.maxQuery
	}
	if o.bigArg != 0 {
		rd.bigArg = o.bigArg
	}
	return rd
}

// readAll drives rd over src as the connection loop does: Fill, then
// ReadCommand until it needs more input. It returns the commands read and
// the error that ended the input: a *ProtocolError or ErrQueryBufferLimit,
// or nil when src ran out.
func readAll(rd *Reader, src io.Reader) ([][]string, error) {
	var got [][]string
	for {
		if _, err := rd.Fill(src); err != nil {
			if err == io.EOF {
				return got, nil
			}
			return got, err
		}
		for {
			args, err := rd.ReadCommand(nil)
			if err == ErrIncomplete {
				break
			}
			if err != nil {
				return got, err
			}
			got = append(got, strs(args))
		}
	}
}

func strs(args [][]byte) []string {
	s := make([]string, len(args))
	for i, a := range args {
		s[i] = string(a)
	}
	return s
}

// result formats what readAll returned, so that a failure shows both the
// commands and the error.
func result(commands [][]string, err error) string {
	e := "waiting"
	if err != nil {
		e = strconv.Quote(err.Error())
	}
	return fmt.Sprintf("%q then %s", commands, e)
}

func cmds(c ...[]string) [][]string { return c }
func cmd(args ...string) []string   { return args }

type readerTest struct {
	name string
	in   string
	opts readerOpts
	want [][]string // commands read before the input ran out or failed
	err  string     // the error text; "" means the reader waits for more input
}

var readerTests = []readerTest{
	// Multibulk commands.
	{name: "multibulk", in: "*1\r\n$4\r\nPING\r\n", want: cmds(cmd("PING"))},
	{name: "multibulk three args", in: "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n", want: cmds(cmd("SET", "k", "hello"))},
	{name: "binary bulk", in: "*2\r\n$4\r\nECHO\r\n$5\r\na\x00b\r\n\r\n", want: cmds(cmd("ECHO", "a\x00b\r\n"))},
	{name: "empty bulk", in: "*1\r\n$0\r\n\r\n", want: cmds(cmd(""))},
	{name: "bytes after bulk data are not checked", in: "*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n", want: cmds(cmd("PING"), cmd("PING"))},
	{name: "byte after count line CR is not checked", in: "*1\rz$4\rzPINGzz", want: cmds(cmd("PING"))},
	{name: "multibulk needs CR", in: "*1\n$4\nPING\n"},
	{name: "largest multibulk count", in: "*2147483647\r\n"},
	{name: "huge count, few bytes", in: "*1000000000\r\n$1\r\na\r\n"},
	{name: "largest bulk", in: "*1\r\n$536870912\r\n"},
	{name: "bulk data incomplete", in: "*1\r\n$4\r\nPING\r"},
	{name: "bulk header incomplete", in: "*1\r\n$4\r"},
	{name: "count line incomplete", in: "*1\r"},
	{name: "missing dollar line incomplete", in: "*1\r\nfoo"},

	// Empty commands are consumed silently.
	{name: "*0", in: "*0\r\n*1\r\n$4\r\nPING\r\n", want: cmds(cmd("PING"))},
	{name: "*-1", in: "*-1\r\n", want: nil},
	{name: "*-10", in: "*-10\r\nPING\r\n", want: cmds(cmd("PING"))},
	{name: "blank lines", in: "\r\n\n   \r\n\t\nPING\r\n", want: cmds(cmd("PING"))},
	{name: "most negative count", in: "*-9223372036854775808\r\nPING\r\n", want: cmds(cmd("PING"))},

	// Pipelining: several commands, of both kinds, in one buffer.
	{name: "pipeline", in: "*1\r\n$4\r\nPING\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\nSET k v\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*2\r\n$3\r\nGE",
		want: cmds(cmd("PING"), cmd("PING"), cmd("ECHO", "hi"), cmd("SET", "k", "v"), cmd("GET", "k"))},
	{name: "commands before an error are read", in: "PING\r\n*1\r\n$4\r\nPING\r\n*x\r\nPING\r\n",
		want: cmds(cmd("PING"), cmd("PING")), err: "Protocol error: invalid multibulk length"},

	// Multibulk count errors (tests/unit/protocol.tcl and more).
	{name: "count too big", in: "*3000000000\r\n", err: "Protocol error: invalid multibulk length"},
	{name: "count above INT_MAX", in: "*2147483648\r\n", err: "Protocol error: invalid multibulk length"},
	{name: "count overflows int64", in: "*9223372036854775808\r\n", err: "Protocol error: invalid multibulk length"},
	{name: "count with 21 chars", in: "*-00000000000000000001\r\n", err: "Protocol error: invalid multibulk length"},
	{name: "count empty", in: "*\r\n", err: "Protocol error: invalid multibulk length"},
	{name: "count -0", in: "*-0\r\n", err: "Protocol error: invalid multibulk length"},
	{name: "count plus sign", in: "*+1\r\n", err: "Protocol error: invalid multibulk length"},
	{name: "count leading space", in: "* 1\r\n", err: "Protocol error: invalid multibulk length"},
	{name: "count trailing space", in: "*1 \r\n", err: "Protocol error: invalid multibulk length"},
	{name: "count leading zero", in: "*01\r\n", err: "Protocol error: invalid multibulk length"},
	{name: "count not a number", in: "*blabla\r\n", err: "Protocol error: invalid multibulk length"},

	// Bulk length errors.
	{name: "bulk -10", in: "*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$-10\r\n", err: "Protocol error: invalid bulk length"},
	{name: "bulk -1", in: "*1\r\n$-1\r\n", err: "Protocol error: invalid bulk length"},
	{name: "bulk -0", in: "*1\r\n$-0\r\n", err: "Protocol error: invalid bulk length"},
	{name: "bulk 2000000000", in: "*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$2000000000\r\n", err: "Protocol error: invalid bulk length"},
	{name: "bulk above proto-max-bulk-len", in: "*1\r\n$536870913\r\n", err: "Protocol error: invalid bulk length"},
	{name: "bulk 4 GB", in: "*1\r\n$4294967296\r\n", err: "Protocol error: invalid bulk length"},
	{name: "bulk near MaxInt64", in: "*1\r\n$9223372036854775806\r\nab\r\n", err: "Protocol error: invalid bulk length"},
	{name: "bulk overflows int64", in: "*1\r\n$99999999999999999999\r\n", err: "Protocol error: invalid bulk length"},
	{name: "bulk blabla", in: "*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$blabla\r\n", err: "Protocol error: invalid bulk length"},
	{name: "bulk empty", in: "*1\r\n$\r\n", err: "Protocol error: invalid bulk length"},
	{name: "bulk leading zero", in: "*1\r\n$01\r\n", err: "Protocol error: invalid bulk length"},
	{name: "bulk plus sign", in: "*1\r\n$+1\r\n", err: "Protocol error: invalid bulk length"},
	{name: "proto-max-bulk-len at limit", in: "*1\r\n$1048576\r\n", opts: readerOpts{maxBulk: 1 << 20}},
	{name: "proto-max-bulk-len over limit", in: "*1\r\n$1048577\r\n", opts: readerOpts{maxBulk: 1 << 20}, err: "Protocol error: invalid bulk length"},

	// A bulk header that is not a bulk header.
	{name: "expected $ got f", in: "*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n", err: "Protocol error: expected '$', got 'f'"},
	{name: "expected $ not followed by bulk", in: "*1\r\nfoo\r\n", err: "Protocol error: expected '$', got 'f'"},
	{name: "expected $ got *", in: "*2\r\n$1\r\na\r\n*1\r\n$4\r\nPING\r\n", err: "Protocol error: expected '$', got '*'"},
	// The server turns the CR into a space, as Redis's reply does.
	{name: "expected $ got CR", in: "*1\r\n\r\n", err: "Protocol error: expected '$', got '\r'"},
	{name: "expected $ got LF", in: "*1\r\n\n\r\n", err: "Protocol error: expected '$', got '\n'"},

	// Inline commands.
	{name: "inline CRLF", in: "PING\r\n", want: cmds(cmd("PING"))},
	{name: "inline LF", in: "PING\n", want: cmds(cmd("PING"))},
	{name: "inline only one CR is stripped", in: "ECHO a\r\r\n", want: cmds(cmd("ECHO", "a"))},
	{name: "inline CR inside is a separator", in: "echo a\rb\n", want: cmds(cmd("echo", "a", "b"))},
	{name: "inline quotes", in: "SET k \"hello world\" 'x y'\r\n", want: cmds(cmd("SET", "k", "hello world", "x y"))},
	{name: "inline escaped NUL", in: "ECHO \"a\\x00b\"\r\n", want: cmds(cmd("ECHO", "a\x00b"))},
	{name: "inline starting with $", in: "$4\r\nPING\r\n", want: cmds(cmd("$4"), cmd("PING"))},
	{name: "inline incomplete", in: "PING"},
	{name: "inline unbalanced double quote", in: "set \"a b\r\n", err: "Protocol error: unbalanced quotes in request"},
	{name: "inline unbalanced single quote", in: "ECHO 'a\r\n", err: "Protocol error: unbalanced quotes in request"},
	{name: "inline quote not followed by space", in: "ECHO \"a\"b\r\n", err: "Protocol error: unbalanced quotes in request"},

	// Redis finds the end of an inline line with strchr, which stops at a
	// NUL byte: a NUL before the newline hides the newline and every
	// command after it, until the line is too big.
	{name: "inline NUL before newline", in: "ECHO \"a\x00b\"\r\nPING\r\n"},
	{name: "inline leading NUL", in: "\x00\r\n"},
	{name: "inline $ NUL", in: "$\x00\r\n"},
	// The same strchr finds the end of a count line ("*3", "$5"), so a NUL
	// before its '\r' makes the reader wait too (Redis 7.0.15 sends no
	// reply to any of these and keeps the connection open).
	{name: "count NUL", in: "*\x00\r\n"},
	{name: "count digit NUL", in: "*1\x00\r\n*1\r\n$4\r\nPING\r\n"},
	{name: "bulk header NUL", in: "*1\r\n\x00\r\n"},
	{name: "bulk header $ NUL", in: "*1\r\n$\x00\r\n"},
	{name: "bulk header x NUL", in: "*1\r\nx\x00\r\n"},
	{name: "bulk header NUL after CR", in: "*1\r\n$4\r\x00PING\r\n", want: cmds(cmd("PING"))},
	{name: "inline NUL after newline", in: "PING\r\n\x00\r\nPING\r\n", want: cmds(cmd("PING"))},

	// Pre-authentication limits (CVE-2021-32675).
	{name: "unauth 10 args", in: "*10\r\n", opts: readerOpts{unauth: true}},
	{name: "unauth 11 args", in: "*11\r\n", opts: readerOpts{unauth: true}, err: "Protocol error: unauthenticated multibulk length"},
	{name: "auth 11 args", in: "*11\r\n"},
	{name: "unauth invalid count first", in: "*3000000000\r\n", opts: readerOpts{unauth: true}, err: "Protocol error: invalid multibulk length"},
	{name: "unauth empty commands", in: "*0\r\n*-1\r\nPING\r\n", opts: readerOpts{unauth: true}, want: cmds(cmd("PING"))},
	{name: "unauth 16 KB bulk", in: "*1\r\n$16384\r\n", opts: readerOpts{unauth: true}},
	{name: "unauth bulk over 16 KB", in: "*1\r\n$16385\r\n", opts: readerOpts{unauth: true}, err: "Protocol error: unauthenticated bulk length"},
	{name: "unauth invalid bulk first", in: "*1\r\n$600000000\r\n", opts: readerOpts{unauth: true}, err: "Protocol error: invalid bulk length"},
	{name: "auth bulk over 16 KB", in: "*1\r\n$16385\r\n"},
	{name: "unauth inline 10 args", in: "a b c d e f g h i j\r\n", opts: readerOpts{unauth: true}, want: cmds(cmd("a", "b", "c", "d", "e", "f", "g", "h", "i", "j"))},
	// Redis 7.0.15 applies no argument limit to inline commands (they are
	// bounded by the 64 KB line limit); Redoubt applies the multibulk limit
	// to them too.
	{name: "unauth inline 11 args", in: "a b c d e f g h i j k\r\n", opts: readerOpts{unauth: true}, err: "Protocol error: unauthenticated multibulk length"},
}

// TestReader runs every case fed at once, one byte at a time and in a few
// other chunk sizes: the result must not depend on how the input arrives.
func TestReader(t *testing.T) {
	for _, tt := range readerTests {
		for _, chunk := range []int{0, 1, 2, 3, 7, 64} {
			t.Run(fmt.Sprintf("%s/chunk=%d", tt.name, chunk), func(t *testing.T) {
				got, err := readAll(tt.opts.reader(), &chunkReader{data: []byte(tt.in), size: chunk})
				if err != nil {
					var pe *ProtocolError
					if !errors.As(err, &pe) {
						t.Errorf("read(%q) error %v is not a *ProtocolError", tt.in, err)
					}
				}
				want := result(tt.want, nil)
				if tt.err != "" {
					want = result(tt.want, errors.New(tt.err))
				}
				if g := result(got, err); g != want {
					t.Errorf("read(%q) = %s, want %s", tt.in, g, want)
				}
			})
		}
	}
}

// longLineTests check the 64 KB limits on inline lines and on the count
// lines of multibulk commands, and that a NUL byte (which ends the line
// search, as strchr does in Redis) leads to them.
var longLineTests = func() []readerTest {
	const max = InlineMax
	pad := func(n int) string { return strings.Repeat("x", n) }
	digits := func(n int) string { return strings.Repeat("1", n) }
	payload := strings.Repeat(strings.Repeat("A", 1024)+"\r\n", 65) // 66,690 bytes
	return []readerTest{
		// The limit is on the bytes before the '\n', the '\r' included.
		{name: "inline line of 64 KB", in: "ECHO " + pad(max-5) + "\n", want: cmds(cmd("ECHO", pad(max-5)))},
		{name: "inline line of 64 KB with CR", in: "ECHO " + pad(max-6) + "\r\n", want: cmds(cmd("ECHO", pad(max-6)))},
		{name: "inline line over 64 KB", in: "ECHO " + pad(max-4) + "\n", err: "Protocol error: too big inline request"},
		{name: "inline CR over 64 KB", in: "ECHO " + pad(max-5) + "\r\n", err: "Protocol error: too big inline request"},
		{name: "inline 64 KB without newline", in: pad(max)},
		{name: "inline over 64 KB without newline", in: pad(max + 1), err: "Protocol error: too big inline request"},
		{name: "inline line over 64 KB long after", in: pad(max+20000) + "\r\n", err: "Protocol error: too big inline request"},

		{name: "mbulk count 64 KB without CR", in: "*" + digits(max-1)},
		{name: "mbulk count over 64 KB without CR", in: "*" + digits(max), err: "Protocol error: too big mbulk count string"},
		{name: "mbulk count line of 64 KB", in: "*" + digits(max-1) + "\r\n", err: "Protocol error: invalid multibulk length"},
		{name: "bulk count 64 KB without CR", in: "*1\r\n$" + digits(max-1)},
		{name: "bulk count over 64 KB without CR", in: "*1\r\n$" + digits(max), err: "Protocol error: too big bulk count string"},
		{name: "bulk count line of 64 KB", in: "*1\r\n$" + digits(max-1) + "\r\n", err: "Protocol error: invalid bulk length"},
		// A count line whose '\r' comes more than 64 KB after its start is
		// too big however the input is split. (Redis checks the size only
		// while no '\r' has arrived, in 16 KB reads, so its answer depends
		// on the timing: 7.0.15 replied "invalid multibulk length" to 70,000
		// digits and "too big mbulk count string" to 90,000 sent at once.)
		{name: "mbulk count line over 64 KB", in: "*" + digits(max) + "\r\n", err: "Protocol error: too big mbulk count string"},
		{name: "mbulk count line of 90000 digits", in: "*" + digits(90000) + "\r\n", err: "Protocol error: too big mbulk count string"},
		{name: "bulk count line over 64 KB", in: "*1\r\n$" + digits(max) + "\r\n", err: "Protocol error: too big bulk count string"},
		{name: "bulk count over 64 KB after args", in: "*2\r\n$4\r\nECHO\r\n$" + digits(max), err: "Protocol error: too big bulk count string"},

		// The protocol desync regression of tests/unit/protocol.tcl: after
		// these prefixes Redis keeps reading until the 64 KB limit, then
		// replies with a protocol error; it never buffers forever.
		{name: "desync NUL", in: "\x00" + payload, err: "Protocol error: too big inline request"},
		{name: "desync *NUL", in: "*\x00" + payload, err: "Protocol error: too big mbulk count string"},
		{name: "desync $NUL", in: "$\x00" + payload, err: "Protocol error: too big inline request"},
		{name: "desync bulk NUL", in: "*1\r\n\x00" + payload, err: "Protocol error: too big bulk count string"},
		{name: "desync bulk $NUL", in: "*1\r\n$\x00" + payload, err: "Protocol error: too big bulk count string"},
		{name: "desync bulk xNUL", in: "*1\r\nx\x00\r\n" + payload, err: "Protocol error: too big bulk count string"},
		{name: "desync NUL no newlines", in: "\x00" + pad(max+1), err: "Protocol error: too big inline request"},
		{name: "desync *NUL no newlines", in: "*\x00" + pad(max+1), err: "Protocol error: too big mbulk count string"},
		{name: "desync $NUL no newlines", in: "$\x00" + pad(max+1), err: "Protocol error: too big inline request"},
		{name: "inline NUL, 64 KB", in: "PING\x00\r\n" + pad(max-7)},
		{name: "inline NUL, over 64 KB", in: "PING\x00\r\n" + pad(max-6), err: "Protocol error: too big inline request"},
	}
}()

// TestReaderLongLines runs longLineTests fed at once and in pieces.
func TestReaderLongLines(t *testing.T) {
	for _, tt := range longLineTests {
		for _, chunk := range []int{0, 1000, 16384} {
			t.Run(fmt.Sprintf("%s/chunk=%d", tt.name, chunk), func(t *testing.T) {
				got, err := readAll(NewReader(), &chunkReader{data: []byte(tt.in), size: chunk})
				want := result(tt.want, nil)
				if tt.err != "" {
					want = result(tt.want, errors.New(tt.err))
				}
				if g := result(got, err); g != want {
					t.Errorf("read(%.40q…) = %.200s, want %.200s", tt.in, g, want)
				}
			})
		}
	}
}

// TestExpectedDollarNUL checks the formatting of a NUL byte in "expected '$'":
// Redis prints the byte with %c into a C string, which ends at the NUL. No
// input reaches this case (a NUL first in a bulk header hides the header's
// '\r', see "bulk header NUL"), but the formatting stays Redis's.
func TestExpectedDollarNUL(t *testing.T) {
	for _, tt := range []struct {
		got  byte
		want string
	}{
		{'f', "Protocol error: expected '$', got 'f'"},
		{'*', "Protocol error: expected '$', got '*'"},
		{0, "Protocol error: expected '$', got '"},
	} {
		if got := expectedDollar(tt.got).Error(); got != tt.want {
			t.Errorf("expectedDollar(%q) = %q, want %q", tt.got, got, tt.want)
		}
	}
}

// TestArgumentsAreCapped checks that an argument's capacity ends at its
// length, so a handler appending to one cannot overwrite the next.
func TestArgumentsAreCapped(t *testing.T) {
	rd := NewReader()
	in := "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"
	if _, err := rd.Fill(&chunkReader{data: []byte(in)}); err != nil {
		t.Fatal(err)
	}
	args, err := rd.ReadCommand(nil)
	if err != nil {
		t.Fatalf("ReadCommand(%q) error %v", in, err)
	}
	for i, a := range args {
		if cap(a) != len(a) {
			t.Errorf("ReadCommand(%q): cap(args[%d]) = %d, want %d", in, i, cap(a), len(a))
		}
	}
	_ = append(args[1], "XXXX"...)
	if got := strs(args); fmt.Sprint(got) != "[SET k v]" {
		t.Errorf("after appending to args[1]: args = %q, want [SET k v]", got)
	}
}

// TestReadCommandAppends checks that ReadCommand appends to dst.
func TestReadCommandAppends(t *testing.T) {
	rd := NewReader()
	if _, err := rd.Fill(&chunkReader{data: []byte("PING\r\n*1\r\n$4\r\nPING\r\n")}); err != nil {
		t.Fatal(err)
	}
	dst := [][]byte{[]byte("x")}
	for range 2 {
		got, err := rd.ReadCommand(dst)
		if err != nil {
			t.Fatal(err)
		}
		if s := fmt.Sprintf("%q", strs(got)); s != `["x" "PING"]` {
			t.Errorf("ReadCommand([x]) = %s, want %s", s, `["x" "PING"]`)
		}
	}
	if _, err := rd.ReadCommand(nil); err != ErrIncomplete {
		t.Errorf("ReadCommand on empty input: error %v, want %v", err, ErrIncomplete)
	}
	if rd.Buffered() != 0 {
		t.Errorf("Buffered() = %d, want 0", rd.Buffered())
	}
}

// bulkCommand encodes args as a multibulk command.
func bulkCommand(args ...string) []byte {
	b := fmt.Appendf(nil, "*%d\r\n", len(args))
	for _, a := range args {
		b = fmt.Appendf(b, "$%d\r\n%s\r\n", len(a), a)
	}
	return b
}

// TestQueryBufferLimit checks client-query-buffer-limit as Redis 7.0
// applies it: to input not yet parsed into arguments, and to the big
// argument being read with its "\r\n" (redis-server closes on SET of a
// value of limit-1 bytes, runs limit-2). Arguments already parsed do not
// count, so a command larger than the limit runs, whether its arguments are
// big or small, as it does in redis-server.
func TestQueryBufferLimit(t *testing.T) {
	const limit = 1 << 20
	var small []string // a 1.5 MB MSET of 20-byte values
	for i := range 40000 {
		small = append(small, fmt.Sprintf("k%05d", i), strings.Repeat("v", 20))
	}
	tests := []struct {
		name   string
		in     []byte
		n      int // commands read
		err    error
		maxCap int // the largest BufferCap() allowed afterwards; limit if 0
	}{
		{"command just under the limit", bulkCommand("SET", "k", strings.Repeat("v", limit-40)), 1, nil, 0},
		{"bulk and CRLF at the limit", bulkCommand("SET", "k", strings.Repeat("v", limit-2)), 1, nil, 0},
		{"bulk and CRLF over the limit", bulkCommand("SET", "k", strings.Repeat("v", limit-1)), 0, ErrQueryBufferLimit, 0},
		{"bulk over the limit", bulkCommand("SET", "k", strings.Repeat("v", limit)), 0, ErrQueryBufferLimit, 0},
		{"declared only", []byte("*2\r\n$3\r\nSET\r\n$536870912\r\n"), 0, nil, 0},
		{"big arguments over the limit together",
			bulkCommand("MSET", "k1", strings.Repeat("a", 900<<10), "k2", strings.Repeat("b", 900<<10)), 1, nil, initialBuffer},
		{"small arguments over the limit together", bulkCommand(append([]string{"MSET"}, small...)...), 1, nil, 4 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rd := readerOpts{maxQuery: limit}.reader()
			got, err := readAll(rd, &chunkReader{data: tt.in, size: 16384})
			if len(got) != tt.n || err != tt.err {
				t.Errorf("read(%.30q…) = %d commands, error %v; want %d, %v", tt.in, len(got), err, tt.n, tt.err)
			}
			maxCap := cmp.Or(tt.maxCap, limit)
			if rd.BufferCap() > maxCap {
				t.Errorf("read(%.30q…): BufferCap() = %d, want at most %d", tt.in, rd.BufferCap(), maxCap)
			}
		})
	}
}

// TestQueryBufferLimitUnread checks the limit on input that arrives while
// none is parsed (a blocked client, whose input Redis keeps reading): the
// limit itself is accepted, one byte more closes the client.
func TestQueryBufferLimitUnread(t *testing.T) {
	const limit = 1 << 20
	for _, tt := range []struct {
		size int
		err  error
	}{
		{limit, nil},
		{limit + 1, ErrQueryBufferLimit},
	} {
		in := bytes.Repeat([]byte("PING\r\n"), tt.size/6+1)[:tt.size]
		rd := readerOpts{maxQuery: limit}.reader()
		src := &chunkReader{data: in, size: 65536}
		var err error
		for err == nil {
			_, err = rd.Fill(src)
		}
		if err == io.EOF {
			err = nil
		}
		if err != tt.err {
			t.Errorf("Fill(%d bytes) unread: error %v, want %v", tt.size, err, tt.err)
		}
		if rd.BufferCap() > limit {
			t.Errorf("Fill(%d bytes) unread: BufferCap() = %d, want at most %d", tt.size, rd.BufferCap(), limit)
		}
	}
}

// TestPreAuthBufferLimit checks the 1 MB limit on what an unauthenticated
// client may have buffered: input that is never processed (the reader is
// filled and not read) is cut at 1 MB before authentication, not after.
func TestPreAuthBufferLimit(t *testing.T) {
	in := bytes.Repeat([]byte("*1\r\n$4\r\nPING\r\n"), 3<<20/14) // 3 MB
	for _, tt := range []struct {
		unauth bool
		err    error
	}{
		{true, ErrQueryBufferLimit},
		{false, nil},
	} {
		rd := readerOpts{unauth: tt.unauth}.reader()
		src := &chunkReader{data: in, size: 65536}
		var err error
		for err == nil {
			_, err = rd.Fill(src)
		}
		if err == io.EOF {
			err = nil
		}
		if err != tt.err {
			t.Errorf("Fill(3 MB) with Unauthenticated=%v: error %v, want %v", tt.unauth, err, tt.err)
		}
		if tt.unauth && rd.BufferCap() > PreAuthMaxBuffer {
			t.Errorf("Fill(3 MB) with Unauthenticated: BufferCap() = %d, want at most %d", rd.BufferCap(), PreAuthMaxBuffer)
		}
	}
}

// TestBufferFollowsInput checks that the buffers grow with the bytes that
// arrive, never with the lengths the client declares, and that a large read
// buffer is released once drained.
func TestBufferFollowsInput(t *testing.T) {
	// Declared: 2^31-1 arguments and a 512 MB bulk; sent: a few bytes. The
	// bulk is big, so it gets a buffer of its own, but only bigFirst of it.
	rd := NewReader()
	in := "*2147483647\r\n$536870912\r\nabc"
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	got, err := readAll(rd, &chunkReader{data: []byte(in)})
	runtime.ReadMemStats(&after)
	if len(got) != 0 || err != nil {
		t.Errorf("read(%q) = %s, want waiting", in, result(got, err))
	}
	if rd.held() > initialBuffer+bigFirst {
		t.Errorf("read(%q): held() = %d, want at most %d", in, rd.held(), initialBuffer+bigFirst)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
		t.Errorf("read(%q) allocated %d bytes, want under 1 MB", in, alloc)
	}

	// A 4 MB command of small arguments grows the read buffer to fit it,
	// no more than twice over; once it is consumed, the next Fill goes back
	// to a small buffer.
	args := []string{"MSET"}
	for i := range 4 << 20 / 1024 {
		args = append(args, "k"+strconv.Itoa(i), strings.Repeat("v", 1000))
	}
	big := bulkCommand(args...)
	rd = NewReader()
	src := &chunkReader{data: big, size: 65536}
	n, maxCap := 0, 0
	for len(src.data) > 0 {
		if _, err := rd.Fill(src); err != nil {
			t.Fatalf("Fill: %v", err)
		}
		maxCap = max(maxCap, rd.BufferCap())
		for {
			_, err := rd.ReadCommand(nil)
			if err == ErrIncomplete {
				break
			}
			if err != nil {
				t.Fatalf("ReadCommand: %v", err)
			}
			n++
		}
	}
	if n != 1 {
		t.Fatalf("read(4 MB MSET) = %d commands, want 1", n)
	}
	if maxCap < len(big) || maxCap > 2*len(big) {
		t.Errorf("read(4 MB MSET): BufferCap() = %d, want in [%d, %d]", maxCap, len(big), 2*len(big))
	}
	got, err = readAll(rd, &chunkReader{data: []byte("PING\r\n")})
	if len(got) != 1 || err != nil {
		t.Errorf("read(PING) after 4 MB = %s, want one command", result(got, err))
	}
	if rd.BufferCap() != initialBuffer {
		t.Errorf("BufferCap() after a 4 MB command was drained = %d, want %d", rd.BufferCap(), initialBuffer)
	}
}

// TestBigArgument reads a 100 MB bulk in socket-sized pieces. It goes
// straight into a buffer of its own, which becomes the argument as it is (no
// copy, capacity exactly its length); the read buffer stays at its initial
// size, and the reader keeps no reference to the argument once returned.
func TestBigArgument(t *testing.T) {
	const size = 100 << 20
	value := bytes.Repeat([]byte("0123456789abcdef"), size/16)
	in := fmt.Appendf(nil, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$%d\r\n", size)
	in = append(append(append(in, value...), "\r\n"...), "PING\r\n"...)
	rd := NewReader()
	src := &chunkReader{data: in, size: 65536}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	var got [][]byte
	var bigStart *byte // the start of the argument's buffer as it was read
	commands := 0
	for {
		_, err := rd.Fill(src)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("Fill: %v", err)
		}
		if len(rd.buf) != initialBuffer {
			t.Fatalf("after %d bytes, read buffer of %d bytes, want %d", len(in)-len(src.data), len(rd.buf), initialBuffer)
		}
		if rd.big != nil {
			bigStart = unsafe.SliceData(rd.big)
		}
		for {
			args, err := rd.ReadCommand(nil)
			if err == ErrIncomplete {
				break
			}
			if err != nil {
				t.Fatalf("ReadCommand: %v", err)
			}
			if commands++; commands == 1 {
				got = args
			}
		}
	}
	runtime.ReadMemStats(&after)
	if commands != 2 || len(got) != 3 {
		t.Fatalf("read %d commands, the first of %d arguments; want 2, 3", commands, len(got))
	}
	if !bytes.Equal(got[2], value) {
		t.Fatalf("argument 2 differs from the 100 MB value sent")
	}
	if cap(got[2]) != size {
		t.Errorf("cap(argument 2) = %d, want %d", cap(got[2]), size)
	}
	if unsafe.SliceData(got[2]) != bigStart {
		t.Errorf("argument 2 is not the buffer it was read into")
	}
	if rd.held() != initialBuffer || rd.big != nil || len(rd.bigs) != 0 {
		t.Errorf("after the command: held() = %d, big %d bytes, %d big arguments kept; want %d, none, none",
			rd.held(), len(rd.big), len(rd.bigs), initialBuffer)
	}
	// The argument's buffer doubles as bytes arrive (64 KB, 128 KB, …,
	// 16 MB), then, an eighth of it received, takes its exact size: about
	// 1.3 times the value in all.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > size*3/2 {
		t.Errorf("reading 100 MB allocated %d bytes, want at most %d", alloc, size*3/2)
	}
}

// TestReadBufferShrinks checks that a read buffer grown for one large
// command of small arguments is given back while a pipeline keeps it busy
// (it is never drained), once what it holds fits in a quarter of it.
func TestReadBufferShrinks(t *testing.T) {
	args := []string{"MSET"}
	for i := range 2000 {
		args = append(args, "k"+strconv.Itoa(i), strings.Repeat("v", 500))
	}
	in := bulkCommand(args...)
	for range 20000 {
		in = append(in, "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"...)
	}
	rd := NewReader()
	// The pieces never end on a command boundary, so the reader is never
	// drained.
	src := &chunkReader{data: in, size: 4099}
	maxCap, commands := 0, 0
	for {
		_, err := rd.Fill(src)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("Fill: %v", err)
		}
		maxCap = max(maxCap, rd.BufferCap())
		for {
			_, err := rd.ReadCommand(nil)
			if err == ErrIncomplete {
				break
			}
			if err != nil {
				t.Fatalf("ReadCommand: %v", err)
			}
			commands++
		}
	}
	if commands != 20001 {
		t.Fatalf("read %d commands, want 20001", commands)
	}
	if maxCap < 1<<20 {
		t.Fatalf("BufferCap() reached %d, want at least 1 MB for a 1 MB command", maxCap)
	}
	if rd.BufferCap() > keepBuffer {
		t.Errorf("BufferCap() after the pipeline = %d, want at most %d", rd.BufferCap(), keepBuffer)
	}
}

// TestLargeCommand parses commands with very many arguments delivered in
// small pieces. The reader keeps its place inside a partly received command,
// so the work is linear in the input; a reader that parsed the command again
// from its start on every read would take hours here and hit the test
// timeout.
func TestLargeCommand(t *testing.T) {
	tests := []struct {
		name  string
		args  int
		chunk int
	}{
		{"1000000 args in 16 KB chunks", 1000000, 16384},
		{"100000 args one byte at a time", 100000, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var in []byte
			in = fmt.Appendf(in, "*%d\r\n", tt.args)
			for i := range tt.args {
				s := strconv.Itoa(i)
				in = fmt.Appendf(in, "$%d\r\n%s\r\n", len(s), s)
			}
			in = append(in, "PING\r\n"...)
			rd := NewReader()
			src := &chunkReader{data: in, size: tt.chunk}
			n := 0 // commands read
			for {
				_, err := rd.Fill(src)
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("Fill: %v", err)
				}
				for {
					args, err := rd.ReadCommand(nil)
					if err == ErrIncomplete {
						break
					}
					if err != nil {
						t.Fatalf("ReadCommand: %v", err)
					}
					n++
					if n > 1 {
						continue
					}
					if len(args) != tt.args {
						t.Fatalf("command 1 has %d arguments, want %d", len(args), tt.args)
					}
					for i, a := range args {
						if want := strconv.Itoa(i); string(a) != want {
							t.Fatalf("argument %d = %q, want %q", i, a, want)
						}
					}
				}
			}
			if n != 2 {
				t.Errorf("read %d commands, want 2", n)
			}
		})
	}
}

// TestReaderPipelineAcrossBuffers reads a long pipeline of commands of mixed
// kinds and sizes, so that commands straddle the end of the buffer and the
// reader must move a partly read command to the buffer's start (with its
// arguments already located) rather than grow the buffer.
func TestReaderPipelineAcrossBuffers(t *testing.T) {
	var in []byte
	var want [][]string
	largest := 0
	for i := range 3000 {
		var c []string
		var b []byte
		switch i % 3 {
		case 0:
			c = cmd("SET", "key:"+strconv.Itoa(i), strings.Repeat(string(rune('a'+i%26)), i*7%1000))
			b = bulkCommand(c...)
		case 1:
			c = cmd("ECHO", strconv.Itoa(i))
			b = []byte("ECHO " + strconv.Itoa(i) + "\r\n")
		default:
			// Now and then an argument bigger than the initial buffer.
			c = cmd("APPEND", "k", strings.Repeat("z", i%1000*(i%7)*5))
			b = bulkCommand(c...)
		}
		largest = max(largest, len(b))
		want = append(want, c)
		in = append(in, b...)
	}
	for _, chunk := range []int{1, 1000, 4097, 65536, 0} {
		t.Run("chunk="+strconv.Itoa(chunk), func(t *testing.T) {
			rd := NewReader()
			src := &chunkReader{data: in, size: chunk}
			var got [][]string
			maxCap := 0
			for {
				_, err := rd.Fill(src)
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("Fill: %v", err)
				}
				maxCap = max(maxCap, rd.BufferCap())
				for {
					args, err := rd.ReadCommand(nil)
					if err == ErrIncomplete {
						break
					}
					if err != nil {
						t.Fatalf("ReadCommand: %v", err)
					}
					got = append(got, strs(args))
				}
			}
			if len(got) != len(want) {
				t.Fatalf("read %d commands, want %d", len(got), len(want))
			}
			for i := range want {
				if g, w := fmt.Sprintf("%q", got[i]), fmt.Sprintf("%q", want[i]); g != w {
					t.Fatalf("command %d = %.100s, want %.100s", i, g, w)
				}
			}
			// The buffer grows only for a command that does not fit.
			if limit := max(initialBuffer, 2*largest); maxCap > limit {
				t.Errorf("BufferCap() reached %d for commands of at most %d bytes, want at most %d", maxCap, largest, limit)
			}
		})
	}
}

// TestSplitPlainMatchesSplitargs checks the allocation-free split of plain
// inline lines against sdssplitargs on every line it accepts.
func TestSplitPlainMatchesSplitargs(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	alphabet := []byte("ab \t\r\n\"'\v\f\\x0")
	for i := 0; i < 200000; i++ {
		line := make([]byte, r.IntN(12))
		for j := range line {
			line[j] = alphabet[r.IntN(len(alphabet))]
		}
		got, ok := splitPlain(line, nil)
		if !ok {
			continue
		}
		want, err := splitargs.Split(line)
		if err != nil || len(got) != len(want) {
			t.Fatalf("splitPlain(%q) = %q; splitargs gives %q, %v", line, got, want, err)
		}
		for k := range got {
			if !bytes.Equal(got[k], want[k]) {
				t.Fatalf("splitPlain(%q) = %q, want %q", line, got, want)
			}
		}
	}
}

// TestFrame checks that a big argument read into its own buffer comes with
// its frame, free bytes before it for a key, and that small arguments, and
// arguments of an earlier command, have none.
func TestFrame(t *testing.T) {
	value := bytes.Repeat([]byte("x"), 2*BigArg)
	small := []byte("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n")
	in := fmt.Appendf(nil, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$%d\r\n", len(value))
	in = append(append(in, value...), "\r\n"...)
	in = append(in, small...)
	rd := NewReader()
	src := &chunkReader{data: in, size: 1000}
	var cmds [][][]byte
	for len(cmds) < 2 {
		if _, err := rd.Fill(src); err != nil {
			t.Fatalf("Fill: %v", err)
		}
		for {
			args, err := rd.ReadCommand(nil)
			if err == ErrIncomplete {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			cmds = append(cmds, args)
			if len(cmds) == 1 {
				f, ok := rd.Frame(args[2])
				if !ok || len(f) != BigHeadroom+len(value) || &f[BigHeadroom] != &args[2][0] {
					t.Fatalf("Frame of the big argument = %d bytes, %v", len(f), ok)
				}
				if _, ok := rd.Frame(args[1]); ok {
					t.Error("a small argument has a frame")
				}
			} else if _, ok := rd.Frame(cmds[0][2]); ok {
				t.Error("the previous command's big argument still has a frame")
			}
		}
	}
	if !bytes.Equal(cmds[0][2], value) {
		t.Error("the big argument was damaged")
	}
}
