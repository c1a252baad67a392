// Package resp reads Redis requests from a connection: multibulk commands
// (what every client library sends) and inline commands (what a person types
// into telnet), with Redis's limits and its exact protocol error texts.
//
// The reader does not trust a declared length: it allocates for bytes that
// have arrived, growing a buffer by doubling, so a header that promises
// gigabytes costs nothing until the gigabytes come. The one allowance is a
// big argument (below), whose buffer takes the argument's whole size once
// an eighth of it has arrived, and may start at 64 KB. Lengths are parsed
// with overflow checks.
//
// Input goes into a small read buffer, and arguments are slices of it,
// except big ones: a bulk argument of BigArg bytes or more that has not
// arrived whole is read straight from the connection into a buffer of its
// own, which becomes the argument as it is, with no copy; the read buffer
// stays small. The query buffer limit counts what Redis's counts: input not
// yet parsed into arguments, and the big argument being read.
package resp

import (
	"errors"
	"io"

	"github.com/redoubt-db/redoubt/internal/num"
	"github.com/redoubt-db/redoubt/internal/splitargs"
)

// Redis's protocol limits.
const (
	// InlineMax bounds an inline command and a count line (Redis's
	// PROTO_INLINE_MAX_SIZE).
	InlineMax = 64 * 1024
	// MaxMultibulk bounds the argument count of a command (INT_MAX).
	MaxMultibulk = 1<<31 - 1
	// PreAuthMaxArgs and PreAuthMaxBulk bound commands from a client that
	// must authenticate and has not (CVE-2021-32675).
	PreAuthMaxArgs = 10
	PreAuthMaxBulk = 16 * 1024
	// PreAuthMaxBuffer bounds what such a client may have buffered.
	PreAuthMaxBuffer = 1 << 20
	// DefaultMaxBulk is proto-max-bulk-len's default.
	DefaultMaxBulk = 512 << 20
	// DefaultMaxQuery is client-query-buffer-limit's default.
	DefaultMaxQuery = 1 << 30
	// BigArg is the size from which a bulk argument is read into its own
	// buffer (Redis's PROTO_MBULK_BIG_ARG).
	BigArg = 32 * 1024
	// BigHeadroom is the room left free in front of a big argument read
	// into its own buffer: a store that takes the buffer over (Frame) can
	// put a key of up to this many bytes there, and keep key and value in
	// one allocation without copying the value.
	BigHeadroom = 64

	initialBuffer = 16 * 1024
	// keepBuffer is the largest read buffer kept once it is drained, or
	// when what it holds would fit in a quarter of it: enough for any
	// argument under BigArg with its header, or a whole inline line. A
	// bigger one, grown for a command of many small arguments, is replaced
	// by a small one, as Redis trims an idle query buffer.
	keepBuffer = 64 * 1024
	// maxRead bounds one read into the read buffer, so that input which
	// the server would parse and run is not counted against the query
	// buffer limit just because a grown buffer let one read fetch a lot of
	// it (Redis reads 16 KB at a time).
	maxRead = 64 * 1024
	// bigFirst is what a big argument's buffer may start with before its
	// bytes arrive; beyond it the buffer doubles as they arrive, up to the
	// argument's exact size.
	bigFirst = 64 * 1024
	// bigTrust is how far a big argument's declared size is trusted: once
	// an eighth of it has arrived, its buffer takes its whole size.
	bigTrust = 8
)

// ErrIncomplete means the buffered bytes do not yet hold a whole command.
var ErrIncomplete = errors.New("resp: incomplete command")

// ErrQueryBufferLimit means the client has buffered more than its limit; Redis
// closes such a client without a reply.
var ErrQueryBufferLimit = errors.New("resp: query buffer limit reached")

// A ProtocolError is a malformed request. The server replies with Error()
// after "ERR " and closes the connection, as Redis does.
type ProtocolError struct{ msg string }

func (e *ProtocolError) Error() string { return "Protocol error: " + e.msg }

var (
	errTooBigInline     = &ProtocolError{"too big inline request"}
	errUnbalanced       = &ProtocolError{"unbalanced quotes in request"}
	errTooBigMbulkCount = &ProtocolError{"too big mbulk count string"}
	errTooBigBulkCount  = &ProtocolError{"too big bulk count string"}
	errInvalidMbulk     = &ProtocolError{"invalid multibulk length"}
	errInvalidBulk      = &ProtocolError{"invalid bulk length"}
	errUnauthMbulk      = &ProtocolError{"unauthenticated multibulk length"}
	errUnauthBulk       = &ProtocolError{"unauthenticated bulk length"}
)

