package server

import (
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/tidwall/redcon"

	"github.com/redoubt-db/redoubt/internal/glob"
)

// Pub/sub: the registry of subscriptions and the delivery of messages.
//
// The registry (Server.ps) has its own lock, never the store's: PUBLISH
// runs outside any store transaction, and a publish from inside one (a
// keyspace notification at commit) takes the registry's lock after the
// store's, never the other way round. A publish holds the registry's read
// lock while it delivers, so publishers run side by side, and a SUBSCRIBE
// waits only for the publishes in flight.
//
// A message is encoded once per protocol that its receivers speak (RESP2
// array, RESP3 push), not once per receiver, and appended to each
// receiver's output: the publisher's own, directly, when it is a receiver
// (Redis sends it before the command's reply), and any other's through its
// outbox (client.postPush), which never waits: a subscriber that does not
// read is closed at its outbox's limit, and publishers go on.
//
// Each subscription is one node, reachable from the registry (the topic's
// list of subscribers, for delivery) and from its client (a list in
// subscription order, for UNSUBSCRIBE with no arguments and for clean-up).
// Only the client's own goroutine adds or removes its subscriptions, under
// the registry's write lock; it reads its own without the lock.

// subKind says which namespace a subscription is in.
type subKind uint8

const (
	subChannel subKind = iota // SUBSCRIBE
	subPattern                // PSUBSCRIBE
	subShard                  // SSUBSCRIBE
	numSubKinds
)

// pubsubRegistry is every subscription of a server.
type pubsubRegistry struct {
	// mu guards topics, patterns, every topic's subs and every
	// subscription's pos, and the clients' subscription maps (writes;
	// their owners read them without it).
	mu     sync.RWMutex
	topics [numSubKinds]map[string]*topic
	// patterns are the topics of topics[subPattern] in a slice, which a
	// publish walks to match the channel against each.
	patterns []*topic
	// scratch holds encoding buffers for publishes whose caller has no
	// client (the expiry cycle, embedders).
	scratch sync.Pool
}

// topic is a channel, pattern or shard channel with at least one
// subscriber.
type topic struct {
	name string
	pat  []byte // name's bytes, for matching (patterns only)
	kind subKind
	subs []*subscription // in no particular order (removal swaps)
	pos  int             // index in pubsubRegistry.patterns (patterns only)
}

// subscription is one client's subscription to one topic.
type subscription struct {
	c   *client
	t   *topic
	pos int // index in t.subs
	// prev and next link the client's subscriptions of the same kind in
	// the order they were made.
	prev, next *subscription
}

// clientSubs is a client's side of its subscriptions (client.ps).
type clientSubs struct {
	// byName finds a subscription by topic name, per kind; nil until the
	// first subscription of the kind. The owner writes it under the
	// registry's write lock.
	byName      [numSubKinds]map[string]*subscription
	first, last [numSubKinds]*subscription
	// count is len(byName[k]), for CLIENT LIST from other goroutines.
	count [numSubKinds]atomic.Int32
	// scratch is the client's buffer for encoding the messages it
	// publishes.
	scratch []byte
}

func (r *pubsubRegistry) init() {
	for k := range r.topics {
		r.topics[k] = map[string]*topic{}
	}
}

// subscribe adds c's subscription to name in kind's namespace, if it has
// none, and reports whether it added one. Only c's goroutine calls it.
func (r *pubsubRegistry) subscribe(c *client, kind subKind, name []byte) bool {
	cs := &c.ps
	if _, ok := cs.byName[kind][string(name)]; ok {
		return false
	}
	r.mu.Lock()
	t := r.topics[kind][string(name)]
	if t == nil {
		t = &topic{name: string(name), kind: kind}
		r.topics[kind][t.name] = t
		if kind == subPattern {
			t.pat = []byte(t.name)
			t.pos = len(r.patterns)
			r.patterns = append(r.patterns, t)
		}
	}
	sub := &subscription{c: c, t: t, pos: len(t.subs)}
	t.subs = append(t.subs, sub)
	if cs.byName[kind] == nil {
		cs.byName[kind] = map[string]*subscription{}
	}
	cs.byName[kind][t.name] = sub
	r.mu.Unlock()
	if cs.last[kind] == nil {
		cs.first[kind] = sub
	} else {
		cs.last[kind].next = sub
		sub.prev = cs.last[kind]
	}
	cs.last[kind] = sub
	cs.count[kind].Add(1)
	c.subs.Add(1)
	return true
}

