package resp

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/internal/splitargs"
)

// refParse is the reference the fuzz targets compare the Reader with. It
// parses the whole input at once, byte by byte, from the rules of Redis
// 7.0's processInlineBuffer and processMultibulkBuffer (src/networking.c),
// not from the Reader's code; it is written to be obviously right, not fast.
// It returns the commands before the end of the input or the first protocol
// error, and that error (nil if the input ends in the middle of a command or
// between commands).
//
// Two rules are Redoubt's, where Redis's answer depends on the timing of its
// reads (see the Reader): a line whose terminator is more than InlineMax
// bytes in is too big, and an unauthenticated inline command is held to the
// multibulk argument limit.
func refParse(in []byte, o readerOpts) ([][]string, error) {
	maxBulk := o.maxBulk
	if maxBulk == 0 {
		maxBulk = DefaultMaxBulk
	}
	var out [][]string
	p := 0
	for p < len(in) {
		if in[p] != '*' {
			// Inline: the line ends at the first '\n', but strchr does
			// not look past a NUL byte.
			end := -1
			for j := p; j < len(in) && j-p <= InlineMax && in[j] != 0; j++ {
				if in[j] == '\n' {
					end = j
					break
				}
			}
			if end < 0 {
				if len(in)-p > InlineMax {
					return out, errors.New("Protocol error: too big inline request")
				}
				return out, nil
			}
			line := in[p:end]
			if len(line) > 0 && line[len(line)-1] == '\r' {
				line = line[:len(line)-1]
			}
			args, err := splitargs.Split(line)
			if err != nil {
				return out, errors.New("Protocol error: unbalanced quotes in request")
			}
			if o.unauth && len(args) > 10 {
				return out, errors.New("Protocol error: unauthenticated multibulk length")
			}
			p = end + 1
			if len(args) > 0 {
				out = append(out, strs(args))
			}
			continue
		}

		// Multibulk: "*<count>\r", one more byte, then count bulks.
		end, tooBig := refCountLine(in, p)
		if tooBig {
			return out, errors.New("Protocol error: too big mbulk count string")
		}
		if end < 0 {
			return out, nil
		}
		count, ok := refInt(in[p+1 : end])
		if !ok || count > 1<<31-1 {
			return out, errors.New("Protocol error: invalid multibulk length")
		}
		if o.unauth && count > 10 {
			return out, errors.New("Protocol error: unauthenticated multibulk length")
		}
		p = end + 2
		var args []string
		for ; count > 0; count-- {
			end, tooBig := refCountLine(in, p)
			if tooBig {
				return out, errors.New("Protocol error: too big bulk count string")
			}
			if end < 0 {
				return out, nil
			}
			if in[p] != '$' {
				return out, errors.New("Protocol error: expected '$', got '" + string(in[p:p+1]) + "'")
			}
			n, ok := refInt(in[p+1 : end])
			if !ok || n < 0 || n > maxBulk {
				return out, errors.New("Protocol error: invalid bulk length")
			}
			if o.unauth && n > 16384 {
				return out, errors.New("Protocol error: unauthenticated bulk length")
			}
			p = end + 2
			if int64(len(in)-p) < n+2 {
				return out, nil
			}
			args = append(args, string(in[p:p+int(n)]))
			p += int(n) + 2
		}
		if args != nil {
			out = append(out, args)
		}
	}
	return out, nil
}

// refCountLine finds the end of the count line that starts at in[p]: the
// index of its '\r', which must be followed by one more byte. It returns -1
// when the line is not complete yet, and tooBig when it never will be within
// 64 KB. A NUL byte ends the search, as it ends strchr's.
func refCountLine(in []byte, p int) (end int, tooBig bool) {
	for j := p; j < len(in) && j-p <= InlineMax && in[j] != 0; j++ {
		if in[j] == '\r' {
			if j+1 < len(in) {
				return j, false
			}
			return -1, false
		}
	}
	return -1, len(in)-p > InlineMax
}