// expectedDollar builds Redis's "expected '$', got 'x'" error. Redis formats
// the byte with C's %c into a C string, so a NUL byte ends the message.
func expectedDollar(got byte) *ProtocolError {
	msg := "expected '$', got '"
	if got != 0 {
		msg += string([]byte{got}) + "'"
	}
	return &ProtocolError{msg}
}

// Reader reads commands from buffered client input. The zero value is not
// usable; call NewReader. A Reader is used by one goroutine.
//
// The arguments ReadCommand returns are valid until the next call to
// ReadCommand or Fill: most are slices of the read buffer, which Fill
// reuses. A command that needs its arguments longer (one that blocks, a
// queued MULTI command) must copy them. A big argument is a buffer of its
// own, of which the Reader keeps no reference once it has returned it: its
// memory is freed when the caller drops the argument, so a caller that
// keeps the argument slice between commands should clear it.
type Reader struct {
	buf  []byte // buf[r:w] is the command being read (from r) and input after it
	r, w int

	// MaxBulk is the largest bulk argument accepted (proto-max-bulk-len).
	MaxBulk int64
	// MaxQuery is the most input a client may have buffered
	// (client-query-buffer-limit): input not yet parsed into arguments, and
	// the big argument being read.
	MaxQuery int64
	// Unauthenticated applies Redis's pre-authentication limits.
	Unauthenticated bool

	// State of a multibulk command partly received, so that a command
	// spanning many reads is not parsed again from its start each time.
	// Offsets are relative to r, which stays at the command's first byte.
	argsLeft int64 // arguments still to come, 0 when between commands
	pos      int   // parse position, relative to r
	bulkLen  int64 // length of the bulk being read, -1 before its header
	// big is the big argument being read, when bulkLen >= bigArg and its
	// bytes had not all arrived with its header: the bytes received so
	// far, and then its "\r\n", for which its capacity (bulkLen+2 once
	// grown to it) leaves room. Fill reads into it, not into buf.
	big []byte
	// bigBase is big's whole allocation: BigHeadroom bytes, then big.
	bigBase []byte
	// bigs are the big arguments of the command being read.
	bigs [][]byte
	// frames are the allocations (headroom and argument) of the big
	// arguments of the command ReadCommand returned last, for Frame,
	// until the next ReadCommand or Release.
	frames [][]byte
	// bigArg is BigArg; tests lower it, so that the fuzzer's short
	// inputs reach the big argument path.
	bigArg  int64
	scratch [][]byte // reused for the words of plain inline commands
	// Argument i of the command being read is buf[r+offs[i]:r+ends[i]], or
	// bigs[ends[i]] when offs[i] is -1.
	offs []int
	ends []int
}

// NewReader returns a Reader with Redis's default limits.
func NewReader() *Reader {
	return &Reader{
		buf:      make([]byte, initialBuffer),
		MaxBulk:  DefaultMaxBulk,
		MaxQuery: DefaultMaxQuery,
		bulkLen:  -1,
		bigArg:   BigArg,
	}
}

// Buffered returns the number of bytes of input not yet parsed into
// arguments, counting the big argument being read: Redis's qbuf, which the
// query buffer limit bounds.
func (rd *Reader) Buffered() int { return rd.w - rd.r - rd.pos + len(rd.big) }

// Peek returns up to n bytes of the input Buffered counts, for log messages.
func (rd *Reader) Peek(n int) []byte {
	if rd.big != nil {
		return rd.big[:min(len(rd.big), n)]
	}
	start := rd.r + rd.pos
	return rd.buf[start:min(rd.w, start+n)]
}

// BufferCap returns the size of the buffer input goes into: the big
// argument's while one is being read, else the read buffer's. It is
// Redis's query buffer size, for CLIENT LIST's qbuf-free.
func (rd *Reader) BufferCap() int {
	if rd.big != nil {
		return cap(rd.big)
	}
	return len(rd.buf)
}

// held returns the bytes of buffer the reader holds for input.
func (rd *Reader) held() int { return len(rd.buf) + cap(rd.big) }

