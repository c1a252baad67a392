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
// its outbox grow up to outboxLimit, and the append that would pass the
// limit closes the connection instead, as Redis closes a client past its
// output buffer limit. A publisher is never held up by a subscriber.

// defaultOutboxLimit bounds what other goroutines may queue for a client
// that has not taken it yet. client-output-buffer-limit will set it per
// client class.
const defaultOutboxLimit = 256 << 20

type outbox struct {
	// mu guards buf and closed.
	mu     sync.Mutex
	buf    []byte
	closed bool // the connection is gone: appends fail

	limit int // bytes; set before the connection is served

	// pending is set by a post that leaves something for the owner, and
	// by a wake-up; the owner clears it when it drains.
	pending atomic.Bool
	// unblocked is set by unblock: the command parked in block is done.
	unblocked atomic.Bool
	// size is len(buf), for CLIENT LIST and INFO.
	size atomic.Int64
}

// post appends b (a complete reply or push, RESP-encoded) to c's outbox and
// wakes c's goroutine. It reports false, and closes the connection, when
// the outbox would pass its limit; false also when c is closed. Any
// goroutine may call it; c's own should write to c.out instead.
func (c *client) post(b []byte) bool {
	o := &c.ob
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return false
	}
	if len(o.buf)+len(b) > o.limit {
		o.closed = true
		o.buf = nil
		o.size.Store(0)
		o.mu.Unlock()
		c.s.log.logf(levelWarning, "Closing client that reached its output limit: id=%d addr=%s (%d bytes queued by other clients)",
			c.id, c.nc.RemoteAddr(), o.limit)
		c.close()
		return false
	}
	o.buf = append(o.buf, b...)
	o.size.Store(int64(len(o.buf)))
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
	if c.ob.pending.Swap(true) {
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
	if len(o.buf) > 0 {
		switch {
		case len(o.buf) >= replyChunk:
			c.queue(o.buf)
			o.buf = nil
		default:
			c.out = append(c.out, o.buf...)
		}
		if cap(o.buf) > flushThreshold*4 {
			o.buf = nil
		} else {
			o.buf = o.buf[:0]
		}
		o.size.Store(0)
	}
	o.mu.Unlock()
}

// closeOutbox makes further posts fail and drops what is queued.
func (c *client) closeOutbox() {
	o := &c.ob
	o.mu.Lock()
	o.closed = true
	o.buf = nil
	o.size.Store(0)
	o.mu.Unlock()
}
