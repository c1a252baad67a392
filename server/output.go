package server

import (
	"errors"
	"os"
	"slices"
	"time"
)

// The output buffer. Replies not yet written are, in order, the segments of
// c.segs and then c.out[c.outHead:]:
//
//   - c.out is the buffer the reply writers (reply.go) append to. Most
//     batches never leave it, and it is written with one Write.
//   - c.segs (net.Buffers) holds what was queued ahead of it: a value of
//     store.ShareMin bytes or more, which the store shares (its bytes stay
//     as they are until nothing references them) and which is written from
//     where it lies, not copied (writeValue); the part of c.out before
//     such a value (a slice of c.out's array: later appends go past it);
//     and, for a reply bigger than replyChunk, the full chunks it was built
//     in (grow), so that a big reply never sits in one buffer that doubles
//     as it grows, which holds up to three times the reply while copying.
//     Everything is written with writev, as Redis writes its reply list.
//
// While replies are dropped (CLIENT REPLY OFF or SKIP, c.mute), the writers
// return before building anything.
//
// Other goroutines see the output through atomics (CLIENT LIST's obl, oll,
// omem and rbs, INFO's client_recent_max_output_buffer), which the owner
// publishes when it starts writing a big output and as the write of a
// client that reads slowly progresses (publishOutput). A small output is
// written at once, into the socket's buffer, and is not published: it would
// be gone before anyone could look.

const (
	// replyChunk is the size from which the part of c.out not yet queued is
	// queued as a chunk of its own when c.out must grow. It is above
	// flushThreshold, so that a pipeline, which writes once its replies
	// pass the threshold, keeps reusing one buffer.
	replyChunk = 2 * flushThreshold
	// writeStep is how much a write of queued segments asks for at a time;
	// between steps, what is left is published for CLIENT LIST.
	writeStep = 1 << 20
	// segOverhead is what CLIENT LIST's omem counts per segment, for its
	// slice header, as Redis counts a list node per reply block.
	segOverhead = 24
	// maxKeptSegs bounds the segment lists kept for reuse after a write.
	maxKeptSegs = 1024
)

// room makes room in c.out for n more bytes without reallocating. It is
// for writers whose size is not small and fixed.
func (c *client) room(n int) {
	if cap(c.out)-len(c.out) < n {
		c.grow(n)
	}
}

// grow makes room in c.out for n more bytes. When what c.out holds that is
// not yet queued has reached replyChunk, it is queued whole and a new
// buffer started; otherwise c.out doubles, leaving behind what is already
// queued (its segments keep the old array alive and unchanged).
func (c *client) grow(n int) {
	pending := c.out[c.outHead:]
	if len(pending) >= replyChunk {
		c.queueOut()
		c.chunked += cap(c.out)
		c.out = make([]byte, 0, max(replyChunk, n))
		c.outHead = 0
		c.checkOutputLimit()
		return
	}
	nb := make([]byte, len(pending), max(2*cap(c.out), len(pending)+n, 512))
	copy(nb, pending)
	c.out, c.outHead = nb, 0
}

// queueOut moves the part of c.out not yet queued to the end of c.segs.
func (c *client) queueOut() {
	if len(c.out) > c.outHead {
		c.segs = append(c.segs, c.out[c.outHead:len(c.out):len(c.out)])
		c.segsLen += len(c.out) - c.outHead
		c.outHead = len(c.out)
	}
	c.spills++
}

// queue appends b to the output after what is there, by reference: b must
// not change until it is written.
func (c *client) queue(b []byte) {
	c.queueOut()
	c.segs = append(c.segs, b)
	c.segsLen += len(b)
	c.checkOutputLimit()
}

// pendingOutput returns the bytes of output not yet written.
func (c *client) pendingOutput() int { return c.segsLen + len(c.out) - c.outHead }

// A deferredLen is the place of an aggregate's header whose length is not
// known yet (deferLen), as Redis's addReplyDeferredLen.
type deferredLen struct {
	seg    int // len(c.segs) when deferred; -1 when replies are dropped
	off    int // the header's offset in c.out from c.outHead
	spills int // c.spills when deferred
}

// deferLen marks where the header of an aggregate of a length not known yet
// goes; setDeferredLen writes it there. Nothing may be written to the
// client in between.
func (c *client) deferLen() deferredLen {
	if c.mute {
		return deferredLen{seg: -1}
	}
	return deferredLen{seg: len(c.segs), off: len(c.out) - c.outHead, spills: c.spills}
}

// setDeferredLen writes the header of kind ('*', '%', '~') for n elements
// at the place d marks.
func (c *client) setDeferredLen(d deferredLen, kind byte, n int) {
	if d.seg < 0 {
		return
	}
	if c.spills == d.spills {
		// The aggregate is all in c.out: insert the header before it.
		var buf [24]byte
		c.out = slices.Insert(c.out, c.outHead+d.off, appendHeader(buf[:0], kind, n)...)
		return
	}
	// The part of c.out holding the aggregate's start was queued as
	// segment d.seg: split it there.
	hdr := appendHeader(nil, kind, n)
	s := c.segs[d.seg]
	c.segs = slices.Insert(c.segs, d.seg+1, hdr, s[d.off:])
	c.segs[d.seg] = s[:d.off]
	c.segsLen += len(hdr)
}