var redisInt = regexp.MustCompile(`^(0|-?[1-9][0-9]*)$`)

// refInt parses a count as Redis's string2ll: at most 20 characters, no
// sign but '-', no leading zero, no "-0", within int64.
func refInt(b []byte) (int64, bool) {
	if len(b) > 20 || !redisInt.Match(b) {
		return 0, false
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	return n, err == nil
}

// TestRefParse checks the reference against the hand-written table, so that
// a fuzz failure points at the Reader and not at the reference.
func TestRefParse(t *testing.T) {
	for _, tt := range append(readerTests[:len(readerTests):len(readerTests)], longLineTests...) {
		got, err := refParse([]byte(tt.in), tt.opts)
		want := result(tt.want, nil)
		if tt.err != "" {
			want = result(tt.want, errors.New(tt.err))
		}
		if g := result(got, err); g != want {
			t.Errorf("refParse(%q) = %s, want %s", tt.in, g, want)
		}
	}
}

// seqReader returns its data in pieces whose sizes come from sizes, in a
// cycle: a size byte s gives s+1 bytes, except 255, which gives 64 KB; no
// piece but the last is smaller than min.
type seqReader struct {
	data  []byte
	sizes []byte
	min   int
	i     int
}

func (r *seqReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := len(r.data)
	if len(r.sizes) > 0 {
		s := int(r.sizes[r.i%len(r.sizes)]) + 1
		if s == 256 {
			s = 64 << 10
		}
		r.i++
		n = min(n, max(s, r.min))
	}
	n = copy(p, r.data[:n])
	r.data = r.data[n:]
	return n, nil
}

// checkReader feeds in to a Reader in the pieces chunks describes and
// checks it against refParse, and that the Reader's buffers grew only with
// what it had received, never with the lengths the client declares: the
// read buffer to at most max(16 KB, twice that), a big argument's buffer to
// at most max(bigFirst, bigTrust times the bytes of it received).
func checkReader(t *testing.T, in, chunks []byte, o readerOpts) {
	t.Helper()
	rd := o.reader()
	// About 256 pieces at most: the reader looks for a line's end from
	// its start on every read, as Redis does, so a 64 KB line sent one
	// byte at a time costs 64K scans of up to 64 KB. That is fast enough
	// for one test (TestReaderLongLines does it), too slow for the fuzzer,
	// which minimizes every new input it finds.
	src := &seqReader{data: in, sizes: chunks, min: len(in) / 256}
	var got [][]string
	var err error
	received := 0
read:
	for {
		var n int
		n, err = rd.Fill(src)
		received += n
		if limit := max(initialBuffer, 2*received); len(rd.buf) > limit {
			t.Fatalf("after %d bytes of %.300q: read buffer of %d bytes, want at most %d", received, in, len(rd.buf), limit)
		}
		if limit := max(bigFirst, bigTrust*len(rd.big)); cap(rd.big) > limit {
			t.Fatalf("after %d bytes of %.300q: big argument buffer of %d bytes for %d received, want at most %d",
				received, in, cap(rd.big), len(rd.big), limit)
		}
		if err == io.EOF {
			err = nil
			break
		}
		if err != nil {
			break
		}
		for {
			var args [][]byte
			args, err = rd.ReadCommand(nil)
			if err == ErrIncomplete {
				err = nil
				break
			}
			if err != nil {
				break read
			}
			if len(args) == 0 {
				t.Fatalf("ReadCommand(%.300q) returned an empty command", in)
			}
			for i, a := range args {
				if cap(a) != len(a) {
					t.Fatalf("ReadCommand(%.300q): cap(args[%d]) = %d, want %d", in, i, cap(a), len(a))
				}
			}
			got = append(got, strs(args))
		}
	}
	if err != nil {
		var pe *ProtocolError
		if !errors.As(err, &pe) {
			t.Fatalf("read(%.300q): error %v, want a *ProtocolError or none", in, err)
		}
	}
	wantCmds, wantErr := refParse(in, o)
	if g, w := result(got, err), result(wantCmds, wantErr); g != w {
		t.Fatalf("read(%.300q) (%d bytes) in pieces %v = %.300s, want %.300s", in, len(in), chunks, g, w)
	}
}

// TestReaderChunkings runs every table input through checkReader in many
// pseudo-random pieces. It covers what the fuzz targets leave out: inputs
// longer than the initial 16 KB buffer, which the fuzzer handles too slowly
// to be worth seeding.
func TestReaderChunkings(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tests := append(readerTests[:len(readerTests):len(readerTests)], longLineTests...)
	// A pipeline longer than the initial buffer, so that commands
	// straddle its end and are moved to its start.
	var pipeline strings.Builder
	for i := range 2000 {
		pipeline.Write(bulkCommand("ECHO", strings.Repeat("e", i%300)))
		pipeline.WriteString("PING\r\n")
	}
	tests = append(tests, readerTest{name: "long pipeline", in: pipeline.String()})
	// Arguments around BigArg, which are read into buffers of their own
	// unless they arrive whole with their header, among small ones; then
	// the same cut short, and followed by a protocol error.
	var bigs strings.Builder
	for i, n := range []int{BigArg - 1, BigArg, BigArg + 1, 100000, 3, 1 << 20, BigArg + 2} {
		bigs.Write(bulkCommand("SET", "k", strings.Repeat(string(rune('a'+i)), n), "x"))
		bigs.WriteString("PING\r\n")
	}
	tests = append(tests,
		readerTest{name: "big arguments", in: bigs.String()},
		readerTest{name: "big arguments cut short", in: bigs.String()[:bigs.Len()-BigArg/2]},
		readerTest{name: "big arguments then an error", in: bigs.String() + "*2\r\n$100000\r\n" + strings.Repeat("z", 100000) + "\r\n$x\r\n"})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i := range 20 {
				chunks := make([]byte, 1+rng.IntN(8))
				for i := range chunks {
					chunks[i] = byte(rng.IntN(256))
				}
				o := tt.opts
				if i%2 == 1 {
					o.bigArg = 5 // most bulks are big arguments
				}
				checkReader(t, []byte(tt.in), chunks, o)
			}
		})
	}
}

