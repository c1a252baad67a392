// Package splitargs splits a line into arguments exactly as Redis 7.0's
// sdssplitargs (src/sds.c) does, and quotes an argument as its sdscatrepr
// does. Redis uses the first for inline commands (a client typing into
// telnet) and for the lines of redis.conf, and the second to turn
// command-line options into config lines and to show arguments in logs, so
// that what Quote writes Split reads back.
//
// The syntax, quirks included:
//
//   - Arguments are separated by runs of C isspace bytes: space, \t, \n,
//     \v, \f and \r. An unquoted word, though, ends only at space, \t, \n
//     or \r, so "a\vb" is one argument while " \vb" is "b".
//   - A double or single quote anywhere in an unquoted word opens a quoted
//     part of the same argument: foo"bar baz" is the one argument
//     `foobar baz`.
//   - Inside double quotes, \xHH (two hex digits, either case) is that
//     byte, \n \r \t \b \a are the control characters, and a backslash
//     before any other byte is that byte (\" \\ \' \z). A \x not followed
//     by two hex digits is just 'x'.
//   - Inside single quotes only \' is an escape; any other backslash is
//     kept.
//   - A closing quote must be followed by a blank (any isspace byte) or the
//     end of the line, so "a"b and "a""b" are errors, and so is a quote that
//     is never closed. Every such line gives ErrUnbalancedQuotes.
//   - An empty or all-blank line has no arguments and is not an error.
//   - The C code reads the line as a C string, so it stops at the first NUL
//     byte: Split ignores everything from the first NUL on. An open quote
//     before the NUL is therefore unbalanced, and "a\x00b" (with a real NUL)
//     is the one argument "a". A NUL inside an argument can only be written
//     as \x00 in double quotes, which is what Quote does.
package splitargs

import (
	"bytes"
	"strings"
)

// Split splits line into arguments with the rules of Redis's sdssplitargs,
// described in the package documentation. It returns no arguments and a nil
// error for a blank line, and ErrUnbalancedQuotes for any malformed one.
//
// The arguments do not alias line. They share one backing array, but each
// is capped at its own length, so appending to one never changes another.
func Split(line []byte) ([][]byte, error) {
	// sdssplitargs walks a NUL-terminated C string: a NUL ends the line.
	if i := bytes.IndexByte(line, 0); i >= 0 {
		line = line[:i]
	}
	// at reads line[i], or the terminating NUL the C code would see.
	at := func(i int) byte {
		if i < len(line) {
			return line[i]
		}
		return 0
	}
	var (
		args [][]byte
		// buf holds the bytes of every argument. Each byte written
		// consumes at least one byte of line, so it never outgrows
		// len(line) and never moves, and the argument slices stay valid.
		buf []byte
		i   int
	)
	for {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		if i == len(line) {
			return args, nil
		}
		if buf == nil {
			buf = make([]byte, 0, len(line)-i)
		}
		start := len(buf)
		inDouble, inSingle := false, false
	word:
		for {
			c := at(i)
			switch {
			case inDouble:
				switch {
				case c == '\\' && at(i+1) == 'x' && isHex(at(i+2)) && isHex(at(i+3)):
					buf = append(buf, unhex(at(i+2))<<4|unhex(at(i+3)))
					i += 3
				case c == '\\' && at(i+1) != 0:
					i++
					buf = append(buf, unescape(line[i]))
				case c == '"':
					if next := at(i + 1); next != 0 && !isSpace(next) {
						return nil, ErrUnbalancedQuotes
					}
					i++
					break word
				case c == 0:
					return nil, ErrUnbalancedQuotes
				default:
					buf = append(buf, c)
				}
			case inSingle:
				switch {
				case c == '\\' && at(i+1) == '\'':
					i++
					buf = append(buf, '\'')
				case c == '\'':
					if next := at(i + 1); next != 0 && !isSpace(next) {
						return nil, ErrUnbalancedQuotes
					}
					i++
					break word
				case c == 0:
					return nil, ErrUnbalancedQuotes
				default:
					buf = append(buf, c)
				}
			default:
				switch c {
				case ' ', '\n', '\r', '\t', 0:
					// Step over the blank (not over the end), as
					// the C code does.
					if c != 0 {
						i++
					}
					break word
				case '"':
					inDouble = true
				case '\'':
					inSingle = true
				default:
					buf = append(buf, c)
				}
			}
			i++
		}
		args = append(args, buf[start:len(buf):len(buf)])
	}
}

// Quote returns arg as a double-quoted string in the form of Redis's
// sdscatrepr: backslash and double quote are escaped with a backslash, \n
// \r \t \a \b are written as such, other bytes that C isprint accepts (0x20
// to 0x7e) stand for themselves, and all remaining bytes are written \xhh
// in lower-case hex. Split reads the result back as the single argument
// arg.
func Quote(arg []byte) string {
	const hex = "0123456789abcdef"
	var b strings.Builder
	b.Grow(len(arg) + 2)
	b.WriteByte('"')
	for _, c := range arg {
		switch c {
		case '\\', '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\a':
			b.WriteString(`\a`)
		case '\b':
			b.WriteString(`\b`)
		default:
			if 0x20 <= c && c <= 0x7e {
				b.WriteByte(c)
			} else {
				b.WriteString(`\x`)
				b.WriteByte(hex[c>>4])
				b.WriteByte(hex[c&0xf])
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// isSpace is C isspace in the C locale. Bytes 0x80 and up are negative as
// a C char and are not spaces.
func isSpace(c byte) bool {
	return c == ' ' || '\t' <= c && c <= '\r'
}

// isHex reports whether c is a hex digit of either case.
func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// unhex is the value of the hex digit c, which isHex accepts.
func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// unescape is the byte a backslash followed by c stands for inside double
// quotes.
func unescape(c byte) byte {
	switch c {
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	case 'b':
		return '\b'
	case 'a':
		return '\a'
	}
	return c
}
