package server

import (
	"fmt"

	"github.com/redoubt-db/redoubt/internal/num"
)

// Argument parsing helpers shared by handlers. Each one that can fail writes
// Redis's error reply itself and returns false, so handlers read as
// "parse or return".

// argInt parses an integer argument as Redis's getLongLongFromObjectOrReply.
func (c *Conn) argInt(b []byte) (int64, bool) {
	n, ok := num.ParseInt(b)
	if !ok {
		c.writeErrorReply(msgNotInteger)
	}
	return n, ok
}

// argRange parses an integer in [lo, hi] as getRangeLongFromObjectOrReply;
// msg replaces the default out-of-range text when not empty.
func (c *Conn) argRange(b []byte, lo, hi int64, msg string) (int64, bool) {
	n, ok := c.argInt(b)
	if !ok {
		return 0, false
	}
	if n < lo || n > hi {
		if msg == "" {
			msg = fmt.Sprintf("ERR value is out of range, value must between %d and %d", lo, hi)
		}
		c.writeErrorReply(msg)
		return 0, false
	}
	return n, true
}

// argInt32 parses an int argument as getIntFromObjectOrReply.
func (c *Conn) argInt32(b []byte) (int, bool) {
	n, ok := c.argRange(b, -1<<31, 1<<31-1, "")
	return int(n), ok
}

// isOpt reports whether arg equals the lowercase option name, ignoring case
// and, as C's strcasecmp does, anything from a NUL byte on.
func isOpt(arg []byte, name string) bool {
	for i, ch := range arg {
		if ch == 0 {
			arg = arg[:i]
			break
		}
	}
	if len(arg) != len(name) {
		return false
	}
	for i := 0; i < len(arg); i++ {
		ch := arg[i]
		if ch >= 'A' && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		if ch != name[i] {
			return false
		}
	}
	return true
}
