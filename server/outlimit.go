package server

import (
	"strconv"
	"strings"
	"sync/atomic"
)

// client-output-buffer-limit: how much output a client may leave unread
// before the server closes it, per client class (normal, replica, pubsub),
// as Redis 7.0's checkClientOutputBufferLimits.
//
// What is counted is CLIENT LIST's omem: the segments queued ahead of the
// reply buffer (output.go: chunks of big replies, big values written by
// reference, a big outbox taken whole) and what other goroutines posted to
// the outbox and the client has not taken yet, plus segOverhead for each,
// as Redis counts its reply list and not its 16 KB static buffer. A client
// whose omem reaches the class's hard limit is closed; so is one whose omem
// stays at or above the soft limit for more than the soft seconds. A limit
// of 0 is no limit.
//
// The check runs where output accumulates, never on the path of small
// replies:
//
//   - the client's own goroutine, when its output queues a segment (grow,
//     queue): a value of 16 KB or more, a reply past 128 KB. Small replies
//     go to c.out, which a batch writes once it passes 64 KB, so they
//     never reach a limit on their own;
//   - any goroutine that posts to the client's outbox (PUBLISH, keyspace
//     notifications, invalidations, MONITOR): it adds what the owner
//     publishes of the output it is writing (outMem) to the outbox;
//   - the cron, once a second, for every client with output: a client
//     whose goroutine is stuck in a write to a socket nobody reads is
//     closed when it has been over the soft limit for too long, and the
//     soft limit's clock restarts for a client that went back under it
//     (but not for one with no output at all, as in Redis: such a client
//     that reaches the soft limit again after its seconds is closed).
//
// Redoubt writes a client's replies before it reads the client's next
// commands, so a client that pipelines commands without reading their
// replies is held back (its output stays near 64 KB plus one reply) where
// Redis would buffer every reply and close it at the limit. The limit
// closes it when one reply alone passes the hard limit, when a reply it
// cannot take keeps it over the soft limit, and when others' messages pile
// up for it.

// OutputBufferLimit is the client-output-buffer-limit of one class of
// clients, in bytes of output not yet written: a client whose output
// reaches Hard is closed, and so is one whose output stays at Soft or more
// for more than SoftSeconds. Zero turns a limit off.
type OutputBufferLimit struct {
	Hard, Soft  uint64
	SoftSeconds int
}

// OutputBufferLimits are the limits of each class of client: a client is
// in PubSub while it is subscribed to a channel, a pattern or a shard
// channel, in Replica while it is a replica (there are none yet), and in
// Normal otherwise.
type OutputBufferLimits struct {
	Normal, Replica, PubSub OutputBufferLimit
}

// DefaultOutputBufferLimits returns Redis's defaults: no limit for normal
// clients, 256 MB hard and 64 MB for 60 seconds for replicas, 32 MB hard
// and 8 MB for 60 seconds for subscribers.
func DefaultOutputBufferLimits() OutputBufferLimits {
	return OutputBufferLimits{
		Replica: OutputBufferLimit{Hard: 256 << 20, Soft: 64 << 20, SoftSeconds: 60},
		PubSub:  OutputBufferLimit{Hard: 32 << 20, Soft: 8 << 20, SoftSeconds: 60},
	}
}

// Client classes of client-output-buffer-limit, in obufClasses' order.
const (
	obufNormal = iota
	obufReplica
	obufPubsub
)

// outboxBackstop bounds the outbox of a client whose class has no hard
// limit (normal clients by default): Redis lets such a client's output grow
// until memory runs out; Redoubt closes it, as at a hard limit, once other
// clients have queued this much for it.
const outboxBackstop = 256 << 20

// classes returns the limits as an array indexed by class.
func (l *OutputBufferLimits) classes() *[3]OutputBufferLimit {
	return &[3]OutputBufferLimit{l.Normal, l.Replica, l.PubSub}
}

// format returns the limits in CONFIG GET's form.
func (l OutputBufferLimits) format() string {
	out := make([]string, 0, 4*len(obufClasses))
	for i, cl := range l.classes() {
		out = append(out, obufClasses[i], strconv.FormatUint(cl.Hard, 10),
			strconv.FormatUint(cl.Soft, 10), strconv.Itoa(cl.SoftSeconds))
	}
	return strings.Join(out, " ")
}

// parseOutputBufferLimits reads back what format (and parseObufLimit)
// produce.
func parseOutputBufferLimits(v string) OutputBufferLimits {
	f := strings.Fields(v)
	var cls [3]OutputBufferLimit
	for i := range cls {
		if 4*i+3 >= len(f) {
			break
		}
		cls[i].Hard, _ = strconv.ParseUint(f[4*i+1], 10, 64)
		cls[i].Soft, _ = strconv.ParseUint(f[4*i+2], 10, 64)
		cls[i].SoftSeconds, _ = strconv.Atoi(f[4*i+3])
	}
	return OutputBufferLimits{Normal: cls[0], Replica: cls[1], PubSub: cls[2]}
}

// outputLimits returns the limits cfg asks for.
func (cfg *Config) outputLimits() OutputBufferLimits {
	if cfg.ClientOutputBufferLimits != nil {
		return *cfg.ClientOutputBufferLimits
	}
	return DefaultOutputBufferLimits()
}

// obufLimit is a class's limits as the connections read them.
type obufLimit struct {
	hard, soft atomic.Uint64
	secs       atomic.Int64
}

// applyOutputLimits makes cfg's limits the ones connections check.
func (s *Server) applyOutputLimits(cfg *Config) {
	l := cfg.outputLimits()
	for i, cl := range l.classes() {
		s.obuf[i].hard.Store(cl.Hard)
		s.obuf[i].soft.Store(cl.Soft)
		s.obuf[i].secs.Store(int64(cl.SoftSeconds))
	}
}