// limit returns the query buffer limit in force.
func (rd *Reader) limit() int64 {
	if rd.Unauthenticated && rd.MaxQuery > PreAuthMaxBuffer {
		return PreAuthMaxBuffer
	}
	return rd.MaxQuery
}

// Fill reads more input from src: into the big argument being read, if
// there is one, else into the read buffer. Reading into the read buffer
// first reclaims the space of consumed commands, which invalidates every
// argument slice returned so far. Fill returns ErrQueryBufferLimit once the
// input Buffered counts exceeds the limit, as Redis checks after each read.
func (rd *Reader) Fill(src io.Reader) (int, error) {
	limit := rd.limit()
	if rd.big != nil && int64(len(rd.big)) < rd.bulkLen+2 {
		return rd.fillBig(src, limit)
	}
	if rd.r == rd.w {
		// Drained: nothing is held (a command being read holds at least
		// its header), so the buffer can be replaced for free.
		rd.r, rd.w = 0, 0
		if len(rd.buf) > keepBuffer {
			rd.buf = make([]byte, initialBuffer)
		}
	}
	if rd.w == len(rd.buf) {
		if held := rd.w - rd.r; rd.r > 0 {
			// Move the command being read to the front, into a smaller
			// buffer if a grown one would be mostly empty.
			nb := rd.buf
			if len(rd.buf) > keepBuffer && held <= len(rd.buf)/4 {
				size := initialBuffer
				for size < 2*held {
					size *= 2
				}
				nb = make([]byte, size)
			}
			copy(nb, rd.buf[rd.r:rd.w])
			rd.buf, rd.r, rd.w = nb, 0, held
		} else {
			// The command being read fills the buffer. It needs room for
			// its parsed arguments and for at most limit bytes more.
			need := int64(rd.pos) + limit
			if int64(len(rd.buf)) >= need {
				// Any byte more is over the limit.
				var one [1]byte
				n, err := src.Read(one[:])
				if n > 0 {
					return n, ErrQueryBufferLimit
				}
				return 0, err
			}
			nb := make([]byte, min(2*int64(len(rd.buf)), need))
			copy(nb, rd.buf[:rd.w])
			rd.buf = nb
		}
	}
	n, err := src.Read(rd.buf[rd.w:min(len(rd.buf), rd.w+maxRead)])
	rd.w += n
	if int64(rd.Buffered()) > limit {
		return n, ErrQueryBufferLimit
	}
	return n, err
}

// fillBig reads into the big argument being read, no further than its end,
// as Redis does. Its buffer doubles as bytes arrive, up to the argument's
// size, and never beyond the limit: the byte that would go past the limit
// closes the client anyway.
func (rd *Reader) fillBig(src io.Reader, limit int64) (int, error) {
	if len(rd.big) == cap(rd.big) {
		if int64(len(rd.big)) >= limit {
			var one [1]byte
			n, err := src.Read(one[:])
			if n > 0 {
				return n, ErrQueryBufferLimit
			}
			return 0, err
		}
		rd.allocBig(rd.big, min(bigGrow(int64(cap(rd.big)), rd.bulkLen+2), limit))
	}
	n, err := src.Read(rd.big[len(rd.big):cap(rd.big)])
	rd.big = rd.big[:len(rd.big)+n]
	if int64(rd.Buffered()) > limit {
		return n, ErrQueryBufferLimit
	}
	return n, err
}

// allocBig makes big a new buffer of capacity size, after BigHeadroom free
// bytes, holding a copy of have.
func (rd *Reader) allocBig(have []byte, size int64) {
	rd.bigBase = make([]byte, BigHeadroom+len(have), BigHeadroom+size)
	copy(rd.bigBase[BigHeadroom:], have)
	rd.big = rd.bigBase[BigHeadroom:]
}

// Frame returns the allocation holding arg, an argument of the command
// ReadCommand returned last, when arg is a big argument read into a buffer
// of its own: frame[BigHeadroom:] is arg, and the BigHeadroom bytes before
// it are free. A caller that keeps arg may take the whole frame over: the
// reader holds no reference to it, and nobody else writes to it. ok is
// false for an argument that lives in the read buffer.
func (rd *Reader) Frame(arg []byte) (frame []byte, ok bool) {
	if len(arg) == 0 {
		return nil, false
	}
	for _, f := range rd.frames {
		if &f[BigHeadroom] == &arg[0] && len(f) == BigHeadroom+len(arg) {
			return f, true
		}
	}
	return nil, false
}