// unsubscribe removes c's subscription to name in kind's namespace and
// reports whether there was one. Only c's goroutine calls it.
func (r *pubsubRegistry) unsubscribe(c *client, kind subKind, name []byte) bool {
	sub := c.ps.byName[kind][string(name)]
	if sub == nil {
		return false
	}
	r.remove(sub)
	return true
}

// remove ends the subscription sub of its client, which calls it.
func (r *pubsubRegistry) remove(sub *subscription) {
	c, t := sub.c, sub.t
	cs := &c.ps
	r.mu.Lock()
	last := len(t.subs) - 1
	t.subs[sub.pos] = t.subs[last]
	t.subs[sub.pos].pos = sub.pos
	t.subs[last] = nil
	t.subs = t.subs[:last]
	if last == 0 {
		// No subscriber left: drop the topic, so that the registry holds
		// only what is subscribed to.
		delete(r.topics[t.kind], t.name)
		if t.kind == subPattern {
			end := len(r.patterns) - 1
			r.patterns[t.pos] = r.patterns[end]
			r.patterns[t.pos].pos = t.pos
			r.patterns[end] = nil
			r.patterns = r.patterns[:end]
		}
	}
	delete(cs.byName[t.kind], t.name)
	r.mu.Unlock()
	if sub.prev == nil {
		cs.first[t.kind] = sub.next
	} else {
		sub.prev.next = sub.next
	}
	if sub.next == nil {
		cs.last[t.kind] = sub.prev
	} else {
		sub.next.prev = sub.prev
	}
	cs.count[t.kind].Add(-1)
	c.subs.Add(-1)
}

// unsubscribeAll ends every subscription of c, which calls it, without
// notifying it (RESET, disconnection).
func (s *Server) unsubscribeAll(c *client) {
	if c.subs.Load() == 0 {
		return
	}
	for k := range numSubKinds {
		for sub := c.ps.first[k]; sub != nil; sub = c.ps.first[k] {
			s.ps.remove(sub)
		}
	}
}

// publish delivers message on channel to the channel's subscribers and to
// the subscribers of every pattern that matches it, and returns how many
// deliveries it made (a client subscribed to the channel and to two
// matching patterns counts three times, as in Redis). self is the client
// whose goroutine calls, or nil: a delivery to it goes to its own output at
// once, before the reply to the command running; any other goes through
// the receiver's outbox. publish never waits for a receiver. It may be
// called with or without the store's lock held.
func (s *Server) publish(self *client, channel, message []byte) int {
	return s.ps.publish(self, subChannel, channel, message)
}

// spublish is publish for shard channels (SPUBLISH): patterns do not see
// shard messages.
func (s *Server) spublish(self *client, channel, message []byte) int {
	return s.ps.publish(self, subShard, channel, message)
}

// Message kinds as they appear in a delivery.
var (
	bulkMessage  = []byte("$7\r\nmessage\r\n")
	bulkSMessage = []byte("$8\r\nsmessage\r\n")
	bulkPMessage = []byte("$8\r\npmessage\r\n")
)

func (r *pubsubRegistry) publish(self *client, kind subKind, channel, message []byte) int {
	var buf *[]byte
	var b []byte
	if self != nil {
		b = self.ps.scratch[:0]
	} else {
		buf, _ = r.scratch.Get().(*[]byte)
		if buf == nil {
			buf = new([]byte)
		}
		b = (*buf)[:0]
	}
	n := 0
	r.mu.RLock()
	if t := r.topics[kind][string(channel)]; t != nil {
		kindBulk := bulkMessage
		if kind == subShard {
			kindBulk = bulkSMessage
		}
		b = deliverAll(self, t.subs, b, 3, kindBulk, nil, channel, message)
		n += len(t.subs)
	}
	if kind == subChannel {
		for _, t := range r.patterns {
			if glob.Match(t.pat, channel, false) {
				b = deliverAll(self, t.subs, b, 4, bulkPMessage, t.pat, channel, message)
				n += len(t.subs)
			}
		}
	}
	r.mu.RUnlock()
	if cap(b) > 64<<10 {
		b = nil // do not keep a big message's buffer
	}
	if self != nil {
		self.ps.scratch = b
	} else {
		*buf = b
		r.scratch.Put(buf)
	}
	return n
}