// fuzzSeeds are the inputs SECURITY.md lists, the cases of
// tests/unit/protocol.tcl and a few ordinary commands.
var fuzzSeeds = []string{
	"*1\r\n$4\r\nPING\r\n",
	"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\nPING\r\nGET k\n*0\r\n*-1\r\n\r\n",
	"*1\r\n$9223372036854775806\r\n",
	"*1\r\n$9223372036854775806\r\nab\r\n",
	"*3000000000\r\n",
	"*1000000000\r\n$1\r\na\r\n",
	"*9223372036854775807\r\n$1\r\na\r\n",
	"*-9223372036854775808\r\n",
	"*1\r\n$4294967296\r\n",
	"*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$-10\r\n",
	"*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$blabla\r\n",
	"*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n",
	"*1\r\nfoo\r\n",
	"*-10\r\n",
	"\r\n",
	"\x00",
	"*\x00",
	"$\x00",
	"\x00\r\nPING\r\n",
	"*\x00\r\n",
	"*1\r\n\x00\r\n",
	"*1\r\n$\x00\r\n",
	"*1\r\n$3\r\na\x00b\r\n",
	"*11\r\n",
	"*1\r\n$16385\r\n",
	"*1\r\n$4\r\nPINGxx",
	"*1\rz$4\rzPINGzz",
	"*1\n$4\nPING\n",
	"set \"a b\r\n",
	"ECHO 'a\\'b' \"\\x41\\n\"\r\n",
	"a b c d e f g h i j k\r\n",
	"*1\r\n\r\n",
}