// flush writes the pending output. It reports whether the write succeeded.
func (c *client) flush() bool {
	var err error
	if len(c.segs) == 0 {
		out := c.out[c.outHead:]
		big := len(out) >= flushThreshold
		if big {
			c.publishOutput(int64(len(out)), 0, 0)
		}
		err = c.write(out)
		if err != nil {
			c.logPendingOutputLimit()
		}
		if big {
			c.publishOutput(0, 0, 0)
		}
	} else {
		c.queueOut()
		err = c.writeSegs()
		if err != nil {
			c.logPendingOutputLimit()
		}
		c.publishOutput(0, 0, 0)
		clear(c.segs)
		clear(c.iov[:cap(c.iov)])
		if cap(c.segs) > maxKeptSegs {
			c.segs, c.iov = nil, nil
		}
		c.segs, c.iov = c.segs[:0], c.iov[:0]
		c.segsLen = 0
		c.s.noteFreed(c.chunked)
		c.chunked = 0
	}
	c.outHead = 0
	if cap(c.out) > flushThreshold*4 {
		c.out = nil
	} else {
		c.out = c.out[:0]
	}
	if n := int64(cap(c.out)); n != c.outCap.Load() {
		c.outCap.Store(n)
	}
	return err == nil
}

// write writes b with one Write, or more while the server shuts down: a
// write then stops at a deadline shutdownWriteGrace away (see Shutdown),
// and a client that took enough bytes in that time is still reading and
// gets another grace.
func (c *client) write(b []byte) error {
	n, err := c.nc.Write(b)
	c.s.stats.netOutput.Add(int64(n))
	for err != nil && c.graceful(err, int64(n), int64(len(b))) {
		b = b[n:]
		n, err = c.nc.Write(b)
		c.s.stats.netOutput.Add(int64(n))
	}
	return err
}

// shutdownMinProgress is how much of a write a client must take in one
// shutdown grace to get another (or all of it, if less is left): a client
// that reads takes megabytes in that time, while one that does not still
// has its kernel buffers fill, less and less, as they grow (hundreds of
// kilobytes per grace on loopback): a megabyte per grace tells them apart.
const shutdownMinProgress = 1 << 20

// graceful reports whether a write of want bytes that failed with err,
// having written wrote of them, may go on: the server is shutting down, the
// deadline passed, and the client took enough to be reading. It sets the
// next deadline.
func (c *client) graceful(err error, wrote, want int64) bool {
	if !c.shutdown.Load() || !errors.Is(err, os.ErrDeadlineExceeded) ||
		wrote < min(shutdownMinProgress, want) {
		return false
	}
	c.nc.SetWriteDeadline(time.Now().Add(shutdownWriteGrace))
	return true
}

// writeSegs writes c.segs with writev, at most writeStep bytes at a time,
// publishing what is left before each step, so that CLIENT LIST shows the
// output of a client that reads slowly, or not at all, going down. As
// Redis counts a reply block whole until all of it is written, a segment
// partly written counts whole (headDone is what was written of it).
func (c *client) writeSegs() error {
	segs := c.segs
	left := int64(c.segsLen)
	headDone := int64(0)
	for len(segs) > 0 {
		c.publishOutput(0, int64(len(segs)), left+headDone+segOverhead*int64(len(segs)))
		iov, n := c.iov[:0], 0
		for len(segs) > 0 && n < writeStep {
			s := segs[0]
			if r := writeStep - n; len(s) > r {
				iov = append(iov, s[:r])
				segs[0] = s[r:]
				n = writeStep
				headDone += int64(r)
				break
			}
			iov = append(iov, s)
			n += len(s)
			segs = segs[1:]
			headDone = 0
		}
		c.iov = iov
		for len(iov) > 0 {
			// WriteTo consumes iov as it writes.
			want := int64(0)
			for _, b := range iov {
				want += int64(len(b))
			}
			w, err := iov.WriteTo(c.nc)
			c.s.stats.netOutput.Add(w)
			if err != nil && !c.graceful(err, w, want) {
				return err
			}
		}
		left -= int64(n)
	}
	return nil
}

// publishOutput makes the output's figures visible to other goroutines:
// CLIENT LIST's obl (bytes in c.out), oll (segments) and omem (their
// bytes).
func (c *client) publishOutput(buf, list, mem int64) {
	c.outBuf.Store(buf)
	c.outList.Store(list)
	c.outMem.Store(mem)
}

// outputFigures returns CLIENT LIST's obl, oll and omem for c, counting
// the outbox as one more segment. Only c's goroutine may call it for exact
// figures; otherwise see publishedOutput.
func (c *client) outputFigures() (obl, oll, omem int64) {
	obl = int64(len(c.out) - c.outHead)
	oll = int64(len(c.segs))
	omem = int64(c.segsLen) + segOverhead*oll
	if ob := c.ob.size.Load(); ob > 0 {
		oll++
		omem += ob + segOverhead
	}
	return obl, oll, omem
}

// publishedOutput is outputFigures from another goroutine: what c last
// published, and its outbox now.
func (c *client) publishedOutput() (obl, oll, omem int64) {
	obl, oll, omem = c.outBuf.Load(), c.outList.Load(), c.outMem.Load()
	if ob := c.ob.size.Load(); ob > 0 {
		oll++
		omem += ob + segOverhead
	}
	return obl, oll, omem
}