// Release drops the reader's references to the frames of the last
// command's big arguments, so that memory nobody took over can be freed
// while the client is idle.
func (rd *Reader) Release() {
	if len(rd.frames) > 0 {
		clear(rd.frames)
		rd.frames = rd.frames[:0]
	}
}

// bigGrow returns the capacity a big argument's buffer grows to from have
// bytes, all received, for an argument of size bytes with its "\r\n": twice
// have, at least bigFirst; but the whole size once have is an eighth of it,
// so that the intermediate buffers (garbage once copied) add up to a
// quarter of the argument at most, not as much as the argument itself.
func bigGrow(have, size int64) int64 {
	if have*bigTrust >= size {
		return size
	}
	return min(size, max(2*have, bigFirst))
}

// ReadCommand parses the next whole command from the buffered input and
// appends its arguments to dst. It returns ErrIncomplete when more input is
// needed and a *ProtocolError for malformed input. Empty commands (a blank
// inline line, "*0", "*-1") are consumed silently, as Redis does.
func (rd *Reader) ReadCommand(dst [][]byte) ([][]byte, error) {
	rd.Release()
	for rd.r < rd.w {
		if rd.argsLeft == 0 {
			if rd.buf[rd.r] != '*' {
				args, err := rd.readInline()
				if err != nil {
					return dst, err
				}
				if len(args) == 0 {
					continue
				}
				return append(dst, args...), nil
			}
			n, err := rd.readMultibulkHeader()
			if err != nil {
				return dst, err
			}
			if n <= 0 {
				continue
			}
		}
		if err := rd.readBulks(); err != nil {
			return dst, err
		}
		for i, off := range rd.offs {
			if off < 0 {
				dst = append(dst, rd.bigs[rd.ends[i]])
				continue
			}
			dst = append(dst, rd.buf[rd.r+off:rd.r+rd.ends[i]:rd.r+rd.ends[i]])
		}
		rd.r += rd.pos
		rd.pos = 0
		rd.offs, rd.ends = rd.offs[:0], rd.ends[:0]
		if cap(rd.offs) > 4096 {
			rd.offs, rd.ends = nil, nil
		}
		if len(rd.bigs) > 0 {
			// Hand the big arguments over: the reader keeps no reference.
			clear(rd.bigs)
			rd.bigs = rd.bigs[:0]
		}
		return dst, nil
	}
	return dst, ErrIncomplete
}

// readInline consumes one inline command. Its end is found as Redis finds
// it (strchr): a NUL byte before the newline hides it, and such input waits
// for more until it exceeds InlineMax.
func (rd *Reader) readInline() ([][]byte, error) {
	b := rd.buf[rd.r:rd.w]
	nl := strchr(b, '\n')
	if nl < 0 {
		if len(b) > InlineMax {
			return nil, errTooBigInline
		}
		return nil, ErrIncomplete
	}
	line := b[:nl]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	args, ok := splitPlain(line, rd.scratch[:0])
	if ok {
		rd.scratch = args[:0] // the caller copies the words out
	} else {
		var err error
		if args, err = splitargs.Split(line); err != nil {
			return nil, errUnbalanced
		}
	}
	if rd.Unauthenticated && len(args) > PreAuthMaxArgs {
		return nil, errUnauthMbulk
	}
	rd.r += nl + 1
	return args, nil
}

// splitPlain splits an inline line that has no quotes and no vertical tab or
// form feed, which is what people type into telnet, into words separated by
// spaces, tabs, CRs and LFs: exactly what sdssplitargs gives for such a
// line, as slices of the line itself. It reports false for any other line,
// which needs splitargs.
func splitPlain(line []byte, args [][]byte) ([][]byte, bool) {
	start := -1
	for i, ch := range line {
		switch ch {
		case '"', '\'', '\v', '\f':
			return nil, false
		case ' ', '\t', '\r', '\n':
			if start >= 0 {
				args = append(args, line[start:i:i])
				start = -1
			}
		default:
			if start < 0 {
				start = i
			}
		}
	}
	if start >= 0 {
		args = append(args, line[start:len(line):len(line)])
	}
	return args, true
}