func FuzzReader(f *testing.F) {
	// No seed is longer than the initial buffer (16 KB): the fuzzer spends
	// up to a minute minimizing each new input it finds, which for long
	// inputs stalls a short run. TestReaderChunkings covers long inputs.
	seeds := fuzzSeeds
	for _, s := range seeds {
		f.Add([]byte(s), []byte{}, uint8(0))
		f.Add([]byte(s), []byte{0}, uint8(1))
		f.Add([]byte(s), []byte{2, 0, 7}, uint8(2|3<<2))
	}
	f.Fuzz(func(t *testing.T, in, chunks []byte, flags uint8) {
		if len(in) > 512<<10 {
			// Stay under the 1 MB pre-auth buffer limit, which the
			// reference does not model.
			return
		}
		o := readerOpts{unauth: flags&1 != 0}
		if flags&2 != 0 {
			// A tiny proto-max-bulk-len (1 to 64), so that its check is
			// reached.
			o.maxBulk = int64(flags>>2) + 1
		}
		checkReader(t, in, chunks, o)
		// Again with bulks of 5 bytes or more read as big arguments, which
		// the fuzzer's short inputs would otherwise never reach.
		o.bigArg = 5
		checkReader(t, in, chunks, o)
	})
}

// FuzzInline checks the inline path: one line, ended by "\r\n" or "\n" and
// followed by PING, must give the arguments splitargs gives for the line, or
// its error, whatever pieces it arrives in; a NUL byte makes the reader wait.
func FuzzInline(f *testing.F) {
	for _, s := range []string{
		"PING", "SET k \"hello world\"", "ECHO 'a\\'b' \"\\x41\\n\\x00\"", "set \"a b", "ECHO \"a\"b",
		"ECHO a\rb", "ECHO a\r", "   ", "", "\x00", "$\x00", "PING \x00 x", "a b c d e f g h i j k",
		"\"\\xzz\"", "'", "\"", "\t\v\f",
	} {
		f.Add([]byte(s), false, false, []byte{})
		f.Add([]byte(s), true, true, []byte{0})
	}
	f.Fuzz(func(t *testing.T, line []byte, lf, unauth bool, chunks []byte) {
		// Keep it one inline line: no '\n' inside, not a multibulk.
		line = bytes.ReplaceAll(line, []byte{'\n'}, []byte{' '})
		if len(line) > 0 && line[0] == '*' {
			line = append([]byte{' '}, line...)
		}
		in := append([]byte(nil), line...)
		if lf {
			in = append(in, '\n')
		} else {
			in = append(in, '\r', '\n')
		}
		in = append(in, "PING\r\n"...)

		// What the line must give, from splitargs and the line rules.
		var want [][]string
		var wantErr error
		l := line
		if lf && len(l) > 0 && l[len(l)-1] == '\r' {
			l = l[:len(l)-1]
		}
		lineLen := len(line) // bytes before the '\n'
		if !lf {
			lineLen++
		}
		switch args, err := splitargs.Split(l); {
		case bytes.IndexByte(line, 0) >= 0:
			// strchr stops at the NUL: the newline is never seen.
			if len(in) > InlineMax {
				wantErr = errors.New("Protocol error: too big inline request")
			}
		case lineLen > InlineMax:
			wantErr = errors.New("Protocol error: too big inline request")
		case err != nil:
			wantErr = errors.New("Protocol error: unbalanced quotes in request")
		case unauth && len(args) > PreAuthMaxArgs:
			wantErr = errors.New("Protocol error: unauthenticated multibulk length")
		default:
			if len(args) > 0 {
				want = append(want, strs(args))
			}
			want = append(want, []string{"PING"})
		}
		o := readerOpts{unauth: unauth}
		for _, c := range [][]byte{nil, {0}, chunks} {
			rd := o.reader()
			got, err := readAll(rd, &seqReader{data: in, sizes: c, min: len(in) / 256})
			if g, w := result(got, err), result(want, wantErr); g != w {
				t.Fatalf("read(%q) in pieces %v = %s, want %s", in, c, g, w)
			}
		}
		checkReader(t, in, chunks, o)
	})
}
