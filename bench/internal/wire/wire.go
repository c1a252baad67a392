// Package wire is the small RESP client the benchmarks drive servers with:
// it encodes commands into a caller's buffer and reads replies without
// allocating, so that what a benchmark counts is the server's work, not the
// client's.
//
// It is not a general client: it reads RESP2 replies only (which is what a
// connection that never sent HELLO 3 receives) and it has no notion of a
// command's reply shape beyond skipping nested arrays.
package wire

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// AppendArray appends the header of a command of n arguments.
func AppendArray(dst []byte, n int) []byte {
	dst = append(dst, '*')
	dst = strconv.AppendInt(dst, int64(n), 10)
	return append(dst, '\r', '\n')
}

// AppendBulk appends one argument.
func AppendBulk(dst, arg []byte) []byte { return appendBulk(dst, arg) }

// AppendBulkString appends one argument given as a string.
func AppendBulkString(dst []byte, arg string) []byte { return appendBulk(dst, arg) }

// appendBulk is AppendBulk and AppendBulkString, for either type of
// argument.
func appendBulk[T []byte | string](dst []byte, arg T) []byte {
	dst = append(dst, '$')
	dst = strconv.AppendInt(dst, int64(len(arg)), 10)
	dst = append(dst, '\r', '\n')
	dst = append(dst, arg...)
	return append(dst, '\r', '\n')
}

// AppendCommand appends a whole command, as every client library sends it.
func AppendCommand(dst []byte, args ...string) []byte {
	dst = AppendArray(dst, len(args))
	for _, a := range args {
		dst = AppendBulkString(dst, a)
	}
	return dst
}

// Reply kinds, as RESP2's first byte. A null bulk string or array is
// reported as Null.
const (
	Simple  = '+'
	Error   = '-'
	Integer = ':'
	Bulk    = '$'
	Array   = '*'
	Null    = '_'
	// RESP3 kinds (after HELLO 3). A map's, set's or push's elements are
	// read and dropped, as an array's.
	Map    = '%'
	Set    = '~'
	Push   = '>'
	Bool   = '#'
	Double = ','
	BigNum = '('
)

// ErrProtocol means the server sent something that is not a RESP2 reply.
var ErrProtocol = errors.New("wire: malformed reply")

// Reader reads replies from a connection.
type Reader struct {
	br      *bufio.Reader
	scratch []byte // holds a line or bulk reply larger than br's buffer
}

// NewReader returns a Reader over r with a buffer of size bytes (at least
// 16).
func NewReader(r io.Reader, size int) *Reader {
	return &Reader{br: bufio.NewReaderSize(r, size)}
}

// Read reads one whole reply. For simple strings, errors and integers data
// is the line without its CRLF; for bulk strings it is the content; for
// arrays the elements are read and dropped and data is nil. data aliases the
// Reader's buffer until the next call. Read does not allocate unless a bulk
// reply is larger than the buffer.
func (r *Reader) Read() (kind byte, data []byte, err error) {
	line, err := r.line()
	if err != nil {
		return 0, nil, err
	}
	kind, body := line[0], line[1:]
	switch kind {
	case Simple, Error, Integer, Bool, Double, BigNum:
		return kind, body, nil
	case Null:
		return Null, nil, nil
	case Bulk, '=':
		n, ok := parseLen(body)
		if !ok {
			return 0, nil, ErrProtocol
		}
		if n < 0 {
			return Null, nil, nil
		}
		data, err := r.bulk(n)
		return Bulk, data, err
	case Array, Map, Set, Push:
		n, ok := parseLen(body)
		if !ok {
			return 0, nil, ErrProtocol
		}
		if n < 0 {
			return Null, nil, nil
		}
		if kind == Map {
			n *= 2
		}
		for ; n > 0; n-- {
			if _, _, err := r.Read(); err != nil {
				return 0, nil, err
			}
		}
		return kind, nil, nil
	}
	return 0, nil, fmt.Errorf("%w: unexpected type byte %q", ErrProtocol, kind)
}

// maxLine bounds a reply's first line (an error text, a length).
const maxLine = 64 * 1024

// line returns the next line without its CRLF. A line longer than the
// buffer is gathered in scratch, which allocates.
func (r *Reader) line() ([]byte, error) {
	line, err := r.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		r.scratch = append(r.scratch[:0], line...)
		for errors.Is(err, bufio.ErrBufferFull) && len(r.scratch) <= maxLine {
			line, err = r.br.ReadSlice('\n')
			r.scratch = append(r.scratch, line...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			return nil, fmt.Errorf("%w: line longer than %d bytes", ErrProtocol, maxLine)
		}
		line = r.scratch
	}
	if err != nil {
		return nil, err
	}
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return nil, ErrProtocol
	}
	return line[:len(line)-2], nil
}

// bulk reads n bytes of content and the CRLF after them.
func (r *Reader) bulk(n int) ([]byte, error) {
	if n+2 <= r.br.Size() {
		b, err := r.br.Peek(n + 2)
		if err != nil {
			return nil, err
		}
		r.br.Discard(n + 2)
		return b[:n], nil
	}
	if cap(r.scratch) < n+2 {
		r.scratch = make([]byte, n+2)
	}
	b := r.scratch[:n+2]
	if _, err := io.ReadFull(r.br, b); err != nil {
		return nil, err
	}
	return b[:n], nil
}

// parseLen parses a non-negative decimal length, or -1.
func parseLen(b []byte) (int, bool) {
	if len(b) == 2 && b[0] == '-' && b[1] == '1' {
		return -1, true
	}
	if len(b) == 0 || len(b) > 10 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// ReadStrings reads one reply that is an array of strings, integers or
// nulls (as CONFIG GET answers) and returns copies of its elements, a null
// as "". It allocates; it is for set-up and checks, not measured loops. An
// error reply is returned as an error.
func (r *Reader) ReadStrings() ([]string, error) {
	line, err := r.line()
	if err != nil {
		return nil, err
	}
	switch line[0] {
	case Error:
		return nil, fmt.Errorf("wire: error reply: %s", line[1:])
	case Array:
	default:
		return nil, fmt.Errorf("%w: want an array, got %q", ErrProtocol, line)
	}
	n, ok := parseLen(line[1:])
	if !ok {
		return nil, ErrProtocol
	}
	var out []string
	for ; n > 0; n-- {
		kind, data, err := r.Read()
		if err != nil {
			return nil, err
		}
		switch kind {
		case Simple, Integer, Bulk, Null:
			out = append(out, string(data))
		default:
			return nil, fmt.Errorf("%w: array element of type %q", ErrProtocol, kind)
		}
	}
	return out, nil
}
