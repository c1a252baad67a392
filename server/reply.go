package server

import (
	"math"
	"strconv"
	"strings"

	"github.com/tidwall/redcon"

	"github.com/redoubt-db/redoubt/store"
)

// Reply encoding. Handlers append replies to the connection's output buffer
// with these methods; the buffer is written once per pipelined batch (see
// output.go). Where RESP2 and RESP3 differ (null, map, set, double, boolean,
// verbatim), the method picks the form of the protocol the client chose
// with HELLO.
//
// Every writer first tests c.mute (CLIENT REPLY OFF or SKIP) and then does
// nothing, so a reply that would be dropped is never built: a GET of a big
// value costs no copy of it. Errors are still counted, as Redis counts them
// in afterErrorReply whether the reply is sent or not.

// WriteOK writes +OK.
func (c *client) WriteOK() {
	if c.mute {
		return
	}
	c.out = redcon.AppendOK(c.out)
}

// WriteSimple writes a simple string; s must not contain CR or LF.
func (c *client) WriteSimple(s string) {
	if c.mute {
		return
	}
	c.room(len(s) + 3)
	c.out = redcon.AppendString(c.out, s)
}

// WriteInt writes an integer.
func (c *client) WriteInt(n int64) {
	if c.mute {
		return
	}
	c.out = redcon.AppendInt(c.out, n)
}

// WriteBulk writes a bulk string, copying b.
func (c *client) WriteBulk(b []byte) {
	if c.mute {
		return
	}
	c.room(len(b) + bulkOverhead)
	c.out = redcon.AppendBulk(c.out, b)
}

// bulkOverhead is the most a bulk string's framing adds to it.
const bulkOverhead = len("$4294967295\r\n\r\n")

// writeValue writes a string value that a store read returned (Get, MGet,
// GetRange…) as a bulk string. A value of store.ShareMin bytes or more is
// shared (the store no longer changes its bytes), so it is queued as it
// is instead of copied: a GET of 500 MB costs no second 500 MB, and an MGET
// that names a big value a thousand times costs a thousand references.
func (c *client) writeValue(b []byte) {
	if len(b) < store.ShareMin {
		c.WriteBulk(b)
		return
	}
	if c.mute {
		return
	}
	c.out = appendHeader(c.out, '$', len(b))
	c.queue(b)
	c.out = append(c.out, '\r', '\n')
}

// WriteBulkString writes a bulk string.
func (c *client) WriteBulkString(s string) {
	if c.mute {
		return
	}
	c.room(len(s) + bulkOverhead)
	c.out = redcon.AppendBulkString(c.out, s)
}

// WriteBulkInt writes n as a bulk string.
func (c *client) WriteBulkInt(n int64) {
	if c.mute {
		return
	}
	var buf [20]byte
	c.out = redcon.AppendBulk(c.out, strconv.AppendInt(buf[:0], n, 10))
}

// WriteArray writes the header of an array of n elements.
func (c *client) WriteArray(n int) {
	if c.mute {
		return
	}
	c.out = redcon.AppendArray(c.out, n)
}

// WriteNull writes a null: a null bulk string in RESP2, _ in RESP3.
func (c *client) WriteNull() {
	if c.mute {
		return
	}
	if c.proto == 3 {
		c.out = append(c.out, "_\r\n"...)
		return
	}
	c.out = append(c.out, "$-1\r\n"...)
}

// WriteNullArray writes a null array: *-1 in RESP2, _ in RESP3.
func (c *client) WriteNullArray() {
	if c.mute {
		return
	}
	if c.proto == 3 {
		c.out = append(c.out, "_\r\n"...)
		return
	}
	c.out = append(c.out, "*-1\r\n"...)
}

// WriteMap writes the header of a map of n pairs: a flat array of 2n
// elements in RESP2.
func (c *client) WriteMap(n int) {
	if c.mute {
		return
	}
	if c.proto == 3 {
		c.out = appendHeader(c.out, '%', n)
		return
	}
	c.out = redcon.AppendArray(c.out, 2*n)
}

