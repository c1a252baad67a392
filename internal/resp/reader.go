// Package resp reads Redis requests from a connection: multibulk commands
// (what every client library sends) and inline commands (what a person types
// into telnet), with Redis's limits and its exact protocol error texts.
//
// The reader never trusts a declared length: it allocates only for bytes that
// have arrived, growing its buffer by doubling up to a limit, so a header that
// promises gigabytes costs nothing until the gigabytes come. Lengths are
// parsed with overflow checks. Arguments are returned as slices of the
// reader's buffer, valid until the next call to Fill.
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

	initialBuffer = 16 * 1024
	// keepBuffer is the largest buffer kept once it is drained; a bigger one
	// is released so an idle client does not pin a large allocation.
	keepBuffer = 1 << 20
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
// usable; call NewReader.
type Reader struct {
	buf  []byte // buf[r:w] is unread input
	r, w int

	// MaxBulk is the largest bulk argument accepted (proto-max-bulk-len).
	MaxBulk int64
	// MaxQuery is the most unread input a client may have buffered
	// (client-query-buffer-limit).
	MaxQuery int64
	// Unauthenticated applies Redis's pre-authentication limits.
	Unauthenticated bool

	// State of a multibulk command partly received, so that a command
	// spanning many reads is not parsed again from its start each time.
	// Offsets are relative to r, which stays at the command's first byte.
	argsLeft int64    // arguments still to come, 0 when between commands
	pos      int      // parse position, relative to r
	bulkLen  int64    // length of the bulk being read, -1 before its header
	scratch  [][]byte // reused for the words of plain inline commands
	offs     []int    // start offsets of the arguments read so far, relative to r
	ends     []int
}

// NewReader returns a Reader with Redis's default limits.
func NewReader() *Reader {
	return &Reader{
		buf:      make([]byte, initialBuffer),
		MaxBulk:  DefaultMaxBulk,
		MaxQuery: DefaultMaxQuery,
		bulkLen:  -1,
	}
}

// Buffered returns the number of unread bytes.
func (rd *Reader) Buffered() int { return rd.w - rd.r }

// Peek returns up to n unread bytes, for log messages.
func (rd *Reader) Peek(n int) []byte { return rd.buf[rd.r:min(rd.w, rd.r+n)] }

// BufferCap returns the size of the input buffer, for CLIENT LIST's qbuf-free.
func (rd *Reader) BufferCap() int { return len(rd.buf) }

// Fill reads more input from src. It first reclaims the space of consumed
// commands, which invalidates every argument slice returned so far. It
// returns ErrQueryBufferLimit when the unread input would exceed the limit.
func (rd *Reader) Fill(src io.Reader) (int, error) {
	if rd.r == rd.w {
		rd.r, rd.w = 0, 0
		if len(rd.buf) > keepBuffer {
			rd.buf = make([]byte, initialBuffer)
		}
	}
	if rd.w == len(rd.buf) {
		if rd.r > 0 {
			n := copy(rd.buf, rd.buf[rd.r:rd.w])
			rd.r, rd.w = 0, n
		} else {
			limit := rd.MaxQuery
			if rd.Unauthenticated && limit > PreAuthMaxBuffer {
				limit = PreAuthMaxBuffer
			}
			if int64(len(rd.buf)) >= limit {
				return 0, ErrQueryBufferLimit
			}
			size := min(int64(len(rd.buf))*2, limit)
			nb := make([]byte, size)
			copy(nb, rd.buf[:rd.w])
			rd.buf = nb
		}
	}
	n, err := src.Read(rd.buf[rd.w:])
	rd.w += n
	return n, err
}

// ReadCommand parses the next whole command from the buffered input and
// appends its arguments to dst. It returns ErrIncomplete when more input is
// needed and a *ProtocolError for malformed input. Empty commands (a blank
// inline line, "*0", "*-1") are consumed silently, as Redis does.
func (rd *Reader) ReadCommand(dst [][]byte) ([][]byte, error) {
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
		for i := range rd.offs {
			dst = append(dst, rd.buf[rd.r+rd.offs[i]:rd.r+rd.ends[i]:rd.r+rd.ends[i]])
		}
		rd.r += rd.pos
		rd.pos = 0
		rd.offs, rd.ends = rd.offs[:0], rd.ends[:0]
		if cap(rd.offs) > 4096 {
			rd.offs, rd.ends = nil, nil
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
