package server

import (
	"sync"
	"sync/atomic"
	"time"
)

// The outbox: how goroutines other than a connection's own reach its
// client. A PUBLISH, a keyspace notification, a tracking invalidation, a
// MONITOR line, or the reply to a blocked command served by the client that
// made its key ready is appended to the receiving connection's outbox, and
// the connection's goroutine is woken, whether it is waiting for input in
// serve or parked in block. The owner moves what is there into its own reply
// buffer (client.out, which stays lock-free on the hot path) and writes it.
//
// Appending never waits for the client: a client that does not read has
// its outbox grow up to its class's client-output-buffer-limit
// (outlimit.go), and the append that reaches the limit closes the
// connection instead, as Redis closes a client past its output buffer
// limit. A publisher is never held up by a subscriber: what piles up is
// kept in chunks of outboxChunk bytes, so that a post copies its own bytes
// and never the megabytes queued before it, as one growing buffer would
// each time it doubled.

// outboxChunk is the size of the outbox's chunks.
const outboxChunk = replyChunk

type outbox struct {
	// mu guards buf, full, fullLen and closed.
	mu sync.Mutex
	// full are chunks filled before buf, fullLen their bytes; buf is the
	// chunk being filled.
	full    [][]byte
	fullLen int
	buf     []byte
	closed  bool // the connection is gone: appends fail

	// pending is set by a post that leaves something for the owner, and
	// by a wake-up; the owner clears it when it drains.
	pending atomic.Bool
	// unblocked is set by unblock: the command parked in block is done.
	unblocked atomic.Bool
	// size is fullLen+len(buf), for CLIENT LIST, INFO and the limit.
	size atomic.Int64
}

// post appends b (a complete reply or push, RESP-encoded) to c's outbox and
// wakes c's goroutine. It reports false, and closes the connection, when
// the append would put c past its output limit (outboxOverLimit); false
// also when c is closed. Any goroutine may call it; c's own should write
// to c.out instead.
func (c *client) post(b []byte) bool {
	o := &c.ob
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return false
	}
	n := o.fullLen + len(o.buf) + len(b)
	if c.outboxOverLimit(n) {
		// What is queued stays for the log line of c's goroutine, which
		// drops it as it ends (cleanup), promptly: its socket is closed.
		o.closed = true
		o.mu.Unlock()
		c.closeForOutputLimit(true, nil)
		return false
	}
	if len(o.buf) > 0 && len(o.buf)+len(b) > cap(o.buf) && len(o.buf)+len(b) > outboxChunk {
		o.full = append(o.full, o.buf)
		o.fullLen += len(o.buf)
		o.buf = make([]byte, 0, max(outboxChunk, len(b)))
	}
	o.buf = append(o.buf, b...)
	o.size.Store(int64(n))
	o.mu.Unlock()
	c.wake()
	return true
}

// unblock ends the command c is parked in (client.block) once c's goroutine
// runs again: what the command replies was posted before. Any goroutine may
// call it.
func (c *client) unblock() {
	c.ob.unblocked.Store(true)
	c.wake()
}

// wake makes c's goroutine look at its outbox: if it is reading, the read
// returns at once (a deadline in the past), and block does the same. A
// wake-up already pending is not repeated.
//
// The owner clears the deadline before it drains (wakeHandled), and a
// waker marks pending before it sets the deadline, so no wake-up is lost:
// either the owner's drain sees pending, or the deadline is set after the
// owner cleared it and its next read returns.
func (c *client) wake() {
	if c.ob.pending.Load() || c.ob.pending.Swap(true) {
		return
	}
	c.nc.SetReadDeadline(aLongTimeAgo)
}

// aLongTimeAgo is a deadline that has always passed.
var aLongTimeAgo = time.Unix(1, 0)

// drainOutbox moves what other goroutines posted to the end of the output.
// It is delivered even while replies are dropped (c.mute): pushes pass
// CLIENT REPLY OFF in Redis 7.0 (CLIENT_PUSHING), and a poster of a reply
// that must not pass builds nothing instead (see serveWaiter). A big
// outbox is queued as it is (output.go), not copied. The owner calls it,
// having cleared any wake-up deadline first.
func (c *client) drainOutbox() {
	if !c.ob.pending.Swap(false) {
		return
	}
	o := &c.ob
	o.mu.Lock()
	if len(o.full) > 0 || len(o.buf) > 0 {
		o.size.Store(0)
		if len(o.full) > 0 || len(o.buf) >= replyChunk {
			// Posters count what the owner writes with what they queue:
			// publish it before they see an empty outbox.
			c.outMem.Store(int64(c.segsLen+o.fullLen+len(o.buf)) + segOverhead*int64(len(c.segs)+len(o.full)+1))
		}
		for i, b := range o.full {
			c.queue(b)
			o.full[i] = nil
		}
		o.full, o.fullLen = o.full[:0], 0
		if len(o.buf) >= replyChunk {
			c.queue(o.buf)
			o.buf = nil
		} else {
			c.out = append(c.out, o.buf...)
		}
		if cap(o.buf) > flushThreshold*4 {
			o.buf = nil
		} else {
			o.buf = o.buf[:0]
		}
	}
	o.mu.Unlock()
}

// closeOutbox makes further posts fail and drops what is queued.
func (c *client) closeOutbox() {
	o := &c.ob
	o.mu.Lock()
	o.closed = true
	o.buf, o.full, o.fullLen = nil, nil, 0
	o.size.Store(0)
	o.mu.Unlock()
}