// line returns the length of the count line at b, up to its '\r' as strchr
// finds it (-1 when there is none to see), and whether the line is complete:
// Redis needs only one byte after the '\r'. Redis checks a line's size only
// while its '\r' has not arrived, so its answer to an overlong line depends
// on the timing of its 16 KB reads; ours does not.
func line(b []byte) (int, bool) {
	i := strchr(b, '\r')
	return i, i >= 0 && i <= len(b)-2
}

// strchr returns the index of the first c in b as Redis's strchr on its
// query buffer finds it: not past a NUL byte, and, so that a line too long
// is "too big" however the input was split into reads, not more than
// InlineMax bytes in. It returns -1 when there is no c to see. Lines are a
// few bytes long: a plain loop finds c, or a NUL before it, in one pass.
func strchr(b []byte, c byte) int {
	for i, ch := range b[:min(len(b), InlineMax+1)] {
		if ch == c {
			return i
		}
		if ch == 0 {
			return -1
		}
	}
	return -1
}

// readMultibulkHeader consumes "*<n>\r\n" and returns n.
func (rd *Reader) readMultibulkHeader() (int64, error) {
	b := rd.buf[rd.r:rd.w]
	i, ok := line(b)
	if !ok {
		if i < 0 && len(b) > InlineMax {
			return 0, errTooBigMbulkCount
		}
		return 0, ErrIncomplete
	}
	n, ok := num.ParseInt(b[1:i])
	if !ok || n > MaxMultibulk {
		return 0, errInvalidMbulk
	}
	if rd.Unauthenticated && n > PreAuthMaxArgs {
		return 0, errUnauthMbulk
	}
	if n <= 0 {
		rd.r += i + 2
		return n, nil
	}
	rd.argsLeft = n
	rd.pos = i + 2
	rd.bulkLen = -1
	return n, nil
}

// readBulks consumes as many bulk arguments of the current command as have
// arrived. It returns nil once the command is complete.
func (rd *Reader) readBulks() error {
	for rd.argsLeft > 0 {
		if rd.big != nil {
			// Its bytes, and the two after them, go straight into it.
			if int64(len(rd.big)) < rd.bulkLen+2 {
				return ErrIncomplete
			}
			rd.offs = append(rd.offs, -1)
			rd.ends = append(rd.ends, len(rd.bigs))
			rd.bigs = append(rd.bigs, rd.big[:rd.bulkLen:rd.bulkLen])
			rd.frames = append(rd.frames, rd.bigBase[:BigHeadroom+rd.bulkLen:BigHeadroom+rd.bulkLen])
			rd.big, rd.bigBase = nil, nil
			rd.bulkLen = -1
			rd.argsLeft--
			continue
		}
		b := rd.buf[rd.r+rd.pos : rd.w]
		if rd.bulkLen < 0 {
			if len(b) == 0 {
				return ErrIncomplete
			}
			i, ok := line(b)
			if !ok {
				if i < 0 && len(b) > InlineMax {
					return errTooBigBulkCount
				}
				return ErrIncomplete
			}
			if b[0] != '$' {
				return expectedDollar(b[0])
			}
			n, ok := num.ParseInt(b[1:i])
			if !ok || n < 0 || n > rd.MaxBulk {
				return errInvalidBulk
			}
			if rd.Unauthenticated && n > PreAuthMaxBulk {
				return errUnauthBulk
			}
			rd.pos += i + 2
			rd.bulkLen = n
			b = b[i+2:]
			if n >= rd.bigArg && int64(len(b)) < n+2 {
				// A big argument still to come: from here on it is read
				// into a buffer of its own, as Redis reads it into a query
				// buffer of its own. The buffer starts with what has
				// arrived and room to grow, never more than the argument
				// needs.
				size := max(int64(len(b)), min(bigGrow(int64(len(b)), n+2), rd.limit()))
				rd.allocBig(b, size)
				rd.w -= len(b) // b ends the input; its bytes moved to big
				return ErrIncomplete
			}
		}
		// Redis skips the two bytes after the data without checking them.
		if int64(len(b)) < rd.bulkLen+2 {
			return ErrIncomplete
		}
		start := rd.pos
		end := start + int(rd.bulkLen)
		rd.offs = append(rd.offs, start)
		rd.ends = append(rd.ends, end)
		rd.pos = end + 2
		rd.bulkLen = -1
		rd.argsLeft--
	}
	return nil
}