// obufClass returns c's class, as Redis's getClientType: a client with a
// subscription is a pubsub client (there are no replicas yet).
func (c *client) obufClass() int {
	if c.subs.Load() > 0 {
		return obufPubsub
	}
	return obufNormal
}

// overOutputLimit reports whether used bytes of output put c past a limit
// of its class: the hard one, or the soft one for longer than its seconds.
// The first time c is seen at or over the soft limit starts its clock, and
// going back under it stops it. Any goroutine may call it.
func (c *client) overOutputLimit(l *obufLimit, used uint64) bool {
	if hard := l.hard.Load(); hard != 0 && used >= hard {
		return true
	}
	soft := l.soft.Load()
	if soft == 0 || used < soft {
		if c.softSince.Load() != 0 {
			c.softSince.Store(0)
		}
		return false
	}
	now := c.s.unixTime.Load()
	since := c.softSince.Load()
	if since == 0 {
		c.softSince.CompareAndSwap(0, now)
		return false
	}
	return now-since > l.secs.Load()
}

// checkOutputLimit is called by c's own goroutine when its output queued a
// segment: past a limit, c is closed and the rest of the batch is dropped.
// With no limit for c's class (normal clients by default) it costs two
// atomic loads.
func (c *client) checkOutputLimit() {
	l := &c.s.obuf[c.obufClass()]
	if l.hard.Load() == 0 && l.soft.Load() == 0 {
		return
	}
	_, _, omem := c.outputFigures()
	if !c.overOutputLimit(l, uint64(omem)) {
		return
	}
	if !c.closeForOutputLimit(true, c.appendClientInfo(nil, c, c.s.unixTime.Load())) {
		return
	}
	// Nothing more is built for a client about to go, and no more of its
	// commands run, as Redis does for a client it will close.
	c.mute = true
	c.closeAfterReply = true
}

// outboxOverLimit reports whether c, having n bytes in its outbox, is past
// a limit of its class, counting also the output its goroutine is writing.
// post calls it for every message, holding c.ob.mu.
func (c *client) outboxOverLimit(n int) bool {
	l := &c.s.obuf[c.obufClass()]
	hard, soft := l.hard.Load(), l.soft.Load()
	if hard == 0 && n > outboxBackstop {
		return true
	}
	if hard == 0 && soft == 0 {
		return false
	}
	used := uint64(c.outMem.Load()) + uint64(n) + segOverhead
	return c.overOutputLimit(l, used)
}

// closeForOutputLimit closes c for its output limit, counts it in INFO
// (client_output_buffer_limit_disconnections) and logs it with c's CLIENT
// LIST line, as Redis does: info is that line, or nil when the caller may
// hold locks that building it must not wait for (a post, made by a
// publisher that may hold the store's lock or the subscriptions'), and
// then c's goroutine logs it as it stops (logOutputLimit). async says
// whether Redis would close c later (from a write to its output) or at once
// (from its cron), which the line tells. Any goroutine may call it; it
// reports false if c was closed already.
func (c *client) closeForOutputLimit(async bool, info []byte) bool {
	if !c.closed.CompareAndSwap(false, true) {
		return false
	}
	if info == nil {
		c.obufLogPending.Store(true)
	} else {
		c.s.logOutputLimit(info, async)
	}
	c.nc.Close()
	c.s.stats.clientOutputLimit.Add(1)
	return true
}

// logOutputLimit logs that the client of CLIENT LIST line info was closed
// for its output limit, in Redis's words.
func (s *Server) logOutputLimit(info []byte, async bool) {
	if async {
		s.log.logf(levelWarning, "Client %s scheduled to be closed ASAP for overcoming of output buffer limits.", info)
	} else {
		s.log.logf(levelWarning, "Client %s closed for overcoming of output buffer limits.", info)
	}
}

// logPendingOutputLimit is called by c's goroutine when its connection
// fails, before it drops its output: if a post closed c for its output
// limit, it logs it, with what c had left to write.
func (c *client) logPendingOutputLimit() {
	if c.obufLogPending.Load() && c.obufLogPending.Swap(false) {
		c.s.logOutputLimit(c.appendClientInfo(nil, c, c.s.unixTime.Load()), true)
	}
}

// clientInfoOf returns the CLIENT LIST line of c as another goroutine sees
// it, from what c publishes.
func (s *Server) clientInfoOf(c *client) []byte {
	viewer := &client{s: s}
	return viewer.appendClientInfo(nil, c, s.unixTime.Load())
}

// checkOutputLimits is the cron's check of every client with output, once
// a second: it closes the clients over a limit, from the output they
// published and their outbox, and restarts the soft limit's clock of those
// under it.
func (s *Server) checkOutputLimits() {
	any := false
	for i := range s.obuf {
		if s.obuf[i].hard.Load() != 0 || s.obuf[i].soft.Load() != 0 {
			any = true
		}
	}
	if !any {
		return
	}
	var over []*client
	s.connsMu.Lock()
	for _, c := range s.conns {
		if c.closed.Load() {
			continue
		}
		// A client with no output is not looked at, as Redis's
		// closeClientOnOutputBufferLimitReached: its soft limit's clock,
		// if started, goes on.
		_, _, omem := c.publishedOutput()
		if omem == 0 {
			continue
		}
		l := &s.obuf[c.obufClass()]
		if (l.hard.Load() != 0 || l.soft.Load() != 0) && c.overOutputLimit(l, uint64(omem)) {
			over = append(over, c)
		}
	}
	s.connsMu.Unlock()
	for _, c := range over {
		c.closeForOutputLimit(false, s.clientInfoOf(c))
	}
}
