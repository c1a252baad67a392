package server

import (
	"fmt"

	"github.com/redoubt-db/redoubt/internal/num"
)

// Argument parsing helpers shared by handlers. Each one that can fail writes
// Redis's error reply itself and returns false, so handlers read as
// "parse or return".

// argInt parses an integer argument as Redis's getLongLongFromObjectOrReply.
func (c *client) argInt(b []byte) (int64, bool) {
	n, ok := num.ParseInt(b)
	if !ok {
		c.writeErrorReply(msgNotInteger)
	}
	return n, ok
}

// argRange parses an integer in [lo, hi] as getRangeLongFromObjectOrReply:
// msg, when not empty, replaces the default text both for an argument that
// is not an integer and for one out of range.
func (c *client) argRange(b []byte, lo, hi int64, msg string) (int64, bool) {
	n, ok := num.ParseInt(b)
	if ok && lo <= n && n <= hi {
		return n, true
	}
	if msg == "" {
		if ok {
			msg = fmt.Sprintf("ERR value is out of range, value must between %d and %d", lo, hi)
		} else {
			msg = msgNotInteger
		}
	}
	c.writeErrorReply(msg)
	return 0, false
}

// argInt32 parses an int argument as getIntFromObjectOrReply.
func (c *client) argInt32(b []byte) (int, bool) {
	n, ok := c.argRange(b, -1<<31, 1<<31-1, "")
	return int(n), ok
}

// writeWrongArgs replies with the arity error for cmd, as Redis's
// addReplyErrorArity.
func (c *client) writeWrongArgs(cmd *command) {
	c.writeErrorReply(fmt.Sprintf(msgWrongArgs, cmd.fullName))
}

// invalidExpireMsg is the error text for an expire time out of range in
// the running command, as Redis's addReplyErrorExpireTime.
func (c *client) invalidExpireMsg() string {
	return fmt.Sprintf(msgInvalidExpire, c.lastCmd.Load().fullName)
}

// writeInvalidExpire replies with invalidExpireMsg.
func (c *client) writeInvalidExpire() { c.writeErrorReply(c.invalidExpireMsg()) }

// isOpt reports whether arg equals the lowercase option name, ignoring case
// and, as C's strcasecmp does, anything from a NUL byte on. name holds no
// NUL, so only a NUL just after its length can make a longer arg equal;
// a NUL within the first len(name) bytes makes the comparison fail, as a
// shorter C string would.
func isOpt(arg []byte, name string) bool {
	return equalLower(cArg(arg, len(name)), name)
}

// cArg returns arg as C's string functions see it when they compare it
// with a string of n bytes that holds no NUL: cut to n bytes when a NUL
// follows them, else whole (a longer arg then cannot be equal).
func cArg(arg []byte, n int) []byte {
	if len(arg) > n && arg[n] == 0 {
		return arg[:n]
	}
	return arg
}

// equalLower reports whether b equals the lowercase ASCII name, ignoring
// the case of b. Only ASCII letters fold, as in Redis.
func equalLower(b []byte, name string) bool {
	if len(b) != len(name) {
		return false
	}
	for i := 0; i < len(b); i++ {
		if lowerASCII(b[i]) != name[i] {
			return false
		}
	}
	return true
}

// lowerASCII lower-cases an ASCII letter and leaves any other byte alone.
func lowerASCII(ch byte) byte {
	if 'A' <= ch && ch <= 'Z' {
		ch += 'a' - 'A'
	}
	return ch
}
