package server

import "sync/atomic"

// randReplyLimit bounds the output one HRANDFIELD, SRANDMEMBER or
// ZRANDMEMBER with a negative count may build, in bytes. Redis serves any
// count a long can hold, so "HRANDFIELD h -9223372036854775807" makes it
// build an endless reply until memory runs out, unless a
// client-output-buffer-limit closes the client first. Redoubt stops at
// this bound instead and closes the connection once what was built is
// sent, as Redis does a client past its hard limit: a reply cut short
// cannot be followed by another. The reply is built under the store's
// lock, so the bound is also how long other clients may wait. Tests
// lower it.
var randReplyLimit atomic.Int64

func init() { randReplyLimit.Store(128 << 20) }

// replyCut reports whether a reply that may grow without bound, after n
// elements, has passed randReplyLimit, and if so marks the connection to be
// closed after it. Elements are counted as well as bytes, so that a client
// whose replies are dropped (CLIENT REPLY OFF) is bounded too.
func (c *client) replyCut(n int64) bool {
	limit := randReplyLimit.Load()
	if int64(c.pendingOutput()) <= limit && n <= limit/4 {
		return false
	}
	c.closeAfterReply = true
	return true
}