// WriteSet writes the header of a set of n elements: an array in RESP2.
func (c *client) WriteSet(n int) {
	if c.mute {
		return
	}
	if c.proto == 3 {
		c.out = appendHeader(c.out, '~', n)
		return
	}
	c.out = redcon.AppendArray(c.out, n)
}

// WritePush writes the header of an out-of-band push of n elements: an array
// in RESP2. Like every writer it writes nothing while c.mute is set; a push
// that must pass CLIENT REPLY OFF, as Redis 7.0 lets pub/sub messages pass
// (CLIENT_PUSHING), is written with mute cleared.
func (c *client) WritePush(n int) {
	if c.mute {
		return
	}
	if c.proto == 3 {
		c.out = appendHeader(c.out, '>', n)
		return
	}
	c.out = redcon.AppendArray(c.out, n)
}

// WriteBool writes a boolean: #t/#f in RESP3, :1/:0 in RESP2.
func (c *client) WriteBool(b bool) {
	if c.mute {
		return
	}
	switch {
	case c.proto == 3 && b:
		c.out = append(c.out, "#t\r\n"...)
	case c.proto == 3:
		c.out = append(c.out, "#f\r\n"...)
	case b:
		c.out = append(c.out, ":1\r\n"...)
	default:
		c.out = append(c.out, ":0\r\n"...)
	}
}

// WriteDouble writes a double as Redis 7.0 does (%.17g, "inf", "-inf"): a
// bulk string in RESP2, a double in RESP3.
func (c *client) WriteDouble(f float64) {
	if c.mute {
		return
	}
	var buf [32]byte
	var b []byte
	switch {
	case math.IsInf(f, 1):
		b = append(buf[:0], "inf"...)
	case math.IsInf(f, -1):
		b = append(buf[:0], "-inf"...)
	default:
		b = strconv.AppendFloat(buf[:0], f, 'g', 17, 64)
	}
	if c.proto == 3 {
		c.out = append(c.out, ',')
		c.out = append(c.out, b...)
		c.out = append(c.out, '\r', '\n')
		return
	}
	c.out = redcon.AppendBulk(c.out, b)
}

// WriteVerbatim writes text as a verbatim string of the given three-letter
// format ("txt"): a bulk string in RESP2.
func (c *client) WriteVerbatim(text, format string) {
	if c.mute {
		return
	}
	if c.proto == 3 {
		c.out = appendHeader(c.out, '=', len(text)+4)
		c.out = append(c.out, format...)
		c.out = append(c.out, ':')
		c.out = append(c.out, text...)
		c.out = append(c.out, '\r', '\n')
		return
	}
	c.room(len(text) + bulkOverhead)
	c.out = redcon.AppendBulkString(c.out, text)
}

// WriteError writes an error reply. msg starts with the error code ("ERR
// syntax error", "WRONGTYPE Operation…"); CR and LF become spaces, as Redis
// does, and the error is counted for INFO errorstats and the command's
// failed_calls.
func (c *client) WriteError(msg string) { c.writeErrorReply(msg) }

func (c *client) writeErrorReply(msg string) {
	c.errors++
	c.s.countError(msg)
	if c.mute {
		return
	}
	c.out = redcon.AppendError(c.out, msg)
}

// countError records an error reply for INFO: the code is the first word,
// looked for in the first 32 bytes, as Redis's afterErrorReply.
func (s *Server) countError(msg string) {
	s.stats.errorReplies.Add(1)
	code := "ERR"
	head := msg[:min(len(msg), 32)]
	if i := strings.IndexByte(head, ' '); i > 0 {
		code = msg[:i]
	}
	s.stats.errMu.Lock()
	if _, ok := s.stats.errorCodes[code]; ok || len(s.stats.errorCodes) < maxErrorCodes {
		s.stats.errorCodes[code]++
	}
	s.stats.errMu.Unlock()
}

// maxErrorCodes bounds the distinct error codes INFO errorstats tracks, as
// Redis's ERROR_STATS_NUMBER.
const maxErrorCodes = 128

func appendHeader(b []byte, kind byte, n int) []byte {
	b = append(b, kind)
	b = strconv.AppendInt(b, int64(n), 10)
	return append(b, '\r', '\n')
}