// deliverAll delivers one message to subs, encoding it in b (returned for
// reuse) at most once per protocol: an array or push of n elements, the
// kind's bulk, the pattern when not nil, the channel and the message.
func deliverAll(self *client, subs []*subscription, b []byte, n int, kindBulk, pattern, channel, message []byte) []byte {
	b = b[:0]
	var enc [2][]byte // RESP2, RESP3
	for _, sub := range subs {
		c := sub.c
		p := 0
		if c.resp.Load() == 3 {
			p = 1
		}
		if enc[p] == nil {
			start := len(b)
			if p == 1 {
				b = appendHeader(b, '>', n)
			} else {
				b = appendHeader(b, '*', n)
			}
			b = append(b, kindBulk...)
			if pattern != nil {
				b = redcon.AppendBulk(b, pattern)
			}
			b = redcon.AppendBulk(b, channel)
			b = redcon.AppendBulk(b, message)
			// If b grows for the second encoding, the first keeps
			// the old array, which stays valid.
			enc[p] = b[start:len(b):len(b)]
		}
		if c == self {
			c.appendPush(enc[p])
		} else {
			c.postPush(enc[p])
		}
	}
	return b
}

// appendPush appends a complete push (or RESP2 pub/sub message) to c's own
// output. Pushes pass CLIENT REPLY OFF and SKIP, as Redis 7.0 lets them
// (CLIENT_PUSHING). Only c's goroutine calls it.
func (c *client) appendPush(msg []byte) {
	c.room(len(msg))
	c.out = append(c.out, msg...)
}

// postPush appends a complete push to c's outbox, for c's goroutine to
// send; any goroutine may call it. It reports false when c is closed or was
// closed for passing its limit.
func (c *client) postPush(msg []byte) bool { return c.post(msg) }

// appendPubsubMessage appends to b a "message" on channel, in c's
// protocol, whose payload is what payload appends (one RESP value: a bulk
// string, or an array of keys for tracking's invalidations on
// __redis__:invalidate). Any goroutine may call it; the result goes to
// c.postPush, or to c.appendPush from c's own goroutine.
func (c *client) appendPubsubMessage(b []byte, channel []byte, payload func(b []byte) []byte) []byte {
	if c.resp.Load() == 3 {
		b = appendHeader(b, '>', 3)
	} else {
		b = appendHeader(b, '*', 3)
	}
	b = append(b, bulkMessage...)
	b = redcon.AppendBulk(b, channel)
	return payload(b)
}

// isSubscribed reports whether c is subscribed to channel (SUBSCRIBE, not
// a pattern or shard channel). Any goroutine may call it.
func (c *client) isSubscribed(channel string) bool {
	if c.subs.Load() == 0 {
		return false
	}
	r := &c.s.ps
	r.mu.RLock()
	_, ok := c.ps.byName[subChannel][channel]
	r.mu.RUnlock()
	return ok
}

// appendSubCounts appends CLIENT LIST's " sub=N psub=N ssub=N": c's
// subscriptions to channels, patterns and shard channels. Any goroutine may
// call it.
func (c *client) appendSubCounts(b []byte) []byte {
	b = append(b, " sub="...)
	b = strconv.AppendInt(b, int64(c.ps.count[subChannel].Load()), 10)
	b = append(b, " psub="...)
	b = strconv.AppendInt(b, int64(c.ps.count[subPattern].Load()), 10)
	b = append(b, " ssub="...)
	return strconv.AppendInt(b, int64(c.ps.count[subShard].Load()), 10)
}

// pubsubCounts returns the channels, patterns and shard channels that have
// subscribers, for INFO.
func (s *Server) pubsubCounts() (channels, patterns, shard int) {
	s.ps.mu.RLock()
	defer s.ps.mu.RUnlock()
	return len(s.ps.topics[subChannel]), len(s.ps.topics[subPattern]), len(s.ps.topics[subShard])
}

// writeSubscribeReply writes the confirmation of a (un)subscription: an
// array (RESP2) or push (RESP3) of the action, the topic (a null when nil,
// for an UNSUBSCRIBE of nothing) and the count. It passes CLIENT REPLY OFF,
// as Redis's confirmations do.
func (c *client) writeSubscribeReply(action string, name []byte, count int32) {
	c.room(len(action) + len(name) + 2*bulkOverhead + 24)
	if c.proto == 3 {
		c.out = append(c.out, ">3\r\n"...)
	} else {
		c.out = append(c.out, "*3\r\n"...)
	}
	c.out = redcon.AppendBulkString(c.out, action)
	switch {
	case name != nil:
		c.out = redcon.AppendBulk(c.out, name)
	case c.proto == 3:
		c.out = append(c.out, "_\r\n"...)
	default:
		c.out = append(c.out, "$-1\r\n"...)
	}
	c.out = append(c.out, ':')
	c.out = strconv.AppendInt(c.out, int64(count), 10)
	c.out = append(c.out, '\r', '\n')
}
